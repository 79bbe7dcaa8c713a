"""Uncertainty of a comparison: the paired bootstrap over the items both sides were measured on."""

from __future__ import annotations

import numpy as np

DRAWS = 2000


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, draws: int = DRAWS, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """mean(a) - mean(b) and its percentile bootstrap interval at ``level``, resampling the items (paired:
    item i of ``a`` and of ``b`` are drawn together). a, b: per-item scores of equal length (e.g. 0/1 for
    a correct kNN prediction)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired scores must be two non-empty vectors of one length, got {a.shape} and {b.shape}")
    d = a - b
    idx = np.random.default_rng(seed).integers(0, len(d), (draws, len(d)))  # idx: draws x n
    means = d[idx].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(d.mean()), float(lo), float(hi)
