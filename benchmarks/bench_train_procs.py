"""Models side by side: steps a second of smoke training on one process with every thread, against two
processes of one thread each training at once (``train_modes`` with ``train_procs = 2``, ``train_threads = 1``).

For each pair of modes: the seconds a step of each mode trained alone on ``--threads`` threads (the reference,
timed in this run), and of the two trained at once, one thread each; the ratio is the pair's steps a second
over the reference's (1.0 = no gain; 2.0 = two cores fully used). Each timing skips its first
``--warmup`` steps (data built, caches filling). Needs the sample data and chapter 02's tracks in the cache
(``repro run 00 02``); trains into temporary folders, leaves the cache's checkpoints alone.

    REPRO_CACHE=... .venv/bin/python benchmarks/bench_train_procs.py [--steps 60] [--pairs images,images ...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.train.loop import train  # noqa: E402


def seconds_a_step(job: tuple[str, int, int, int]) -> float:
    """Seconds a step of ``mode`` on ``threads`` threads, over ``steps`` steps after ``warmup``."""
    mode, threads, warmup, steps = job
    cfg = Config.smoke().replace(knn_every=0, train_threads=threads)
    with tempfile.TemporaryDirectory() as out:
        train(cfg, mode, out_dir=out, resume=False, tensorboard=False, stop_after=warmup)
        run = train(cfg, mode, out_dir=out, tensorboard=False, stop_after=steps)
    return run.seconds / run.steps_run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2, help="threads of the one-process reference")
    ap.add_argument("--pairs", nargs="+", default=["images,images", "frames+tracks,frames", "images,supervised"])
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    print("| modes | alone, s/step | side by side, s/step | steps/s ratio |\n|---|---|---|---:|")
    for pair in args.pairs:
        a, b = pair.split(",")
        with ctx.Pool(1) as pool:
            alone = [pool.apply(seconds_a_step, ((m, args.threads, args.warmup, args.steps),)) for m in (a, b)]
        with ctx.Pool(2) as pool:
            both = pool.map(seconds_a_step, [(m, 1, args.warmup, args.steps) for m in (a, b)])
        ratio = (1 / both[0] + 1 / both[1]) / (2 / (alone[0] + alone[1]))
        print(
            f"| {a} + {b} | {alone[0]:.3f} / {alone[1]:.3f} | {both[0]:.3f} / {both[1]:.3f} | {ratio:.2f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
