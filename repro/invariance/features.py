"""Representations of trajectory datasets: features of any checkpoint the repository can load, at the
pooled output (2048-d for ResNet-50, as the paper measures: the released extractor sets ``model.fc`` to an
empty Sequential) or at any named layer through a forward hook, batched and without gradients, cached in
``<cache>/features/<model key>/<dataset key>.pt`` (the key changes with the checkpoint's content, the
layer, the dataset's content and the input size).

Preprocessing as in the released extractor: crop to the sample's box, resize to a square
``image_size`` (the released code: 128 for ALOI and GOT-10k, 224 for PASCAL3D+), ImageNet mean/std.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn

from ..io import save_torch
from ..models import checkpoint_sha256, load_backbone, normalize
from ..paths import artifact
from ..runtime import autocast, progress, resolve_device
from .datasets import TrajectoryDataset

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Features:
    """Activations of one model on one trajectory dataset (``acts``: N x n float32, CPU)."""

    acts: torch.Tensor
    trajectory_ids: np.ndarray
    labels: np.ndarray
    model_key: str
    dataset_key: str


def checkpoint_digest(path: str | os.PathLike) -> str:
    """First 12 hex digits of the checkpoint's SHA-256 (``repro.models.checkpoint_sha256``)."""
    return checkpoint_sha256(path)[:12]


def model_key(checkpoint: str | os.PathLike | None, arch: str, layer: str | None = None, seed: int = 0) -> str:
    weights = checkpoint_digest(checkpoint) if checkpoint else f"random-seed{seed}"
    return f"{arch}-{weights}" + (f"-{layer}" if layer else "")


def dataset_key(dataset: TrajectoryDataset, image_size: int) -> str:
    return f"{dataset.name}-{dataset.fingerprint()[:12]}-{image_size}px"


def preprocess(images: list[np.ndarray], image_size: int) -> torch.Tensor:
    """RGB uint8 crops -> a normalised B x 3 x S x S float batch."""
    out = np.stack(
        [cv2.resize(img, (image_size, image_size), interpolation=cv2.INTER_LINEAR) for img in images]
    )  # B x S x S x 3
    return normalize(torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(255))  # B x 3 x S x S


class LayerOutput:
    """Forward hook that keeps the output of one named module, spatially average-pooled when 4-D."""

    def __init__(self, net: nn.Module, layer: str):
        modules = dict(net.named_modules())
        if layer not in modules:
            names = [n for n in modules if n and n.count(".") <= 1]
            raise ValueError(f"no layer {layer!r} in the model; named layers include {names[:20]}")
        self.value: torch.Tensor | None = None
        self.handle = modules[layer].register_forward_hook(self._keep)

    def _keep(self, module, inputs, output) -> None:
        out = output[0] if isinstance(output, (tuple, list)) else output
        self.value = out.mean(dim=(2, 3)) if out.ndim == 4 else out.flatten(1)  # B x C

    def remove(self) -> None:
        self.handle.remove()


@torch.no_grad()
def compute_features(
    net: nn.Module,
    dataset: TrajectoryDataset,
    image_size: int,
    batch_size: int = 64,
    layer: str | None = None,
    device: str | torch.device = "cpu",
    desc: str = "features",
) -> torch.Tensor:
    """Activations of ``net`` (eval mode, no gradients) on every sample: N x n float32 on the CPU."""
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    net = net.to(dev, memory_format=torch.channels_last).eval()  # ~20% faster convolutions on CPU
    hook = LayerOutput(net, layer) if layer else None
    chunks = []
    try:
        starts = range(0, len(dataset), batch_size)
        for s in progress(starts, desc=desc, total=len(starts)):
            x = preprocess([dataset.image(i) for i in range(s, min(len(dataset), s + batch_size))], image_size)
            with autocast(dev):
                out = net(x.to(dev).contiguous(memory_format=torch.channels_last))
            out = hook.value if hook else out
            chunks.append(out.float().flatten(1).cpu())  # B x n
    finally:
        if hook:
            hook.remove()
    return torch.cat(chunks)


def extract_features(
    dataset: TrajectoryDataset,
    checkpoint: str | os.PathLike | None,
    arch: str,
    image_size: int,
    layer: str | None = None,
    batch_size: int = 64,
    device: str = "cpu",
    seed: int = 0,
    cache_dir: str = "",
    use_cache: bool = True,
) -> Features:
    """Features of the model in ``checkpoint`` (this repository's, the official MoCo v2 release, or a
    torchvision state dict; None = seeded random initialisation) on ``dataset``, from the cache when
    present. ``layer`` names a module of the torchvision ResNet (e.g. "layer3"); None = pooled output."""
    mkey, dkey = model_key(checkpoint, arch, layer, seed), dataset_key(dataset, image_size)
    path = artifact("features", mkey, f"{dkey}.pt", cache_dir=cache_dir)
    if use_cache and path.is_file():
        cached = torch.load(path, map_location="cpu", weights_only=True)
        if cached.get("version") == FORMAT_VERSION and len(cached["acts"]) == len(dataset):
            return Features(cached["acts"], dataset.trajectory_ids, dataset.labels, mkey, dkey)
    net = load_backbone(checkpoint, arch, seed)
    acts = compute_features(net, dataset, image_size, batch_size, layer, device, desc=f"{mkey} on {dataset.name}")
    if use_cache:
        save_torch(
            {
                "version": FORMAT_VERSION,
                "acts": acts,
                "model": mkey,
                "dataset": dkey,
                "checkpoint": str(checkpoint or ""),
                "layer": layer or "",
            },
            path,
        )
    return Features(acts, dataset.trajectory_ids, dataset.labels, mkey, dkey)
