"""The single representation of each object crop: the frozen encoder's pooled vector, cached on disk.

Supplement, Section C: the decoder "takes as input a single representation". Per model, every crop goes once
through the frozen encoder (eval mode, no gradients): B x D vectors, 512-d for ResNet-18, 2048-d for the
paper's ResNet-50. They are cached in ``<cache>/features/<model>/parts-<crops key>.pt`` with the checkpoint's
fingerprint (``checkpoints.fingerprint``), so a changed checkpoint or crop setting recomputes them. Encoder
inputs are normalised with the ImageNet mean/std, as torchvision and MoCo do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..config import Config
from ..io import save_torch
from ..models import load_backbone, normalize  # the normalisation the encoders were trained with
from ..paths import artifact
from ..runtime import autocast, resolve_device
from .checkpoints import fingerprint
from .crops import crops_key
from .frozen import assert_frozen, frozen_snapshot
from .pascal_parts import PartCrops

EXTRACT_BATCH = 64  # crops per encoder forward pass when computing the cached representations


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """N x H x W x 3 uint8 -> N x 3 x H x W float, ImageNet-normalised."""
    x = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float().div_(255)  # x: N x 3 x H x W
    return normalize(x)


@torch.no_grad()
def representations(
    encoder: nn.Module, images: np.ndarray, batch_size: int = 64, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The pooled representation of each crop: N x D float32 on CPU. Runs the encoder in eval mode (so
    BatchNorm statistics stay fixed) and restores its previous mode."""
    device = torch.device(device)
    was_training = encoder.training
    encoder.eval()
    out = []
    for i in range(0, len(images), batch_size):
        x = to_input(images[i : i + batch_size]).to(device)  # x: B x 3 x S x S
        with autocast(device):
            out.append(encoder(x).float().cpu())  # z: B x D
    encoder.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, 0)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9+_.-]", "_", name)


def cached_representations(
    cfg: Config,
    name: str,
    path: str | Path | None,
    train: PartCrops,
    val: PartCrops,
    encoder_fn: Callable[[], nn.Module] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, tuple[nn.Module, dict] | None]:
    """(train vectors N x D, val vectors M x D, frozen): computed once per model and crop setting and cached
    with the checkpoint's fingerprint (a changed checkpoint recomputes them). ``frozen`` is (encoder, its
    snapshot taken before extraction) when the encoder was run, for ``assert_frozen`` afterwards; None when
    the vectors came from the cache."""
    fp = fingerprint(path, cfg.train.arch, cfg.training_seed())
    file = artifact("features", _safe(name), f"parts-{crops_key(cfg)}.pt", cache_dir=cfg.run.cache_dir)
    if file.is_file():
        obj = torch.load(file, map_location="cpu", weights_only=True)
        if obj.get("fingerprint") == fp and len(obj["train"]) == len(train) and len(obj["val"]) == len(val):
            return obj["train"], obj["val"], None
    device = resolve_device(cfg.run.device)
    encoder = (encoder_fn or (lambda: load_backbone(path, cfg.train.arch, cfg.training_seed())))().to(device)
    snapshot = frozen_snapshot(encoder)
    z_train = representations(encoder, train.images, EXTRACT_BATCH, device)
    z_val = representations(encoder, val.images, EXTRACT_BATCH, device)
    assert_frozen(encoder, snapshot)  # never cache vectors of an encoder that moved while computing them
    save_torch({"train": z_train, "val": z_val, "fingerprint": fp, "model": name}, file)
    return z_train, z_val, (encoder, snapshot)
