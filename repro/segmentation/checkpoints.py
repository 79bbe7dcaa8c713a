"""The rows of our Table 5: which models are evaluated, from which checkpoints, and which paper row each
stands for; and the checkpoint fingerprint that keys their cached representations.

Rows: a seeded random-init encoder (the floor of any learned representation), every mode of
``cfg.train.modes`` trained by notebook 03_training, and any ``seg_checkpoints`` ("Name=path", e.g. the
official release named like the paper's row). ``table5.PAPER_ROW_OF_MODE`` pairs our modes with the paper's
rows ("ImageNet Supervised", "ImageNet MOCOv2", "Ours Region Tracker").
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..config import Config
from ..errors import ConfigError, DatasetLayoutError
from ..models import checkpoint_sha256
from ..train.checkpoint import model_checkpoints
from . import table5


def table5_models(cfg: Config) -> dict[str, Path | None]:
    """Model name -> checkpoint (None = seeded random init): every model of ``repro.train.model_checkpoints``
    (the random baseline ``RANDOM_INIT``, every trained mode, ``supervised_weights``) and each
    ``seg_checkpoints`` entry ("Name=path")."""
    models = model_checkpoints(cfg)
    for entry in cfg.segmentation.seg_checkpoints:
        name, sep, path = entry.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"seg_checkpoints entries are 'Row name=path', got {entry!r}")
        if not Path(path.strip()).is_file():
            raise DatasetLayoutError(
                f"checkpoint {path.strip()!r} of model {name.strip()!r} (seg_checkpoints) "
                "does not exist; download it to that path or remove the entry"
            )
        models[name.strip()] = Path(path.strip())
    return models


def paper_row_map(models: Mapping[str, Path | None]) -> dict[str, str]:
    """Our model name -> the paper's Table 5 row it stands for (modes via ``PAPER_ROW_OF_MODE``; extra
    checkpoints whose name is a paper row)."""
    out = {m: table5.PAPER_ROW_OF_MODE[m] for m in models if m in table5.PAPER_ROW_OF_MODE}
    out.update({m: m for m in models if m in table5.PAPER_ROWS})
    return out


def fingerprint(path: str | Path | None, arch: str, seed: int) -> str:
    """SHA-256 of a checkpoint file (so cached representations follow the weights), or the random init."""
    return checkpoint_sha256(path) if path else f"random:{arch}:{seed}"
