"""Region features f(z): ROI-align of the proposal boxes on layer 3 of a ResNet (Section B).

"Here the features f(x) are extracted by ROI-pooling the layer 3 of the ResNet model f." Layer 3 of a
torchvision ResNet has stride 16 (1024 channels for ResNet-50, 256 for ResNet-18). Each box is pooled with
``torchvision.ops.roi_align`` (bilinear, ``aligned=True``) to ``roi_size x roi_size`` cells and the cells are
averaged into one vector per region (the text says "ROI-pooling"; ROI-align is its unquantised successor
and is what the issue asks for; max ROI-pooling is ``roi_pool`` and would make a different but equally
valid f). The backbone is any checkpoint ``repro.models.load_backbone`` reads (this repository's, the
official MoCo v2 release, a torchvision state_dict), or seeded random weights.

Frames are normalised with the ImageNet mean and std (as in MoCo v2's training), optionally resized so
their shorter side is ``feature_short_side`` (0 keeps them as they are); boxes stay in frame pixels and are
scaled with the frame.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torchvision.ops import roi_align

from ..models import load_backbone, normalize
from ..runtime import autocast

LAYER3_STRIDE = 16


class Layer3(nn.Module):
    """The stem and layers 1-3 of a torchvision ResNet: N x 3 x H x W -> N x C x H/16 x W/16."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        b = backbone
        self.body = nn.Sequential(b.conv1, b.bn1, b.relu, b.maxpool, b.layer1, b.layer2, b.layer3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # N x C x H/16 x W/16


def to_input(
    frames: Sequence[np.ndarray] | np.ndarray, short_side: int = 0, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, float]:
    """N frames (H x W x 3 uint8 RGB, same size) -> normalised N x 3 x H' x W' float tensor and the
    resize factor s (H' = round(s H))."""
    x = torch.from_numpy(np.ascontiguousarray(np.stack(list(frames)))).to(device)  # N x H x W x 3
    x = x.permute(0, 3, 1, 2).float().div_(255)  # N x 3 x H x W
    H, W = x.shape[-2:]
    s = 1.0 if short_side <= 0 else short_side / min(H, W)
    if s != 1.0:
        x = F.interpolate(
            x, size=(max(1, round(H * s)), max(1, round(W * s))), mode="bilinear", align_corners=False, antialias=s < 1
        )
    return normalize(x), s


def _batches(shapes: Sequence[tuple], batch_size: int) -> list[tuple[int, int]]:
    """[start, end) ranges of at most ``batch_size`` consecutive frames of one shape."""
    out, b0 = [], 0
    for n in range(1, len(shapes) + 1):
        if n == len(shapes) or n - b0 == batch_size or shapes[n] != shapes[b0]:
            out.append((b0, n))
            b0 = n
    return out


@torch.no_grad()
def region_features(
    layer3: Layer3,
    frames: Sequence[np.ndarray],
    boxes: Sequence[np.ndarray],
    roi_size: int = 7,
    feature_short_side: int = 0,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> list[torch.Tensor]:
    """f(z_t^r) for every box of every frame: a list of R_t x C float32 CPU tensors.

    Args:
        layer3: a ``Layer3`` in eval mode (see ``load_layer3``).
        frames: T frames, H x W x 3 uint8 RGB (consecutive frames of one size share a batch).
        boxes: T arrays R_t x 4 (x1, y1, x2, y2) in frame pixels.
        roi_size: ROI-align output cells per side, averaged into one vector (default 7, as Fast R-CNN).
        feature_short_side: resize frames to this shorter side before the backbone (0: as they are).
        batch_size: frames per forward pass.
    """
    device = torch.device(device)
    if len(frames) != len(boxes):
        raise ValueError(f"got {len(frames)} frames but {len(boxes)} box arrays")
    out: list[torch.Tensor] = []
    for b0, b1 in _batches([f.shape for f in frames], batch_size):
        x, s = to_input(frames[b0:b1], feature_short_side, device)  # B x 3 x H' x W'
        with autocast(device):
            fmap = layer3(x)  # B x C x H'/16 x W'/16
        fmap = fmap.float()
        rois = [torch.as_tensor(np.asarray(b, np.float32).reshape(-1, 4), device=device) * s for b in boxes[b0:b1]]
        pooled = roi_align(
            fmap, rois, output_size=roi_size, spatial_scale=1.0 / LAYER3_STRIDE, sampling_ratio=2, aligned=True
        )  # sum(R_t) x C x roi x roi
        vec = pooled.mean(dim=(2, 3)).cpu()  # sum(R_t) x C
        out.extend(torch.split(vec, [len(r) for r in rois]))
    return out


def load_layer3(checkpoint: str, arch: str, seed: int = 0, device: torch.device | str = "cpu") -> Layer3:
    """Layer 3 of the backbone in ``checkpoint`` (any format ``load_backbone`` reads; "" = seeded random)."""
    return Layer3(load_backbone(checkpoint, arch, seed)).to(device).eval()
