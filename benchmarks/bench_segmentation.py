"""Section C: training part decoders on cached representations vs recomputing the frozen encoder each epoch.

Default scale: the synthetic part-annotated objects (``SampleConfig``: 6 categories x 60 train / 15 val
objects, 64 px), the smoke encoder (random-init ResNet-18 at ``image_size`` 64) and the smoke decoder
settings (``seg_epochs`` 10, batch 32, width 64, 32 x 32 output). All three variants (see ``run``) run in this
process with the same seeds and the same decoder training loop (``evaluate.train_decoder``).

    .venv/bin/python benchmarks/bench_segmentation.py [--repeats 3] [--epochs 10] [--arch resnet18]
                                                      [--image-size 64]

Prints a markdown table: median wall time of each variant over all classes, the speed-up, and the mean
val pixel accuracy of each (their difference should be float noise: the inputs are the same vectors).
The first run of the cached pipeline still passes every crop through the encoder once, so its speed-up
is bounded by (epochs x N_train + N_val) / (N_train + N_val) encoder passes (8.2x for 10 epochs here);
later runs read the vectors from disk and pay for the decoders only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repro.config import Config  # noqa: E402
from repro.io import save_torch  # noqa: E402
from repro.models import load_backbone  # noqa: E402
from repro.samples.synthetic import part_objects as synthetic_part_objects  # noqa: E402
from repro.segmentation.decoder import decoder_settings, predict, train_decoder  # noqa: E402
from repro.segmentation.features import representations, to_input  # noqa: E402
from repro.segmentation.metrics import accuracy_percent  # noqa: E402
from repro.segmentation.pascal_parts import crops_from_arrays  # noqa: E402


def part_crops(cfg: Config):
    s = cfg.samples
    train = synthetic_part_objects(
        cfg.run.seed, s.synthetic_categories, s.part_objects_per_category, s.synthetic_image_size
    )
    val = synthetic_part_objects(
        cfg.run.seed + 10_000, s.synthetic_categories, max(1, s.part_objects_per_category // 4), s.synthetic_image_size
    )
    g = cfg.segmentation
    return [
        crops_from_arrays(
            o.images,
            o.masks,
            o.labels,
            o.categories,
            o.part_names,
            g.crop_margin,
            cfg.train.image_size,
            g.seg_output_size,
            g.seg_outside,
        )
        for o in (train, val)
    ]


def run(cfg: Config, train, val, variant: str, store: Path) -> tuple[float, float]:
    """(seconds, mean val accuracy over classes) of training and scoring every class's decoder.

    variant "recompute": the frozen encoder recomputes each training crop's representation at every step;
    "extract": representations computed once (and written to ``store``), decoders train on them;
    "disk": representations read from ``store`` (what every later run of the chapter does).
    """
    encoder = load_backbone("", cfg.train.arch, cfg.run.seed)
    t0 = time.perf_counter()
    if variant == "extract":
        z_train = representations(encoder, train.images, 64)
        z_val = representations(encoder, val.images, 64)
        save_torch({"train": z_train, "val": z_val}, store)
    elif variant == "disk":
        obj = torch.load(store, weights_only=True)
        z_train, z_val = obj["train"], obj["val"]
    else:
        x_train = to_input(train.images)
        z_val = representations(encoder, val.images, 64)  # scoring needs each val vector once in every variant
    accs = []
    for c in range(len(train.classes)):
        tr, va = np.flatnonzero(train.labels == c), np.flatnonzero(val.labels == c)
        kw = decoder_settings(cfg, c)
        if variant == "recompute":
            dec = train_decoder(
                x_train[tr], torch.as_tensor(train.targets[tr]), train.num_labels(c), encoder=encoder, **kw
            )
        else:
            dec = train_decoder(z_train[tr], torch.as_tensor(train.targets[tr]), train.num_labels(c), **kw)
        accs.append(accuracy_percent(predict(dec, z_val[va]), val.targets[va]))
    return time.perf_counter() - t0, float(np.mean(accs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--arch", default=Config.smoke().train.arch, help="encoder (paper: resnet50)")
    ap.add_argument("--image-size", type=int, default=Config.smoke().train.image_size, help="crop side (paper: 224)")
    args = ap.parse_args()
    cfg = Config.smoke().replace(seg_epochs=args.epochs, arch=args.arch, image_size=args.image_size)
    train, val = part_crops(cfg)
    variants = ("recompute", "extract", "disk")
    times: dict[str, list[float]] = {v: [] for v in variants}
    accs: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for v in variants:
                t, accs[v] = run(cfg, train, val, v, Path(tmp) / "z.pt")
                times[v].append(t)
    med = {v: statistics.median(times[v]) for v in variants}
    print(
        f"Part decoders, {len(train.classes)} classes, {len(train)} train / {len(val)} val crops, "
        f"{cfg.train.arch} at {cfg.train.image_size} px, {args.epochs} epochs, decoder width "
        f"{cfg.segmentation.seg_width} -> {cfg.segmentation.seg_output_size}^2, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, median of {args.repeats}\n"
    )
    rows = {
        "recompute": "recompute frozen encoder every epoch",
        "extract": "cached representations, first run (incl. extraction)",
        "disk": "cached representations, later runs (vectors from disk)",
    }
    print("| variant | time (s) | speed-up | mean val pixel acc. (%) |")
    print("|---|---|---|---|")
    for v in variants:
        print(f"| {rows[v]} | {med[v]:.2f} | {med['recompute'] / med[v]:.1f}x | {accs[v]:.2f} |")
    print(
        f"\naccuracy difference (cached - recompute): {accs['extract'] - accs['recompute']:+.3f} points; "
        f"first-run speed-up bound at {args.epochs} epochs: {args.epochs * len(train) + len(val)} / "
        f"{len(train) + len(val)} encoder passes = "
        f"{(args.epochs * len(train) + len(val)) / (len(train) + len(val)):.1f}x"
    )


if __name__ == "__main__":
    main()
