"""Chapter 00's sample data (issue 11's time budget): each part built alone, then every part built one after
the other (``sample_workers=0``, the reference) against ``sample_workers`` processes at once, interleaved
(median of ``--repeats``), each into a fresh folder, with the files checked to be the same.

    .venv/bin/python benchmarks/bench_samples.py [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.samples import _build, _parts, build_samples, samples_root  # noqa: E402


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def build(cfg: Config, workers: int, into: Path) -> tuple[float, dict[str, bytes]]:
    cfg = cfg.replace(sample_workers=workers, cache_dir=str(into))
    t = time.perf_counter()
    build_samples(cfg)
    return time.perf_counter() - t, files(samples_root(cfg))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cfg = Config.smoke()
    with tempfile.TemporaryDirectory() as tmp:
        for part, params in _parts(cfg).items():
            t = time.perf_counter()
            _build(Path(tmp) / "parts", part, params)
            print(f"  {part:18s} {time.perf_counter() - t:6.2f} s alone")
        times: dict[int, list[float]] = {0: [], args.workers: []}
        for r in range(args.repeats):
            built = {w: build(cfg, w, Path(tmp) / f"r{r}w{w}") for w in times}
            for w, (seconds, _) in built.items():
                times[w].append(seconds)
            same = built[0][1] == built[args.workers][1]
            if not same:
                raise SystemExit("the parallel build wrote other files")
    med = {w: statistics.median(v) for w, v in times.items()}
    print(
        f"one after the other: {med[0]:.2f} s; {args.workers} processes: {med[args.workers]:.2f} s "
        f"({med[0] / med[args.workers]:.2f}x); the same files: {same}"
    )


if __name__ == "__main__":
    main()
