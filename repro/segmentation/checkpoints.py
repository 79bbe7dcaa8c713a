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
from ..models import checkpoint_sha256, supervised_row
from ..paths import artifact, require
from . import table5


def model_checkpoints(cfg: Config) -> dict[str, str]:
    """Model name -> checkpoint path ("" = seeded random init): the random baseline, every trained mode
    of ``cfg.train.modes`` (``<cache>/checkpoints/<mode>/checkpoint.pt``), ``supervised_weights`` as the
    "supervised" row when that mode is not trained (``repro.models.supervised_row``) and ``seg_checkpoints``
    ("Name=path"). A missing checkpoint is a MissingArtifactError naming notebook 03_training."""
    models = {"random": ""}
    for mode in cfg.train.modes:
        path = artifact("checkpoints", mode, "checkpoint.pt", cache_dir=cfg.run.cache_dir)
        models[mode] = str(require(path, "checkpoints"))
    models.update(supervised_row(cfg.train.modes, cfg.train.supervised_weights))
    for entry in cfg.segmentation.seg_checkpoints:
        name, sep, path = entry.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"seg_checkpoints entries are 'Row name=path', got {entry!r}")
        if not Path(path.strip()).is_file():
            raise DatasetLayoutError(f"checkpoint {path.strip()!r} of model {name.strip()!r} (seg_checkpoints) "
                                     "does not exist; download it to that path or remove the entry")
        models[name.strip()] = path.strip()
    return models


def paper_row_map(models: Mapping[str, str]) -> dict[str, str]:
    """Our model name -> the paper's Table 5 row it stands for (modes via ``PAPER_ROW_OF_MODE``; extra
    checkpoints whose name is a paper row)."""
    out = {m: table5.PAPER_ROW_OF_MODE[m] for m in models if m in table5.PAPER_ROW_OF_MODE}
    out.update({m: m for m in models if m in table5.PAPER_ROWS})
    return out


def fingerprint(path: str, arch: str, seed: int) -> str:
    """SHA-256 of a checkpoint file (so cached representations follow the weights), or the random init."""
    return checkpoint_sha256(path) if path else f"random:{arch}:{seed}"
