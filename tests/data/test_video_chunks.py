"""Chunks ("4 temporal chunks of 60 consecutive frames ... maximally spaced apart") and frame pairs
(V_pairs and "at least k = 40 frames apart")."""

from __future__ import annotations

import logging
from collections import Counter
from fractions import Fraction
from math import floor

import numpy as np
import pytest

from repro.config import Config
from repro.data import (
    TrackingNet,
    chunk_starts,
    frame_pairs,
    list_chunks,
    pairs_at_least,
    sample_frame_pair,
    track_pairs,
)
from repro.errors import ConfigError


def starts_by_formula(n: int, num_chunks: int, chunk_len: int) -> list[int]:
    """start_c = round(c (n - L) / (num_chunks - 1)), rounding halves up, in exact rationals."""
    return [floor(Fraction(c * (n - chunk_len), num_chunks - 1) + Fraction(1, 2)) for c in range(num_chunks)]


@pytest.mark.parametrize(
    "n, expected",
    [
        (59, []),  # shorter than a chunk: no chunk
        (60, [0, 0, 0, 0]),  # exactly one chunk long: four identical chunks
        (239, [0, 60, 119, 179]),  # one frame short of 4 disjoint chunks: neighbours overlap
        (240, [0, 60, 120, 180]),  # exactly 4 disjoint chunks, back to back
        (1000, [0, 313, 627, 940]),  # 940 / 3 = 313.33, 626.67
    ],
)
def test_chunk_starts_paper_values_on_edge_lengths(n, expected):
    assert chunk_starts(n) == expected
    assert chunk_starts(n, num_chunks=4, chunk_len=60) == expected


@pytest.mark.parametrize("num_chunks, chunk_len", [(4, 60), (3, 7), (2, 1), (5, 24)])
def test_chunk_starts_match_formula_and_are_maximally_spaced(num_chunks, chunk_len):
    for n in range(chunk_len, 4 * num_chunks * chunk_len + 3):
        s = chunk_starts(n, num_chunks, chunk_len)
        assert s == starts_by_formula(n, num_chunks, chunk_len)
        assert s[0] == 0 and s[-1] == n - chunk_len  # first at the start, last at the end
        gaps = np.diff(s)
        assert gaps.min() >= 0 and gaps.max() - gaps.min() <= 1  # as evenly spaced as integers allow
        if n >= num_chunks * chunk_len:  # long enough: chunks never overlap
            assert gaps.min() >= chunk_len


def test_chunk_starts_rounds_halves_up():
    # n - L = 3 with 3 chunks: the middle start is 1.5 -> 2 (Python's round would give 2 here but 0.5 -> 0)
    assert chunk_starts(13, 3, 10) == [0, 2, 3]
    assert chunk_starts(11, 3, 10) == [0, 1, 1]  # 0.5 -> 1


def test_chunk_starts_single_chunk_and_bad_arguments():
    assert chunk_starts(100, num_chunks=1, chunk_len=60) == [0]
    assert chunk_starts(0, 4, 60) == []
    for bad in [
        dict(num_frames=-1),
        dict(num_frames=10, num_chunks=0),
        dict(num_frames=10, chunk_len=0),
        dict(num_frames=10.5),
    ]:
        with pytest.raises(ConfigError):
            chunk_starts(**bad)


def test_frame_pairs_is_v_pairs():
    assert frame_pairs() == [(0, 40)]  # paper: chunk_len 60, k 40
    assert frame_pairs(24, 8) == [(0, 8), (8, 16)]  # 16 + 8 = 24 is not < 24
    assert frame_pairs(25, 8) == [(0, 8), (8, 16), (16, 24)]
    for L in range(1, 30):
        for k in range(1, 12):
            expected = {(i, i + k) for i in range(L) if i % k == 0 and i + k < L}
            got = frame_pairs(L, k)
            assert set(got) == expected and len(got) == len(expected)
            assert got == sorted(got)


def test_pairs_at_least_and_uniform_sampling():
    assert len(pairs_at_least()) == 20 * 21 // 2  # (60 - 40)(60 - 40 + 1) / 2 = 210
    L, k = 9, 4
    support = pairs_at_least(L, k)
    assert set(support) == {(i, j) for i in range(L) for j in range(L) if j - i >= k}
    rng = np.random.default_rng(0)
    draws = [sample_frame_pair(L, k, rng) for _ in range(6000)]
    counts = Counter(draws)
    assert set(counts) == set(support)  # every admissible pair, nothing else
    expected = len(draws) / len(support)
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 2 * len(support) + 30  # df = 14; a biased sampler is far above
    # deterministic by seed
    assert [sample_frame_pair(L, k, 3) for _ in range(3)] == [sample_frame_pair(L, k, 3)] * 3
    a = [sample_frame_pair(60, 40, np.random.default_rng(7)) for _ in range(2)]
    assert a[0] == a[1]


def test_sample_frame_pair_rejects_gap_longer_than_chunk():
    with pytest.raises(ConfigError, match="pair_gap"):
        sample_frame_pair(10, 10)
    assert sample_frame_pair(10, 9, 0) == (0, 9)


def test_track_pairs_modes():
    assert track_pairs(60, 40, "grid") == [(0, 40)]
    assert len(track_pairs(60, 40, "random")) == 210
    with pytest.raises(ConfigError, match="pair_mode"):
        track_pairs(60, 40, "every")


def test_list_chunks_of_a_dataset(tn_root, caplog):
    cfg = Config.smoke().replace(
        trackingnet_root=str(tn_root), trackingnet_splits=("TRAIN_0", "TRAIN_1"), chunk_len=20, num_chunks=4, pair_gap=5
    )
    ds = TrackingNet(tn_root, ("TRAIN_0", "TRAIN_1"))
    with caplog.at_level(logging.WARNING, logger="repro.data"):
        chunks = list_chunks(cfg, ds)
    assert "1 video(s) shorter than chunk_len=20" in caplog.text and "TRAIN_0/short (5)" in caplog.text
    names = [(c.split, c.seq, c.chunk_index, c.start) for c in chunks]
    assert names == (
        [("TRAIN_0", "gappy", c, s) for c, s in enumerate(chunk_starts(30, 4, 20))]
        + [("TRAIN_0", "long", c, s) for c, s in enumerate(chunk_starts(100, 4, 20))]
        + [("TRAIN_1", "other", c, s) for c, s in enumerate(chunk_starts(61, 4, 20))]
    )
    c = chunks[5]  # long, chunk 1
    assert c.start == 27 and list(c.frames) == list(range(27, 47)) and c.num_frames == 100
    assert c.frame_paths[0] == c.frame_path(27) == tn_root / "TRAIN_0" / "frames" / "long" / "27.jpg"
    assert len(c.frame_paths) == 20
    assert all(p.is_file() for p in c.frame_paths)
    assert c.pairs(5, "grid") == [(27, 32), (32, 37), (37, 42)]
    assert c.name == "TRAIN_0/long__c1"
    gappy = [c for c in chunks if c.seq == "gappy"]
    assert all(c.missing == ((7,) if 7 in c.frames else ()) for c in gappy)
    # the config's dataset is used when none is given
    assert [c.name for c in list_chunks(cfg)] == [c.name for c in chunks]
