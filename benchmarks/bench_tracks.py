"""Benchmark of Section B's tracks: the Eq. 4-5 scores and the end-to-end `repro tracks` pipeline.

    .venv/bin/python benchmarks/bench_tracks.py [--skip-pipeline] [--repeats 3]

1. Scores for every pair (i < j) of a 60-frame x 300-region chunk (the paper's sizes):
   * ``log_track_score_chain`` (the package: one chain of products per source frame, running log scale);
   * the same number of plain float64 300 x 300 matrix products (the floor for this algorithm);
   * ``track_scores`` called once per pair (exact, no sharing between pairs);
   * the literal memoised recursion of Eq. 4-5 (kept below), timed on a slice and extrapolated by the
     number of entries it would evaluate (it would take hours on the whole chunk).
   Targets: >= 100x faster than the literal recursion; within 2x of the plain products.
2. End-to-end frames per second for the sample clips (smoke preset: ``build_samples`` into the cache
   given by $REPRO_CACHE), with 1 and 2 proposal workers, against selective search alone with the same
   number of processes. Targets: pipeline overhead over selective search alone <= 20%; parallel
   efficiency >= 80% on 2 cores. Other processes on the machine change these numbers: the load average
   is printed with them. A CPU-time breakdown per stage (read, selective search, features, scores) shows
   where the pipeline's time beyond selective search goes.

BLAS and OpenMP run single-threaded here (set before numpy loads; override by exporting the variables).
"""

from __future__ import annotations

import os

# One BLAS thread: the pipeline's parallelism is processes, and on a shared 2-core machine two spinning
# BLAS threads per process made 300 x 300 products up to 30x slower (and the timings meaningless).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repro.runtime import torch_threads  # noqa: E402
from repro.tracks.score import log_track_score_chain, region_similarities, track_scores  # noqa: E402

T, R, D = 60, 300, 64


def chunk_similarities(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(1, D)) * 2  # shared component: mostly positive similarities
    return region_similarities([base + rng.normal(size=(R, D)) for _ in range(T)])


def literal_recursion(M: list[np.ndarray]):
    """S(i, r, j, r') by Eq. 4 / Eq. 5, memoised, one entry at a time (the reference)."""
    M = [m.tolist() for m in M]

    @lru_cache(maxsize=None)
    def S(i, r, j, r2):
        if j == i + 1:
            return M[i][r][r2]
        w = (j - i - 1) / (j - i)
        return sum(w * S(i, r, j - 1, k) * M[j - 1][k][r2] for k in range(len(M[j - 1])))

    return S


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_scores(repeats: int) -> list[tuple[str, float, str]]:
    M = chunk_similarities()
    pairs = T * (T - 1) // 2

    def package():
        for i in range(T - 1):
            for _ in log_track_score_chain(M, i):
                pass

    products = sum(T - 2 - i for i in range(T - 1))  # products made by the chains: 1711
    A = [np.ascontiguousarray(m) for m in M]

    def plain():
        for i in range(T - 1):
            P = A[i]
            for l in range(i + 1, T - 1):
                P = P @ A[l]

    import torch

    At = [torch.from_numpy(a) for a in A]

    def plain_torch():
        with torch_threads(1):
            for i in range(T - 1):
                P = At[i]
                for l in range(i + 1, T - 1):
                    P = P @ At[l]

    t_pkg = best_of(package, repeats)
    t_plain = best_of(plain, repeats)
    t_plain_torch = best_of(plain_torch, repeats)
    # exact scores, one call per pair (a sample of pairs, extrapolated by product count)
    sample = [(i, j) for i in range(0, T - 1, 7) for j in range(i + 1, T, 5)]
    per_pair_products = sum(max(j - i - 1, 0) for i in range(T - 1) for j in range(i + 1, T))
    sample_products = sum(max(j - i - 1, 0) for i, j in sample)
    with np.errstate(over="ignore"):
        t = time.perf_counter()
        for i, j in sample:
            track_scores(M, i, j)
        t_per_pair = (time.perf_counter() - t) * per_pair_products / sample_products
    # literal recursion: every entry S(0, 0, j, .) for j <= J, extrapolated to all (i, r, j, r') entries
    J = 3
    S = literal_recursion(M)
    t = time.perf_counter()
    for r2 in range(R):
        S(0, 0, J, r2)
    t_slice = time.perf_counter() - t
    entries_slice = J * R  # S(0, 0, j, .) for j = 1..J
    entries_all = R * pairs * R  # every (i, r) row for every j > i
    t_literal = t_slice / entries_slice * entries_all
    return [
        ("log_track_score_chain (package), all 1770 pairs", t_pkg, "1.0x"),
        (f"{products} plain float64 300x300 products (numpy)", t_plain, f"package / plain = {t_pkg / t_plain:.2f}x"),
        (
            f"{products} plain float64 300x300 products (torch, 1 thread)",
            t_plain_torch,
            f"package / plain = {t_pkg / t_plain_torch:.2f}x",
        ),
        ("track_scores once per pair (extrapolated)", t_per_pair, f"{t_per_pair / t_pkg:.0f}x slower"),
        ("literal memoised recursion (extrapolated)", t_literal, f"{t_literal / t_pkg:,.0f}x slower"),
    ]


# ------------------------------------------------------------------------------------------- pipeline
def _ss_only(args):
    from repro.tracks.proposals import proposal_job

    return proposal_job(args)[0] is not None


def bench_pipeline(cfg, workers_list=(1, 2)) -> list[tuple[str, float, str]]:
    from repro.data import list_chunks, open_videos
    from repro.tracks.pipeline import run_tracks
    from repro.tracks.proposals import init_worker

    ds = open_videos(cfg)
    chunks = list_chunks(cfg, ds)
    seqs = sorted({(c.split, c.seq) for c in chunks})
    frames = sorted({(c.split, c.seq, f) for c in chunks for f in c.frames})
    t = cfg.tracks
    jobs = [
        (
            str(ds.frame_path(s, q, f)),
            t.proposal_mode,
            t.proposal_short_side,
            t.max_proposals,
            t.min_box_side,
            cfg.run.seed,
        )
        for s, q, f in frames
    ]
    rows = []
    for w in workers_list:
        ctx = multiprocessing.get_context("spawn")
        t0 = time.perf_counter()
        with ctx.Pool(w, initializer=init_worker) as pool:
            assert all(pool.imap(_ss_only, jobs, chunksize=2))
        ss = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run = run_tracks(cfg, workers=w, out_dir=Path(tmp))
            full = time.perf_counter() - t0
        assert run.frames_processed == len(frames), (run.frames_processed, len(frames))
        rows.append((f"selective search alone, {w} process(es)", ss, f"{len(frames) / ss:.1f} frames/s"))
        rows.append(
            (
                f"pipeline, {w} worker(s)",
                full,
                f"{len(frames) / full:.1f} frames/s; overhead over SS alone {100 * (full / ss - 1):+.0f}%",
            )
        )
    fps = {w: len(frames) / r[1] for w, r in zip(workers_list, rows[1::2])}
    if 1 in fps and 2 in fps:
        rows.append(
            ("parallel efficiency, 2 workers", fps[2] / (2 * fps[1]), f"{len(seqs)} videos, {len(frames)} frames")
        )
    return rows


def bench_stages(cfg) -> list[tuple[str, float, str]]:
    """CPU seconds per stage for the first chunk of each clip, in this process, one thread."""
    from repro.data import list_chunks, open_videos
    from repro.tracks.features import load_layer3, region_features
    from repro.tracks.pipeline import chunk_tracks
    from repro.tracks.proposals import proposals_from_config

    ds = open_videos(cfg)
    chunks = [c for c in list_chunks(cfg, ds) if c.chunk_index == 0]
    layer3 = load_layer3(cfg.tracks.track_checkpoint, cfg.tracks.track_arch, cfg.run.seed)
    cpu = {"read": 0.0, "selective search": 0.0, "features": 0.0, "scores + extraction": 0.0}
    n = 0
    for c in chunks:
        t = time.process_time()
        frames = [ds.read_frame(c.split, c.seq, f) for f in c.frames]
        cpu["read"] += time.process_time() - t
        t = time.process_time()
        boxes = [proposals_from_config(f, cfg.tracks, cfg.run.seed) for f in frames]
        cpu["selective search"] += time.process_time() - t
        t = time.process_time()
        feats = region_features(layer3, frames, boxes, feature_short_side=cfg.tracks.feature_short_side)
        cpu["features"] += time.process_time() - t
        t = time.process_time()
        chunk_tracks(c, dict(zip(c.frames, boxes)), dict(zip(c.frames, feats)), cfg)
        cpu["scores + extraction"] += time.process_time() - t
        n += len(frames)
    total = sum(cpu.values())
    return [(f"{k} ({n} frames)", v, f"{1000 * v / n:.0f} ms/frame, {100 * v / total:.0f}%") for k, v in cpu.items()]


def table(title: str, rows) -> str:
    out = [f"### {title}", "", "| what | seconds | note |", "|---|---:|---|"]
    out += [f"| {a} | {b:.3f} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-pipeline", action="store_true")
    ap.add_argument("--skip-scores", action="store_true")
    args = ap.parse_args()
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; numpy {np.__version__}; "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}\n"
    )
    if not args.skip_scores:
        print(table(f"Eq. 4-5 scores for all pairs of a {T}-frame x {R}-region chunk", bench_scores(args.repeats)))
        print()
    if not args.skip_pipeline:
        from repro.config import Config
        from repro.samples import build_samples

        cfg = Config.smoke()
        build_samples(cfg)
        os.environ.setdefault("REPRO_PROGRESS", "0")
        print(table("CPU time per stage, first chunk of each clip (one thread)", bench_stages(cfg)))
        print()
        rows = bench_pipeline(cfg)
        print(table("`repro tracks` on the sample clips (smoke preset)", rows))
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
