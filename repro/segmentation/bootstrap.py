"""The paired bootstrap interval for the difference of two rows' Avg. in Table 5.

The supplement reports single numbers ("our proposed model outperforms the ImageNet-MOCO model": Region
Tracker 50.4 vs MoCo v2 49.7 on Avg.); it gives no interval. To say whether a difference between two of our
models is larger than the noise of the val objects, we resample the val crops of every class with
replacement, the same crops for both models (a paired bootstrap), and recompute the difference of their
Avg. on each draw. Inputs are the per-crop pixel counts of ``metrics.counts_per_crop``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np


def bootstrap_difference(
    counts_a: Mapping[str, np.ndarray],
    counts_b: Mapping[str, np.ndarray],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Avg.(a) - Avg.(b) in points with a paired bootstrap interval over val objects: per draw, each class's
    val crops are resampled with replacement (the same crops for both models), per-class accuracies are
    pooled over the drawn crops and averaged over classes. Returns (difference, low, high).

    Args:
        counts_a, counts_b: class -> M_c x 2 (correct, counted) pixels per val crop, same crops in both.
        n_boot: number of draws; seed: their generator; level: coverage of the interval.
    """

    def avg(ca, idx):
        return np.mean([100 * ca[c][i, 0].sum() / max(1, ca[c][i, 1].sum()) for c, i in idx.items()])

    full = {c: np.arange(len(counts_a[c])) for c in counts_a}
    diff = avg(counts_a, full) - avg(counts_b, full)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        idx = {c: rng.integers(0, len(i), len(i)) for c, i in full.items()}
        draws.append(avg(counts_a, idx) - avg(counts_b, idx))
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(diff), float(lo), float(hi)
