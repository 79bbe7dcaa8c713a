"""Speed and memory of the invariance measures (issue: Section A, "Performance").

N = 20,000 samples, n = 2048 units, 100 classes, trajectories of 10. Each measure is timed against

* a straightforward reference written with loops over classes and trajectories (numpy, vectorised over
  units only; the released ``measure_invariances.py`` is written this way), from the tests' references
  (tests/invariance/naive_invariance.py, where a test checks them against the definitions);
* the floor: one ``torch.sort`` of the activation matrix along the sample axis (every threshold is an
  order statistic per unit). Both layouts are timed: samples as the strided axis (``torch.sort(acts,
  dim=0)`` on the N x n matrix) and as the contiguous one (``acts.T.contiguous()`` sorted along dim 1).

Peak memory is the growth of the process's peak resident set while the measure runs (``/proc``, Linux),
measured in a forked child per measure, as a multiple of the activation matrix. Targets: >= 50x faster
than the reference, within 3x of the sort, peak <= 4x the activation matrix.

    .venv/bin/python benchmarks/bench_invariance.py [--samples 20000 --units 2048 --classes 100 --length 10]
                                                    [--threads 1] [--repeat 3]

On a shared machine whose cores are taken by other jobs, pass --threads 1: torch's OpenMP regions stall
when one of their threads is descheduled, which inflates every multi-threaded time by up to 50x.
The references are NumPy, whose sort is single-threaded (and SIMD): it is part of their time too.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "invariance"))
import naive_invariance as naive  # noqa: E402

from repro.invariance import class_conditional_invariance, goodfellow_invariance, released_code_invariance  # noqa: E402


# --------------------------------------------------------------------------- measurement
def make_data(N, n, C, length, seed=0):
    """ReLU-like activations with a trajectory-level component (so local rates are not trivial)."""
    g = torch.Generator().manual_seed(seed)
    T = N // length
    traj = torch.arange(N) // length
    labels = (torch.arange(T) * C // T)[traj]
    acts = torch.randn(N, n, generator=g) + 1.5 * torch.randn(T, n, generator=g)[traj]
    return acts.clamp_(min=0), traj, labels


def best_time(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _status():
    text = Path("/proc/self/status").read_text()
    return {k: int(re.search(rf"{k}:\s+(\d+)", text).group(1)) * 1024 for k in ("VmRSS", "VmHWM")}


def peak_extra_bytes(case: str, args) -> float:
    """Peak resident growth while one measure runs, in a fresh interpreter (fork would deadlock torch's
    thread pool): the child builds the same data, resets its peak (VmHWM) to the current RSS, runs the
    measure once and reports the growth of the peak."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--samples",
        str(args.samples),
        "--units",
        str(args.units),
        "--classes",
        str(args.classes),
        "--length",
        str(args.length),
        "--threads",
        str(args.threads),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def _child(case: str, args) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    warm = make_data(200, max(K, 32), min(args.classes, 10), 10)  # first-call set-up is not the measure's
    dict((name, fast) for name, fast, _ in _cases(*warm, None, None, None))[case]()
    acts, traj, labels = make_data(args.samples, args.units, args.classes, args.length)
    fn = dict((name, fast) for name, fast, _ in _cases(acts, traj, labels, None, None, None))[case]
    Path("/proc/self/clear_refs").write_text("5")
    base = _status()["VmRSS"]
    fn()
    print(_status()["VmHWM"] - base)


K = 25


def _cases(acts, traj, labels, acts_np, traj_np, labels_np):
    return [
        (
            "goodfellow_invariance",
            lambda: goodfellow_invariance(acts, traj).score,
            lambda: naive.goodfellow_by_trajectory(acts_np, traj_np),
        ),
        ("goodfellow_invariance(signed=True)", lambda: goodfellow_invariance(acts, traj, signed=True).score, None),
        (
            f"class_conditional_invariance(K={K})",
            lambda: class_conditional_invariance(acts, traj, labels, K).score,
            lambda: naive.class_conditional_by_trajectory(acts_np, traj_np, labels_np, K),
        ),
        (
            f"class_conditional_invariance(K={K}, signed=True)",
            lambda: class_conditional_invariance(acts, traj, labels, K, signed=True).score,
            None,
        ),
        (
            f"class_conditional_invariance(K={K}, local_rate='all')",
            lambda: class_conditional_invariance(acts, traj, labels, K, local_rate="all").score,
            None,
        ),
        (
            "released_code_invariance(10, 25)",
            lambda: released_code_invariance(acts, traj, labels),
            lambda: naive.released(acts_np, traj_np, labels_np),
        ),
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--units", type=int, default=2048)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--length", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch intra-op threads (0 = torch's default); on a shared, oversubscribed machine "
        "1 thread gives stable numbers (OpenMP regions stall when a core is taken)",
    )
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        _child(args.child, args)
        return 0
    N, n, C, length = args.samples, args.units, args.classes, args.length
    acts, traj, labels = make_data(N, n, C, length)
    acts_np, traj_np, labels_np = acts.numpy(), traj.numpy(), labels.numpy()
    act_bytes = acts.element_size() * acts.numel()

    floor_dim0 = best_time(lambda: torch.sort(acts, dim=0), 1)
    floor_contig = best_time(lambda: torch.sort(acts.T.contiguous(), dim=1), 1)

    cases = _cases(acts, traj, labels, acts_np, traj_np, labels_np)
    rows = []
    for name, fast, ref in cases:
        value = fast()
        t_fast = best_time(fast, args.repeat)
        peak = peak_extra_bytes(name, args) / act_bytes
        t_ref = speedup = float("nan")
        if ref is not None:
            start = time.perf_counter()
            expected = ref()
            t_ref = time.perf_counter() - start
            speedup = t_ref / t_fast
            if isinstance(value, dict):
                assert all(abs(value[k] - expected[k]) <= 1e-9 * abs(expected[k]) for k in expected), (value, expected)
            else:
                assert abs(value - expected) <= 1e-9 * abs(expected), (name, value, expected)
        rows.append((name, t_fast, t_ref, speedup, t_fast / floor_dim0, t_fast / floor_contig, peak))

    print(
        f"N = {N} samples, n = {n} units, {C} classes, trajectories of {length}; float32 activations "
        f"({act_bytes / 2**20:.0f} MiB); torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"best of {args.repeat}; references run once and agree with the fast results.\n"
    )
    print(
        f"Floor: torch.sort along the sample axis: {floor_dim0:.2f} s (samples strided, dim 0 of N x n), "
        f"{floor_contig:.2f} s (samples contiguous, incl. the transpose copy); each timed once.\n"
    )
    print(
        "| measure | time (s) | loop reference (s) | speed-up vs reference | x sort (dim 0) "
        "| x sort (contiguous) | peak extra memory (x acts) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, t_fast, t_ref, speedup, r0, r1, peak in rows:
        ref_s = "-" if np.isnan(t_ref) else f"{t_ref:.2f}"
        sp_s = "-" if np.isnan(speedup) else f"{speedup:.0f}x"
        print(f"| `{name}` | {t_fast:.3f} | {ref_s} | {sp_s} | {r0:.2f} | {r1:.2f} | {peak:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
