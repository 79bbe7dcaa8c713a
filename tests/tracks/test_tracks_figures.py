"""The checks and summary numbers of the tracks chapter (``repro.tracks.figures``), on matrices whose
answers are known."""

import numpy as np
import pytest

from repro.tracks import figures as F
from repro.tracks.quality import Quality, StoredQuality
from repro.tracks.store import StoreIndex


def _chain(seed=0, steps=5, regions=(4, 5, 3, 4, 6, 2)):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 1, (regions[t], regions[t + 1])) for t in range(steps)]


def test_similarity_stats():
    M_plain = [np.array([[0.9, 0.95], [0.97, 0.99]])]
    M = [np.array([[0.0, 0.2], [0.0, 0.4]])]
    s = F.similarity_stats(M_plain, M)
    assert s["plain_median"] == pytest.approx(0.96)
    assert s["centred_median"] == pytest.approx(0.1) and s["clipped"] == 0.5
    assert "median 0.960" in F.similarity_text(s) and "max(0, .): 0.500" in F.similarity_text(s)


def test_rank_one_share_of_an_outer_product_chain_is_one():
    a = [np.outer(np.arange(1, 4), np.arange(1, 4)).astype(float)] * 3  # rank one at every step
    shares = F.rank_one_shares(a, (1, 3))
    assert list(shares) == [1, 3] and all(v == pytest.approx(1.0) for v in shares.values())
    assert F.shares_text(shares) == "share of S(0 -> j) in its best rank-1 approximation: j = 1: 1.000, j = 3: 1.000"


def test_closed_form_check_agrees_with_the_matrix_product():
    M = _chain()
    check = F.closed_form_check(M, 5)
    assert check.relative_difference < 1e-12 and check.log_agrees
    expected = np.log(np.linalg.multi_dot(M) / 5)
    np.testing.assert_allclose(check.log_scores, expected, rtol=1e-10)
    assert check.log10_max == pytest.approx(expected.max() / np.log(10))
    assert "below 1e-12: True" in check.text()


def test_paper_bound_counts_every_path():
    # all similarities 1: S(0 -> j) = R^(j-1) / j
    assert F.paper_log10_bound(frames=4, regions=10) == pytest.approx(np.log10(10**2 / 3))
    assert round(F.paper_log10_bound()) == 142


def _quality(p):
    return Quality(
        quantiles=[0.5, 0.9],
        tracks=[10, 2],
        precision=[p, p + 0.1],
        recall=[0.5, 0.2],
        random_precision=[0.1, 0.1],
        random_recall=[0.4, 0.1],
        proposal_recall=0.8,
        pairs=3,
        instances=6,
    )


def test_quality_at_and_the_recorded_numbers():
    results = {"as written": _quality(0.3), "centred": _quality(0.5)}
    assert F.quality_at(results, 0.7) is None
    row = F.quality_at(results, 0.9)
    assert row["centred"]["precision"] == 0.6 and row["as written"]["tracks"] == 2
    index = StoreIndex("k", [{"num_tracks": 40, "num_pairs": 4}])
    check = F.closed_form_check(_chain(), 5)
    stats = F.similarity_stats([np.ones((2, 2))], [np.ones((2, 2))])
    shares = F.rank_one_shares(_chain(), (1, 5))
    h = F.headline(index, check, stats, shares, results, row)
    assert list(h)[:6] == [
        "chunks_with_tracks",
        "tracks",
        "log10_max_score",
        "plain_cosine_median",
        "rank_one_share_last",
        "proposal_recall",
    ]
    assert h["rank_one_share_last"] == shares[5] and h["tracks"] == 40
    assert h["centred.precision"] == 0.6 and "centred.tracks" not in h
    text = F.summary(index, check, 6, shares, results, row, 0.9).text
    assert "4 chunk" not in text and "1 chunk files with 40 tracks (10.0 per frame pair)" in text
    assert "at recall 0.200" in text
    assert "quantile" not in F.summary(index, check, 6, shares, results, None, 0.9).text
    assert "not checked against it" in text and "world.precision" not in h
    world = StoredQuality(
        ["s/a", "s/b"], np.array([30, 10]), np.array([0.5, 0.1]), np.array([0.6, 0.4]), np.full(2, 0.2)
    )
    h = F.headline(index, check, stats, shares, results, row, world)
    assert h["world.videos"] == 2 and h["world.precision"] == pytest.approx(0.4)  # weighted by tracks: 16 / 40
    assert h["world.training_precision"] == pytest.approx(0.5) and h["world.gain"] == pytest.approx(0.3)
    text = F.summary(index, check, 6, shares, results, row, 0.9, world).text
    assert "On the 2 world videos" in text and "probability 0.500, against 0.200" in text
