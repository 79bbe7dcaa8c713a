"""Tracks of one frame pair: the region pairs (z_i^r, z_j^{r'}) whose score S(i->j) is above a threshold.

"For any pair of frames, we only consider tracks that have a score above a chosen threshold." The text does
not give the threshold. The raw score is not comparable across pairs: S(i->j) sums the similarity products
of every path, so its size grows roughly like R^(j-i-1) with the number of regions R and the gap j - i
(see ``repro.tracks.score``). A fixed threshold would keep everything for long gaps and nothing for short
ones. So the default threshold is a *quantile* of the pair's own scores (``track_quantile``, 0.9: the top
10% of the R_i x R_j region pairs), which is invariant to that scale; an absolute threshold on the log
score is the alternative (``threshold=``). The notebook "Generating tracks" shows precision and recall
against the quantile on synthetic videos with known objects, which is how to choose it.

One-to-one matching (``one_to_one``, default on): candidates are taken best first and a candidate is kept
only if neither of its regions is already in a kept track (greedy matching), so each region of frame i
is tracked to at most one region of frame j and vice versa. Without it every region pair above the
threshold is a track (a region can then appear in many tracks).
"""

from __future__ import annotations

import numpy as np


def threshold_for(log_scores: np.ndarray, quantile: float | None = None, threshold: float | None = None) -> float:
    """The log-score threshold: ``threshold`` if given, else the ``quantile`` of the finite scores."""
    if threshold is not None:
        return float(threshold)
    if quantile is None:
        raise ValueError("give a quantile (e.g. track_quantile=0.9) or an absolute log threshold")
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"track_quantile must lie in [0, 1], got {quantile}")
    finite = log_scores[np.isfinite(log_scores)]
    if finite.size == 0:
        return np.inf
    return float(np.quantile(finite, quantile))


def greedy_one_to_one(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Indices of the candidates kept by greedy matching; candidates must be sorted best first."""
    used_r, used_c = set(), set()
    keep = []
    limit = min(len(np.unique(rows)), len(np.unique(cols))) if len(rows) else 0
    for n, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):
        if r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        keep.append(n)
        if len(keep) == limit:  # no candidate can be added any more
            break
    return np.asarray(keep, dtype=np.int64)


def extract_tracks(
    log_scores: np.ndarray,
    quantile: float | None = 0.9,
    threshold: float | None = None,
    one_to_one: bool = True,
    max_tracks: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tracks of one frame pair, best first.

    Args:
        log_scores: R_i x R_j log S(i->j) (``log_track_scores``).
        quantile: keep pairs whose score is at or above this quantile of the pair's finite scores.
        threshold: an absolute log-score threshold instead (overrides ``quantile``).
        one_to_one: greedy one-to-one matching (module docstring).
        max_tracks: keep at most this many (None: all).
    Returns:
        (r, r', log_score): region indices in frame i and frame j and the track's log score, sorted by
        decreasing score (ties: by r, then r'). Pairs with score 0 (log -inf) are never tracks.
    """
    log_scores = np.asarray(log_scores, dtype=np.float64)
    thr = threshold_for(log_scores, quantile, threshold)
    rows, cols = np.nonzero(np.isfinite(log_scores) & (log_scores >= thr))
    vals = log_scores[rows, cols]
    order = np.lexsort((cols, rows, -vals))  # best first, deterministic ties
    rows, cols, vals = rows[order], cols[order], vals[order]
    if one_to_one:
        keep = greedy_one_to_one(rows, cols)
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    if max_tracks is not None:
        rows, cols, vals = rows[:max_tracks], cols[:max_tracks], vals[:max_tracks]
    return rows.astype(np.int64), cols.astype(np.int64), vals
