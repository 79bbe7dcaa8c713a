"""Does a training mode learn the category of the synthetic world within a step budget? (issue 11)

A probe, not a chapter: it trains one mode on the world's stills (``repro.samples.world``, written as an
ImageFolder so ``image_root`` reads them) and reports, on the held-out instances, the kNN top-1 (cosine,
k = 20) and linear-probe top-1 of the trained backbone beside those of randomly initialised backbones
(one per ``--random-seeds``) and of a colour-histogram kNN. Learning is shown only when the trained model
clears the random networks' spread. Prints one JSON line (``--out`` also writes it).

    .venv/bin/python benchmarks/probe_learning.py --mode images --steps 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.models import load_backbone  # noqa: E402
from repro.samples import world  # noqa: E402
from repro.train import monitor  # noqa: E402
from repro.train.loop import train  # noqa: E402


def write_image_folder(root: Path, images: np.ndarray, labels: np.ndarray, categories) -> None:
    for c in categories:
        (root / str(c)).mkdir(parents=True, exist_ok=True)
    for i, (img, y) in enumerate(zip(images, labels)):
        cv2.imwrite(str(root / str(categories[y]) / f"{i:05d}.png"), img[..., ::-1])


def scores(net, split: dict, image_size: int) -> dict:
    bank = monitor.embed(net, split["train_images"], image_size)
    queries = monitor.embed(net, split["val_images"], image_size)
    return {
        "knn_top1": monitor.knn_top1(bank, split["train_labels"], queries, split["val_labels"]),
        "linear_top1": monitor.linear_top1(bank, split["train_labels"], queries, split["val_labels"]),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", default="images", choices=("images", "supervised"))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--arch", default="resnet18_w16")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--queue", type=int, default=1024)
    p.add_argument("--categories", type=int, default=8)
    p.add_argument("--instances", type=int, default=12)
    p.add_argument("--train-instances", type=int, default=9)
    p.add_argument("--per-instance", type=int, default=32)
    p.add_argument("--heldout-per-instance", type=int, default=20)
    p.add_argument("--random-seeds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bn-splits", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.03)
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    torch.set_num_threads(2)
    split = world.world_image_split(
        a.seed, a.categories, a.instances, a.train_instances, a.per_instance, a.heldout_per_instance, a.image_size
    )
    hist = monitor.colour_histogram
    out = {
        "args": vars(a) | {"out": str(a.out)},
        "colour_histogram_knn": monitor.knn_top1(
            hist(split["train_images"]), split["train_labels"], hist(split["val_images"]), split["val_labels"]
        ),
        "random": [scores(load_backbone(None, a.arch, seed=s), split, a.image_size) for s in range(a.random_seeds)],
    }
    with tempfile.TemporaryDirectory() as tmp:
        write_image_folder(
            Path(tmp) / "images", split["train_images"], split["train_labels"], list(split["categories"])
        )
        cfg = Config.smoke().replace(
            arch=a.arch,
            image_size=a.image_size,
            batch_size=a.batch,
            queue_size=a.queue,
            train_steps=a.steps,
            checkpoint_every=10**9,
            seed=a.seed,
            bn_splits=a.bn_splits,
            lr=a.lr,
            knn_every=0,
            image_root=str(Path(tmp) / "images"),
            cache_dir=tmp,
        )
        t0 = time.perf_counter()
        result = train(cfg, a.mode, out_dir=Path(tmp) / "run", resume=False, tensorboard=False)
        out["seconds_per_step"] = (time.perf_counter() - t0) / a.steps
        out["final_loss"] = result.last["loss"]
        out["trained"] = scores(load_backbone(result.checkpoint, a.arch), split, a.image_size)
    line = json.dumps(out)
    print(line)
    if a.out:
        a.out.write_text(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
