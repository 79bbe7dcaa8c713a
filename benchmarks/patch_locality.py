"""Does the patch path of Algorithm 1 see its region? ``repro.train.locality`` (chapter 03 measures the main
run's ``frames+tracks`` model) for the seeded random initialisation and any repro checkpoints, on the smoke
loader's patch views, with the query encoder's head outputs (what the contrastive loss compares) and its
pooled backbone features (what the kNN monitor uses). Needs the main run's cache.

    REPRO_CACHE=... .venv/bin/python benchmarks/patch_locality.py [--checkpoint PATH ...] [--items 256]
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.train.checkpoint import init_from_checkpoint  # noqa: E402
from repro.train.locality import patch_locality, patch_views  # noqa: E402
from repro.train.loop import build_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", nargs="*", default=[], help="repro checkpoints (random init is always shown)")
    ap.add_argument("--items", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = Config.smoke()
    x, boxes = patch_views(cfg, args.items)
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
            r = patch_locality(net, x, boxes, cfg.train.patch_roi_size)
            print(
                f"{path or 'random init'} ({name}): {r['pairs']} box pairs; cosine of two boxes of one frame / of "
                f"patches of other frames: roi {r['roi.same_frame']:.3f} / {r['roi.other_frames']:.3f}, "
                f"crop {r['crop.same_frame']:.3f} / {r['crop.other_frames']:.3f}"
            )


if __name__ == "__main__":
    main()
