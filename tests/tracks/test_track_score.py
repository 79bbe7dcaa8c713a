"""Eq. 4-5: region_similarities, track_scores (exact), log_track_scores (running log scale), the identity
S(i->j) = (1/(j-i)) M_i ... M_{j-1}."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repro.tracks import log_track_score_chain, log_track_scores, region_similarities, track_scores


def random_features(rng, counts, d=6):
    return [rng.normal(size=(r, d)) for r in counts]


def test_region_similarities_are_clipped_cosines():
    rng = np.random.default_rng(0)
    F = random_features(rng, [3, 5, 1, 4])
    M = region_similarities(F)
    assert [m.shape for m in M] == [(3, 5), (5, 1), (1, 4)]
    for t, m in enumerate(M):
        assert m.dtype == np.float64
        for r in range(len(F[t])):
            for r2 in range(len(F[t + 1])):
                a, b = F[t][r], F[t + 1][r2]
                assert m[r, r2] == pytest.approx(max(0.0, a @ b / np.linalg.norm(a) / np.linalg.norm(b)), abs=1e-12)
    # tensors are accepted; identical features have similarity 1; a zero vector has similarity 0
    f = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    m = region_similarities([f, f])[0]
    np.testing.assert_allclose(m, [[1, 0], [0, 0]], atol=1e-12)


def test_region_similarities_centering_subtracts_the_mean_of_all_regions():
    rng = np.random.default_rng(1)
    F = [np.abs(rng.normal(size=(r, 8))) + 3 for r in (4, 6, 5)]  # all positive: plain cos is near 1
    plain = region_similarities(F)
    assert min(m.min() for m in plain) > 0.8
    mean = np.concatenate(F).mean(0)
    for a, b in zip(region_similarities(F, center=True), region_similarities([f - mean for f in F])):
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert min(m.min() for m in region_similarities(F, center=True)) == 0.0  # max(0, .) now acts


def test_region_similarities_reject_bad_shapes():
    with pytest.raises(ValueError, match="R_t x d"):
        region_similarities([np.zeros(3), np.zeros(3)])
    with pytest.raises(ValueError, match="feature width"):
        region_similarities([np.zeros((2, 3)), np.zeros((2, 4))])


@pytest.mark.parametrize("counts", [[2, 3, 1, 4, 2, 3], [1, 1, 1, 1], [4, 2, 5, 3, 3, 1, 2]])
def test_track_scores_equal_the_literal_recursion(counts, literal_track_score):
    rng = np.random.default_rng(len(counts))
    M = region_similarities(random_features(rng, counts, d=3))
    S_ref = literal_track_score(M)
    T = len(counts)
    for i in range(T - 1):
        for j in range(i + 1, T):
            S = track_scores(M, i, j)
            assert S.shape == (counts[i], counts[j]) and S.dtype == np.float64
            ref = np.array([[S_ref(i, r, j, r2) for r2 in range(counts[j])] for r in range(counts[i])])
            np.testing.assert_allclose(S, ref, rtol=1e-12, atol=1e-15)


def test_identity_scores_are_the_scaled_matrix_product():
    """S(i->j) = (1/(j-i)) M_i M_{i+1} ... M_{j-1} (proof in repro.tracks.score)."""
    rng = np.random.default_rng(3)
    counts = [5, 3, 6, 4, 2, 5, 7, 3]
    M = region_similarities(random_features(rng, counts))
    for i in range(len(counts) - 1):
        for j in range(i + 1, len(counts)):
            product = np.linalg.multi_dot(M[i:j]) if j - i > 1 else M[i]
            np.testing.assert_allclose(track_scores(M, i, j), product / (j - i), rtol=1e-12)


def test_log_scores_match_log_of_exact_scores_including_zeros():
    rng = np.random.default_rng(4)
    counts = [4, 3, 5, 2, 4]
    F = random_features(rng, counts)
    F[2][1] = 0.0  # a region similar to nothing
    F[0][3] = -F[1].sum(0) * 10  # a region opposed to every region of frame 1: zero row
    M = region_similarities(F)
    assert (M[0][3] == 0).all()
    for i in range(len(counts) - 1):
        for j in range(i + 1, len(counts)):
            S = track_scores(M, i, j)
            L = log_track_scores(M, i, j)
            assert ((S == 0) == np.isneginf(L)).all()
            np.testing.assert_allclose(L[S > 0], np.log(S[S > 0]), rtol=1e-12)
    assert np.isneginf(log_track_scores(M, 0, 4)[3]).all()


def test_log_scores_are_finite_where_plain_scores_overflow():
    """All similarities 1: S(0->n) = R^(n-1) / n exactly (every one of the R^(n-1) paths scores 1)."""
    ones = [np.ones((300, 300))] * 59  # a 60-frame chunk, 300 regions
    L = log_track_scores(ones, 0, 59)
    np.testing.assert_allclose(L, 58 * np.log(300) - np.log(59), rtol=1e-13)
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(track_scores(ones, 0, 59))).all()  # ~1e141: beyond float32
    ones = [np.ones((20, 20))] * 300  # 20^299 ~ 1e389: beyond float64
    L = log_track_scores(ones, 0, 300)
    assert np.isfinite(L).all()
    np.testing.assert_allclose(L, 299 * np.log(20) - np.log(300), rtol=1e-13)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isinf(track_scores(ones, 0, 300)).all()


def test_log_scores_on_a_long_random_chunk_match_a_rescaled_product():
    """60 frames x 300 regions of near-identical features: S reaches ~1e140; compare with a product
    rescaled by a constant at every step (a different scaling scheme)."""
    rng = np.random.default_rng(5)
    base = rng.normal(size=(1, 16)) * 3
    F = [base + rng.normal(size=(300, 16)) for _ in range(60)]
    M = region_similarities(F)
    L = log_track_scores(M, 0, 59)
    assert np.isfinite(L).all() and L.max() > np.log(np.finfo(np.float32).max)
    P, c = M[0] / 100.0, np.log(100.0)
    for m in M[1:]:
        P = (P @ m) / 100.0
        c += np.log(100.0)
    np.testing.assert_allclose(L, np.log(P) + c - np.log(59), rtol=1e-10)


def test_chain_yields_every_target_like_single_calls():
    rng = np.random.default_rng(6)
    M = region_similarities(random_features(rng, [3, 4, 2, 5, 3, 2]))
    got = dict(log_track_score_chain(M, 1))
    assert sorted(got) == [2, 3, 4, 5]
    for j, L in got.items():
        np.testing.assert_allclose(L, log_track_scores(M, 1, j), rtol=1e-13)
    assert [j for j, _ in log_track_score_chain(M, 0, [4, 2])] == [2, 4]


def test_bad_ranges_and_mismatched_counts_are_errors():
    M = [np.ones((2, 3)), np.ones((3, 2))]
    for i, j in ((1, 1), (2, 1), (0, 3), (-1, 1)):
        with pytest.raises(ValueError, match="need 0 <= i < j"):
            track_scores(M, i, j)
    with pytest.raises(ValueError, match="region counts disagree"):
        log_track_scores([np.ones((2, 3)), np.ones((2, 2))], 0, 2)
