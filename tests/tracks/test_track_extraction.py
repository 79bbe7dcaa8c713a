"""Tracks of a frame pair: threshold (quantile or absolute), best first, greedy one-to-one matching."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from repro.tracks import extract_tracks
from repro.tracks.extract import threshold_for


def test_quantile_threshold_keeps_the_top_fraction_best_first():
    rng = np.random.default_rng(0)
    L = rng.normal(size=(10, 20))  # 200 distinct scores
    r, r2, s = extract_tracks(L, quantile=0.9, one_to_one=False)
    assert len(r) == 20  # the top 10% (ties impossible here)
    assert (np.diff(s) <= 0).all()  # best first
    np.testing.assert_array_equal(s, L[r, r2])
    assert s.min() >= np.quantile(L, 0.9) and set(zip(r.tolist(), r2.tolist())) == {
        tuple(x) for x in np.argwhere(L >= np.sort(L.ravel())[-20])
    }


def test_absolute_threshold_and_cap():
    L = np.array([[0.0, 2.0], [3.0, 1.0]])
    r, r2, s = extract_tracks(L, threshold=1.0, one_to_one=False)
    assert list(zip(r, r2)) == [(1, 0), (0, 1), (1, 1)] and list(s) == [3.0, 2.0, 1.0]
    r, _, _ = extract_tracks(L, threshold=1.0, one_to_one=False, max_tracks=2)
    assert len(r) == 2
    assert threshold_for(L, quantile=None, threshold=-5) == -5
    with pytest.raises(ValueError, match="quantile"):
        extract_tracks(L, quantile=None)
    with pytest.raises(ValueError, match="track_quantile"):
        extract_tracks(L, quantile=1.5)


def test_zero_scores_are_never_tracks():
    L = np.full((3, 3), -np.inf)
    L[1, 2] = -4.0
    r, r2, s = extract_tracks(L, quantile=0.0, one_to_one=False)
    assert list(zip(r, r2)) == [(1, 2)]
    assert len(extract_tracks(np.full((2, 2), -np.inf), quantile=0.5)[0]) == 0


def test_one_to_one_is_greedy_matching():
    rng = np.random.default_rng(1)
    for _ in range(20):
        L = rng.normal(size=(4, 5))
        r, r2, s = extract_tracks(L, quantile=0.0, one_to_one=True)
        assert len(set(r)) == len(r) and len(set(r2)) == len(r2)  # each region at most once
        assert len(r) == 4  # min(R_i, R_j) at quantile 0
        # greedy reference: repeatedly take the best entry among unused rows and columns
        rows, cols, ref = set(range(4)), set(range(5)), []
        while rows and cols:
            a, b = max(itertools.product(rows, cols), key=lambda rc: L[rc])
            ref.append((a, b))
            rows.discard(a), cols.discard(b)
        assert list(zip(r.tolist(), r2.tolist())) == ref


def test_ties_are_broken_deterministically():
    L = np.zeros((3, 3))
    r, r2, _ = extract_tracks(L, quantile=0.0, one_to_one=True)
    assert list(zip(r, r2)) == [(0, 0), (1, 1), (2, 2)]
