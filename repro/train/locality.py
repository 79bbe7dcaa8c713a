"""Does the patch path of Algorithm 1 see its region? (chapter 03; ``benchmarks/patch_locality.py``)

The supplement extracts a patch's features by "ROI-Pooling at layer3" (``patch_input="roi"``). At 224 px
layer 3 is a 14x14 map and a box's ROI features are its own; at the default 32 px it is 2x2 and every cell
sees the whole frame. The measure: on patch views of the ``frames+tracks`` loader (frames augmented with
their tracked boxes), the features of each box and of its mirror image, kept where the two barely overlap
(IoU < ``APART_IOU``). A path that reads the region gives the two boxes of one frame features no more alike
than patches of different frames; a path that reads the frame gives them nearly the same feature. Each
reading is measured:

* ``roi``: layer3 ROI-align of the box (``encode_patches``);
* ``crop``: the box cut out of the augmented view and resized to the view's size, through the frame path
  (training's ``"crop"`` cuts it from the source frame instead; the diagnostic keeps one view for both).
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import Config
from ..moco.augment import color_augment, cut_box
from ..moco.builder import encode_patches
from ..tracks.quality import box_iou
from .checkpoint import init_from_checkpoint
from .data import build_dataset
from .loop import build_model

APART_IOU = 0.25  # two boxes of one frame "barely overlap" below this IoU
READINGS = ("roi", "crop")


def mirror_boxes(boxes: Tensor, side: int) -> Tensor:
    """Each box (x1, y1, x2, y2) mirrored left-right in a ``side``-pixel view. Nx4."""
    return torch.stack([side - boxes[:, 2], boxes[:, 1], side - boxes[:, 0], boxes[:, 3]], dim=1)


def cut_views(x: Tensor, boxes: Tensor) -> Tensor:
    """Each box cut out of its view (``cut_box``) and resized to the view's size. Nx3xSxS."""
    size = x.shape[-2:]
    out = []
    for img, box in zip(x, boxes.numpy()):
        patch = cut_box(img.permute(1, 2, 0), box).permute(2, 0, 1)  # patch: 3xhxw
        out.append(F.interpolate(patch[None], size=size, mode="bilinear", align_corners=False)[0])
    return torch.stack(out)


def cosines(a: Tensor, b: Tensor, apart: Tensor) -> tuple[float, float]:
    """(mean cosine of a[i] and b[i] over ``apart``, mean cosine of a[i] and a[j] over i != j)."""
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    off = ~torch.eye(len(a), dtype=torch.bool)
    return (a * b).sum(1)[apart].mean().item(), (a @ a.T)[off].mean().item()


def patch_views(cfg: Config, items: int = 256) -> tuple[Tensor, Tensor]:
    """The first ``items`` patch views of the "roi" loader (normalised, Nx3xSxS) and their boxes (Nx4)."""
    ds = build_dataset(cfg.replace(patch_input="roi"), "frames+tracks")
    samples = [ds[(i % len(ds), i // len(ds), 0)] for i in range(items)]
    x = color_augment(torch.stack([s["patch_q"] for s in samples]), None)  # x: Nx3xSxS
    return x, torch.stack([s["box_q"] for s in samples])  # boxes: Nx4


@torch.no_grad()
def patch_locality(encoder: nn.Module, x: Tensor, boxes: Tensor, roi_size: int) -> dict[str, float]:
    """``<reading>.same_frame`` (a box and its mirror, where they barely overlap), ``<reading>.other_frames``
    (patches of different frames) for each reading, and ``pairs`` (how many boxes barely overlap their mirror)."""
    mirror = mirror_boxes(boxes, x.shape[-1])
    apart = torch.from_numpy(box_iou(boxes.numpy(), mirror.numpy()).diagonal() < APART_IOU)  # box i vs mirror i
    out: dict[str, float] = {"pairs": int(apart.sum())}
    for reading in READINGS:
        if reading == "roi":
            a, b = (encode_patches(encoder, x, r, roi_size) for r in (boxes, mirror))
        else:
            a, b = (encoder(cut_views(x, r)) for r in (boxes, mirror))
        out[f"{reading}.same_frame"], out[f"{reading}.other_frames"] = cosines(a, b, apart)
    return out


def measure_patch_locality(cfg: Config, checkpoint: str | os.PathLike, items: int = 256) -> dict[str, float]:
    """``patch_locality`` of a ``frames+tracks`` checkpoint's query encoder, head outputs (what the contrastive
    loss compares), on the run's own patch views."""
    model = build_model(cfg, "frames+tracks")
    init_from_checkpoint(checkpoint, model, "frames+tracks")
    x, boxes = patch_views(cfg, items)
    return patch_locality(model.encoder_q.eval(), x, boxes, cfg.train.patch_roi_size)
