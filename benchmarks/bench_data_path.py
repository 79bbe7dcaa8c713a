"""Two per-call overheads of the training process (issue 11), each against its reference in this process,
timed interleaved (median of ``--repeats``), with the numbers checked to be the same:

* ``loader``: a batch of the real training loader (``frames+tracks``: 4 crops an item, 256 a batch; and
  ``images``) with the crop of ``repro.moco.augment.resized_crop`` (torch's antialiased bilinear kernel on
  uint8, called directly) against the reference, torchvision's ``resized_crop`` (the same kernel behind
  its per-call dispatch), patched in. Needs the sample data and tracks (``REPRO_CACHE``; chapters 00-02).
* ``monitor``: one kNN-monitor evaluation with the stills prepared once per run (``KnnMonitor.features``)
  against prepared at every evaluation (``embed``, the reference), on random stills of the smoke shape
  (2,304 bank + 480 queries at 64 px, resized to 32) and the seeded smoke network.

    REPRO_CACHE=<cache> .venv/bin/python benchmarks/bench_data_path.py [--part loader|monitor|all]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.moco import augment  # noqa: E402
from repro.models import build_backbone  # noqa: E402
from repro.train.data import StepSampler, build_dataset, build_loader  # noqa: E402
from repro.train.monitor import KnnMonitor, embed  # noqa: E402


def torchvision_crop(image, crop, size):
    """The reference: torchvision's resized_crop, as the loader called it before."""
    return TF.resized_crop(image, *crop, [size, size], antialias=True)


def timed(runs: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each callable of ``runs``, called in turn ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def report(title: str, med: dict[str, float], same: bool) -> None:
    base = next(iter(med.values()))
    print(title)
    for k, v in med.items():
        print(f"  {k:34s} {v * 1000:7.1f} ms  {base / v:5.2f}x")
    print(f"  same numbers as the reference: {same}")
    if not same:
        raise SystemExit(f"{title}: the new path changed the numbers")


def loader_part(cfg: Config, mode: str, repeats: int, steps: int = 20) -> None:
    dataset = build_dataset(cfg, mode)
    ours = augment.resized_crop

    def batches_with(crop):
        def run():
            augment.resized_crop = crop  # geometric_augment looks the name up at each call
            try:
                return list(build_loader(dataset, StepSampler(len(dataset), cfg.train.batch_size, 0, steps)))
            finally:
                augment.resized_crop = ours

        return run

    runs = {
        "torchvision resized_crop (reference)": batches_with(torchvision_crop),
        "repro resized_crop": batches_with(ours),
    }
    ref, new = (run() for run in runs.values())  # the first also warms the frame cache
    same = all(torch.equal(a[k], b[k]) for a, b in zip(ref, new) for k in a)
    med = timed(runs, repeats)
    report(f"loader, {mode}: a batch of {cfg.train.batch_size}", {k: v / steps for k, v in med.items()}, same)


def monitor_part(cfg: Config, repeats: int) -> None:
    rng = np.random.default_rng(0)
    bank, queries = (rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8) for n in (2304, 480))
    size = cfg.train.image_size
    monitor = KnnMonitor(bank, rng.integers(0, 8, len(bank)), queries, rng.integers(0, 8, len(queries)), size)
    torch.manual_seed(0)
    net = build_backbone(cfg.train.arch)
    reference = lambda: (embed(net, bank, size), embed(net, queries, size))  # noqa: E731
    same = all(torch.equal(r, n) for r, n in zip(reference(), monitor.features(net)))  # the first call prepares
    runs = {"embed (reference)": reference, "features (prepared once)": lambda: monitor.features(net)}
    report(f"monitor: {len(bank)} + {len(queries)} stills, 64 -> {size} px", timed(runs, repeats), same)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--part", choices=("loader", "monitor", "all"), default="all")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="torch threads (training runs on 1)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = Config.preset("smoke")
    print(f"threads {a.threads}, median of {a.repeats}")
    if a.part in ("loader", "all"):
        for mode in ("frames+tracks", "images"):
            loader_part(cfg, mode, a.repeats)
    if a.part in ("monitor", "all"):
        monitor_part(cfg, a.repeats)


if __name__ == "__main__":
    main()
