"""Does the patch path of Algorithm 1 see its region? Two boxes of one frame that barely overlap (a tracked
box and its mirror image, IoU < 0.25) should give different features if the path reads the region, and the
same feature if it only reads the frame. For each encoder, on ``--items`` patch views of the smoke
``frames+tracks`` loader (the frames augmented with their tracked boxes), the mean cosine of the two boxes'
features under both readings of ``TrainConfig.patch_input``:

* ``roi``: layer3 ROI-align of the box on the frame (paper; at 32 px layer3 is a 2x2 map);
* ``crop``: the box cut out of the augmented frame, resized to the input size, through the frame path;

beside the mean cosine between the patches of different frames (the scale of "different"). Features: the
query encoder's head outputs (what the contrastive loss compares) and its pooled backbone features (what
the kNN monitor uses). Needs the main run's cache.

    REPRO_CACHE=... .venv/bin/python benchmarks/patch_locality.py [--checkpoint PATH ...] [--items 256]
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.moco.augment import color_augment  # noqa: E402
from repro.moco.builder import encode_patches  # noqa: E402
from repro.train.checkpoint import init_from_checkpoint  # noqa: E402
from repro.train.data import build_dataset  # noqa: E402
from repro.train.loop import build_model  # noqa: E402


def patch_views(cfg: Config, items: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalised patch views Nx3xSxS of the "roi" loader, their boxes Nx4 and the boxes' mirrors Nx4."""
    ds = build_dataset(cfg.replace(patch_input="roi"), "frames+tracks")
    samples = [ds[(i % len(ds), i // len(ds), 0)] for i in range(items)]
    x = color_augment(torch.stack([s["patch_q"] for s in samples]), None)  # x: Nx3xSxS
    boxes = torch.stack([s["box_q"] for s in samples])  # boxes: Nx4 (x1, y1, x2, y2)
    side = x.shape[-1]
    mirror = torch.stack([side - boxes[:, 2], boxes[:, 1], side - boxes[:, 0], boxes[:, 3]], dim=1)
    return x, boxes, mirror


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    w = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    h = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return w * h / (area(a) + area(b) - w * h)


def crops(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Each box cut out of its view (whole pixels) and resized to the view's size."""
    side = x.shape[-1]
    out = []
    for img, (x1, y1, x2, y2) in zip(x, boxes.tolist()):
        c0, r0 = int(x1), int(y1)
        patch = img[:, r0 : max(int(y2 + 0.999), r0 + 1), c0 : max(int(x2 + 0.999), c0 + 1)]
        out.append(F.interpolate(patch[None], size=(side, side), mode="bilinear", align_corners=False)[0])
    return torch.stack(out)


@torch.no_grad()
def locality(net, x, boxes, mirror, roi_size: int) -> dict[str, float]:
    """Mean cosines: the two boxes of one frame (IoU < 0.25) and patches of different frames, per reading."""
    apart = iou(boxes, mirror) < 0.25
    off = ~torch.eye(len(x), dtype=torch.bool)
    out = {}
    for reading in ("roi", "crop"):
        if reading == "roi":
            a, b = (F.normalize(encode_patches(net, x, r, roi_size), dim=1) for r in (boxes, mirror))
        else:
            a, b = (F.normalize(net(crops(x, r)), dim=1) for r in (boxes, mirror))
        out[f"{reading} same frame"] = (a * b).sum(1)[apart].mean().item()
        out[f"{reading} other frames"] = (a @ a.T)[off].mean().item()
    out["pairs"] = int(apart.sum())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", nargs="*", default=[], help="repro checkpoints (random init is always shown)")
    ap.add_argument("--items", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = Config.smoke()
    x, boxes, mirror = patch_views(cfg, args.items)
    side = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
    print(f"{args.items} patch views of {x.shape[-1]} px; box side median {side.median():.1f} px")
    for path in [""] + args.checkpoint:
        torch.manual_seed(cfg.training_seed())  # the random init of the main run
        model = build_model(cfg, "frames+tracks")
        if path:
            init_from_checkpoint(path, model, "frames+tracks")
        head = model.encoder_q.eval()
        backbone = copy.deepcopy(head)
        backbone.fc = torch.nn.Identity()
        for name, net in (("head", head), ("backbone", backbone)):
            r = locality(net, x, boxes, mirror, cfg.train.patch_roi_size)
            print(
                f"{path or 'random init'} ({name}): {r['pairs']} box pairs; cosine of two boxes of one frame / of "
                f"patches of other frames: roi {r['roi same frame']:.3f} / {r['roi other frames']:.3f}, "
                f"crop {r['crop same frame']:.3f} / {r['crop other frames']:.3f}"
            )


if __name__ == "__main__":
    main()
