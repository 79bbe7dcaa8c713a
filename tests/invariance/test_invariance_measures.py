"""The three invariance measures against naive loop references, hand-computed tiny cases, the analytic
discriminative-unit case of the supplement, and every bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from repro.invariance import measures
from repro.invariance.measures import class_conditional_invariance, goodfellow_invariance, released_code_invariance

# --------------------------------------------------------------------------- tiny hand-computed case
# One unit, 10 samples, trajectories A = {0,1,2}, B = {3,4} (class "a"), C = {5,6,7}, D = {8,9} ("b").
TINY_H = np.array([[9.0], [8.0], [1.0], [7.0], [2.0], [6.0], [0.5], [0.4], [0.3], [0.2]])
TINY_T = np.array(["A", "A", "A", "B", "B", "C", "C", "C", "D", "D"])
TINY_Y = np.array(["a"] * 5 + ["b"] * 5)


def test_goodfellow_tiny_by_hand():
    # rate 0.4 -> m = 4 fire (9, 8, 7, 6); t = 5th largest = 2; c_A = 2, c_B = 1, c_C = 1, c_D = 0
    # L = (2*2/3 + 1*1/2 + 1*1/3) / 4 = 13/24; G = 0.4; I = 65/48
    r = goodfellow_invariance(TINY_H, TINY_T, firing_rate=0.4, top_fraction=1.0)
    assert r.thresholds.item() == 2.0
    assert r.global_rates.item() == pytest.approx(0.4)
    assert r.local_rates.item() == pytest.approx(13 / 24)
    assert r.score == pytest.approx(65 / 48)
    # "all": every sample with its trajectory: (1/N) sum_T c_T = 0.4 = G, so I = 1
    assert goodfellow_invariance(TINY_H, TINY_T, 0.4, 1.0, local_rate="all").score == pytest.approx(1.0)


def test_class_conditional_tiny_by_hand():
    # P(a) = P(b) = 0.5 -> m = 5 -> t = 6th largest = 1; firing: samples 0, 1, 3, 4, 5
    # class a: A (c=2 of 3), B (c=2 of 2): L_a = (4/3 + 4/2) / 4 = 5/6, I_a = 5/3
    # class b: C (c=1 of 3), D (c=0):     L_b = (1/3) / 1 = 1/3,   I_b = 2/3;  Eq. 3 with K=1: 7/6
    r = class_conditional_invariance(TINY_H, TINY_T, TINY_Y, top_k=1)
    assert r.classes == ("a", "b")
    assert torch.allclose(r.thresholds, torch.tensor([[1.0], [1.0]], dtype=torch.float64))
    assert torch.allclose(r.local_rates, torch.tensor([[5 / 6], [1 / 3]], dtype=torch.float64))
    assert torch.allclose(r.unit_scores, torch.tensor([[5 / 3], [2 / 3]], dtype=torch.float64))
    assert r.score == pytest.approx(7 / 6)
    # "all": L_a = 4/5, L_b = 1/5 -> I = 1.6, 0.4 -> 1.0
    assert class_conditional_invariance(TINY_H, TINY_T, TINY_Y, 1, local_rate="all").score == pytest.approx(1.0)


def test_released_tiny_by_hand():
    # C = 2 -> p = 50, index = 5; ascending sort .2 .3 .4 .5 1 2 6 7 8 9: positive t = 2, negative t = 1
    # G = #(h >= 2)/10 = 0.5; B and D have < 3 samples (skipped)
    # A: #(>2) = 2, #(<1) = 0 -> 2/3;  C: #(>2) = 1, #(<1) = 2 -> 2/3;  L_a = L_b = 2/3
    # per class (2/3)/0.5 = 4/3; times (100 - 50)
    out = released_code_invariance(TINY_H, TINY_T, TINY_Y, top_ks=(1,))
    assert out == {1: pytest.approx(4 / 3 * 50)}


def test_signed_takes_the_better_sign():
    # s = -1 on TINY_H: fires on the 4 smallest (h < 1): C (2 of 3), D (2 of 2): L = (4/3 + 4/2)/4 = 5/6,
    # I = 25/12 > 65/48 of s = +1; the threshold is reported in the s·h space: -h > -1
    r = goodfellow_invariance(TINY_H, TINY_T, 0.4, 1.0, signed=True)
    assert r.signs.item() == -1 and r.thresholds.item() == -1.0
    assert r.score == pytest.approx(25 / 12)
    flipped = goodfellow_invariance(-TINY_H, TINY_T, 0.4, 1.0, signed=True)
    assert flipped.signs.item() == 1 and flipped.score == pytest.approx(25 / 12)
    assert goodfellow_invariance(TINY_H, TINY_T, 0.4, 1.0).signs.item() == 1


# --------------------------------------------------------------------------- against naive references
@pytest.mark.parametrize("local_rate", ["firing", "all"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("seed,firing_rate,top_fraction", [(0, 0.01, 0.2), (1, 0.1, 0.5), (2, 0.3, 1.0)])
def test_goodfellow_matches_naive(naive, make_trajectories, local_rate, signed, seed, firing_rate, top_fraction):
    acts, traj, labels = make_trajectories(seed, num_classes=4, n=7)
    got = goodfellow_invariance(acts, traj, firing_rate, top_fraction, local_rate=local_rate, signed=signed)
    ref = naive.goodfellow(acts, traj, firing_rate, top_fraction, local_rate=local_rate, signed=signed)
    assert got.score == pytest.approx(ref["score"], rel=1e-12)
    np.testing.assert_allclose(got.unit_scores.numpy(), ref["I"], rtol=1e-12)
    np.testing.assert_allclose(got.global_rates.numpy(), ref["G"], rtol=1e-12)
    np.testing.assert_allclose(got.local_rates.numpy(), ref["L"], rtol=1e-12)
    if local_rate == "firing":  # under "all" I = 1 for both signs: the choice of sign is a tie
        np.testing.assert_allclose(got.thresholds.numpy(), ref["t"], rtol=1e-6)
        np.testing.assert_array_equal(got.signs.numpy(), ref["s"])
    else:
        assert torch.all(got.unit_scores == 1.0)


@pytest.mark.parametrize("local_rate", ["firing", "all"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("seed,num_classes,top_k", [(3, 2, 1), (4, 5, 3), (5, 9, 6)])
@pytest.mark.parametrize("global_rate", ["nominal", "realised"])
def test_class_conditional_matches_naive(
    naive, make_trajectories, local_rate, signed, seed, num_classes, top_k, global_rate
):
    # 2 classes take the full-sort path for the order statistics, 5 and 9 the partial (topk) one
    acts, traj, labels = make_trajectories(seed, num_classes=num_classes, n=6)
    kw = dict(local_rate=local_rate, signed=signed, global_rate=global_rate)
    got = class_conditional_invariance(acts, traj, labels, top_k, **kw)
    ref = naive.class_conditional(acts, traj, labels, top_k, **kw)
    assert list(got.classes) == ref["classes"]
    assert got.score == pytest.approx(ref["score"], rel=1e-12)
    np.testing.assert_allclose(got.unit_scores.numpy(), ref["I"], rtol=1e-12)
    np.testing.assert_allclose(got.global_rates.numpy(), ref["G"], rtol=1e-12)
    np.testing.assert_allclose(got.local_rates.numpy(), ref["L"], rtol=1e-12)


@pytest.mark.parametrize("seed,num_classes", [(11, 2), (12, 5)])
def test_benchmark_loop_references_match_naive(naive, make_trajectories, seed, num_classes):
    """benchmarks/bench_invariance.py times the measures against these faster references."""
    acts, traj, labels = make_trajectories(seed, num_classes=num_classes, n=7)
    assert naive.goodfellow_by_trajectory(acts, traj, 0.1, 0.5) == pytest.approx(
        naive.goodfellow(acts, traj, 0.1, 0.5)["score"], rel=1e-12
    )
    acts = np.maximum(np.round(acts), 0)  # ties at zero: the two readings of G_y differ
    for rate in ("nominal", "realised"):
        assert naive.class_conditional_by_trajectory(acts, traj, labels, 3, rate) == pytest.approx(
            naive.class_conditional(acts, traj, labels, 3, global_rate=rate)["score"], rel=1e-12
        )


@pytest.mark.parametrize("seed,num_classes,top_ks", [(6, 2, (1, 3)), (7, 4, (2,)), (8, 25, (1, 5, 8))])
def test_released_matches_script(naive, make_trajectories, seed, num_classes, top_ks):
    # 25 classes: firing percent capped at 95
    acts, traj, labels = make_trajectories(seed, num_classes=num_classes, n=8, trajectories_per_class=(1, 3))
    got = released_code_invariance(acts, traj, labels, top_ks)
    ref = naive.released(acts, traj, labels, top_ks)
    assert set(got) == set(top_ks)
    for k in top_ks:
        assert got[k] == pytest.approx(ref[k], rel=1e-12)


def test_released_with_ties_matches_script(naive, make_trajectories):
    """Quantised (ReLU-like) activations: many ties at the thresholds, where >= and > differ."""
    acts, traj, labels = make_trajectories(9, num_classes=3, n=5)
    acts = np.maximum(np.round(acts), 0)
    got = released_code_invariance(acts, traj, labels, (1, 2))
    ref = naive.released(acts, traj, labels, (1, 2))
    assert got == {k: pytest.approx(v, rel=1e-12) for k, v in ref.items()}


@pytest.mark.parametrize("global_rate", ["nominal", "realised"])
def test_ties_fire_on_fewer_and_each_reading_divides_by_its_rate(naive, make_trajectories, global_rate):
    acts, traj, labels = make_trajectories(10, num_classes=3, n=5)
    acts = np.maximum(np.round(acts), 0)
    for signed in (False, True):
        got = class_conditional_invariance(acts, traj, labels, 2, signed=signed, global_rate=global_rate)
        ref = naive.class_conditional(acts, traj, labels, 2, signed=signed, global_rate=global_rate)
        np.testing.assert_allclose(got.global_rates.numpy(), ref["G"], rtol=1e-12)  # realised in both
        assert got.score == pytest.approx(ref["score"], rel=1e-12)


def test_constant_unit_never_fires():
    acts = np.zeros((20, 3))
    acts[:, 1] = np.arange(20)
    traj = np.arange(20) // 4
    r = goodfellow_invariance(acts, traj, 0.1, 1.0)
    assert r.global_rates[0] == 0 and r.unit_scores[0] == 0 and torch.isfinite(r.unit_scores).all()


def test_blocks_of_units_give_the_same_answer(monkeypatch, make_trajectories):
    acts, traj, labels = make_trajectories(11, num_classes=4, n=9)
    whole = class_conditional_invariance(acts, traj, labels, 3, signed=True)
    monkeypatch.setattr(measures, "_BLOCK_ELEMENTS_CPU", 2 * acts.shape[0])  # blocks of 2 units
    blocked = class_conditional_invariance(acts, traj, labels, 3, signed=True)
    assert blocked.score == whole.score
    assert torch.equal(blocked.unit_scores, whole.unit_scores)
    assert torch.equal(blocked.thresholds, whole.thresholds)


def test_inputs_in_any_form_give_the_same_answer(make_trajectories):
    acts, traj, labels = make_trajectories(12, num_classes=3, n=5)
    ref = class_conditional_invariance(acts, traj, labels, 2)
    codes = np.unique(labels, return_inverse=True)[1]
    perm = np.random.default_rng(0).permutation(len(traj))
    variants = [
        (torch.from_numpy(acts), torch.from_numpy(traj), torch.from_numpy(codes)),
        (acts.astype(np.float64), traj - 5000, codes * 3 + 1),
        (acts[perm], traj[perm], labels[perm]),
    ]
    for a, t, y in variants:
        assert class_conditional_invariance(a, t, y, 2).score == pytest.approx(ref.score, rel=1e-12)


def test_deterministic(make_trajectories):
    acts, traj, labels = make_trajectories(13, num_classes=3, n=6)
    a = class_conditional_invariance(acts, traj, labels, 2, signed=True)
    b = class_conditional_invariance(acts, traj, labels, 2, signed=True)
    assert a.score == b.score and torch.equal(a.unit_scores, b.unit_scores)


def test_all_reading_is_the_class_firing_fraction(make_trajectories):
    """With trajectories partitioning the samples, L_y under "all" is the fraction of class-y samples that
    fire: the trajectories cancel out (the reason the chapter calls it a discrimination measure)."""
    acts, traj, labels = make_trajectories(14, num_classes=3, n=4)
    r = class_conditional_invariance(acts, traj, labels, 1, local_rate="all")
    for c, y in enumerate(r.classes):
        fire = torch.from_numpy(acts[labels == y]).double() > r.thresholds[c]
        assert torch.allclose(r.local_rates[c], fire.double().mean(0))


# --------------------------------------------------------------------------- the analytic case
def discriminative_data(num_units: int, class_sizes=(200, 800), trajectory_len=5, seed=0):
    """Every unit is higher on each sample of class 0 than on any other sample; within class 0 its order
    is random (independently per unit)."""
    rng = np.random.default_rng(seed)
    N = sum(class_sizes)
    labels = np.repeat(np.arange(len(class_sizes)), class_sizes)
    traj = np.arange(N) // trajectory_len
    acts = rng.uniform(0, 1, (N, num_units))
    acts[labels == 0] += 1
    return acts, traj, labels


def test_discriminative_unit_is_optimal_for_the_class_conditional_measure():
    """Supplement: a unit with higher activations for every sample of class y, P(y) > 0.01, "is optimally
    invariant and discriminative": with G_y = P(y) it fires on exactly the samples of y, so L_y = 1 and
    I_y = 1/P(y), the largest value I_y can take."""
    acts, traj, labels = discriminative_data(50)
    r = class_conditional_invariance(acts, traj, labels, top_k=10)
    p0 = 200 / 1000
    assert torch.allclose(r.global_rates[0], torch.full((50,), p0, dtype=torch.float64))
    assert torch.allclose(r.local_rates[0], torch.ones(50, dtype=torch.float64))
    assert torch.allclose(r.unit_scores[0], torch.full((50,), 1 / p0, dtype=torch.float64))


def test_discriminative_unit_under_goodfellow_matches_closed_form():
    """Under Goodfellow's threshold (rate 0.01 < P(y)) the unit fires on m = 10 random samples of class 0,
    so for a firing sample the other |T|-1 members of its trajectory fire with probability
    (m-1)/(N_y-1): E[L] = (1 + (|T|-1)(m-1)/(N_y-1)) / |T|, far below the maximum 1 (I = 100)."""
    acts, traj, labels = discriminative_data(4000)
    r = goodfellow_invariance(acts, traj, firing_rate=0.01, top_fraction=1.0)
    expected_L = (1 + 4 * 9 / 199) / 5
    assert torch.allclose(r.global_rates, torch.full((4000,), 0.01, dtype=torch.float64))
    assert float(r.local_rates.mean()) == pytest.approx(expected_L, abs=0.004)
    assert r.score == pytest.approx(expected_L / 0.01, abs=0.4)
    assert r.score < 0.3 * 100


def test_goodfellow_extremes_by_arrangement():
    """Same discriminative unit, two arrangements of its top 1%: one per trajectory (L = 1/|T|) or all in
    one trajectory (L = 1); the class-conditional score is 1/P(y) either way."""
    N, T = 500, 5
    labels = np.repeat([0, 1], [100, 400])
    traj = np.arange(N) // T
    spread = np.where(labels == 0, 1.0, 0.0)
    spread[[0, 5, 10, 15, 20]] = 2.0  # top 5 = 1% in five trajectories
    packed = np.where(labels == 0, 1.0, 0.0)
    packed[0:5] = 2.0  # top 5 in trajectory 0
    acts = np.stack([spread, packed], 1) + np.arange(N)[:, None] * 1e-6 * (labels[:, None] == 0)
    g = goodfellow_invariance(acts, traj, 0.01, 1.0)
    assert g.local_rates.tolist() == pytest.approx([1 / 5, 1.0])
    assert g.unit_scores.tolist() == pytest.approx([20.0, 100.0])
    c = class_conditional_invariance(acts, traj, labels, 1)
    assert c.unit_scores[0].tolist() == pytest.approx([5.0, 5.0])


# --------------------------------------------------------------------------- bad inputs
GOOD = dict(acts=np.random.default_rng(0).standard_normal((12, 4)), traj=np.arange(12) // 3, labels=np.arange(12) // 6)


@pytest.mark.parametrize("value,what", [(np.nan, "NaN"), (np.inf, "infinite")])
@pytest.mark.parametrize("measure", ["goodfellow", "class", "released"])
def test_non_finite_activations(value, what, measure):
    acts = GOOD["acts"].copy()
    acts[5, 2] = value
    with pytest.raises(ValueError, match=rf"1 {what}|{what} values.*sample 5, unit 2"):
        _call(measure, acts=acts)


def _call(measure, acts=None, traj=None, labels=None, **kw):
    acts = GOOD["acts"] if acts is None else acts
    traj = GOOD["traj"] if traj is None else traj
    labels = GOOD["labels"] if labels is None else labels
    if measure == "goodfellow":
        return goodfellow_invariance(acts, traj, **kw)
    if measure == "class":
        return class_conditional_invariance(acts, traj, labels, kw.pop("top_k", 2), **kw)
    return released_code_invariance(acts, traj, labels, kw.pop("top_ks", (1, 2)))


@pytest.mark.parametrize("measure", ["class", "released"])
def test_labels_varying_inside_a_trajectory(measure):
    labels = GOOD["labels"].copy()
    labels[4] = 1  # trajectory 1 = samples 3, 4, 5
    with pytest.raises(ValueError, match="labels vary inside 1 trajectories, e.g. trajectory 1"):
        _call(measure, labels=labels)


@pytest.mark.parametrize("rate", [0, 1, -0.1, 1.5])
def test_firing_rate_outside_unit_interval(rate):
    with pytest.raises(ValueError, match=r"firing_rate must lie in \(0, 1\)"):
        _call("goodfellow", firing_rate=rate)


@pytest.mark.parametrize("fraction", [0, 1.2])
def test_top_fraction_outside_range(fraction):
    with pytest.raises(ValueError, match=r"top_fraction must lie in \(0, 1\]"):
        _call("goodfellow", top_fraction=fraction)


@pytest.mark.parametrize("k", [5, 0, 2.5])
def test_top_k_larger_than_n(k):
    with pytest.raises(ValueError, match=r"top_k must be an integer in \[1, n\] with n = 4"):
        _call("class", top_k=k)
    with pytest.raises(ValueError, match=r"each of top_ks must be an integer in \[1, n\]"):
        _call("released", top_ks=(1, k))


@pytest.mark.parametrize("measure", ["goodfellow", "class", "released"])
def test_fewer_than_two_trajectories(measure):
    with pytest.raises(ValueError, match="found 1 trajectory.*at least two trajectories"):
        _call(measure, traj=np.zeros(12, int), labels=np.zeros(12, int))


def test_shapes_and_options():
    with pytest.raises(ValueError, match="acts must be 2-D"):
        goodfellow_invariance(np.zeros(12), GOOD["traj"])
    with pytest.raises(ValueError, match=r"trajectory_ids must be 1-D with one entry per sample \(N = 12\)"):
        goodfellow_invariance(GOOD["acts"], np.arange(11))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        class_conditional_invariance(GOOD["acts"], GOOD["traj"], np.zeros((12, 1)), 1)
    with pytest.raises(ValueError, match="local_rate must be one of"):
        goodfellow_invariance(GOOD["acts"], GOOD["traj"], local_rate="local")
    with pytest.raises(ValueError, match="at least two classes"):
        class_conditional_invariance(GOOD["acts"], GOOD["traj"], np.zeros(12, int), 1)
    with pytest.raises(ValueError, match="top_ks is empty"):
        released_code_invariance(GOOD["acts"], GOOD["traj"], GOOD["labels"], ())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(make_trajectories):
    acts, traj, labels = make_trajectories(15, num_classes=5, n=16)
    cpu = class_conditional_invariance(acts, traj, labels, 4, signed=True)
    gpu = class_conditional_invariance(torch.from_numpy(acts).cuda(), traj, labels, 4, signed=True)
    assert gpu.unit_scores.device.type == "cuda"
    assert gpu.score == pytest.approx(cpu.score, rel=1e-12)
    assert math.isclose(
        goodfellow_invariance(torch.from_numpy(acts).cuda(), traj).score,
        goodfellow_invariance(acts, traj).score,
        rel_tol=1e-12,
    )


def test_the_nominal_global_rate_divides_by_p_y_where_ties_keep_a_unit_from_firing():
    # 8 samples, 2 classes of 2 trajectories of 2; unit 0 is positive on trajectory 0 only (2 samples), so at
    # class 0's threshold (m = 4: the 5th largest activation, 0) it fires on 2 samples: realised G = 2/8.
    acts = np.zeros((8, 2))
    acts[:2, 0] = [1.0, 2.0]
    acts[:, 1] = np.arange(8.0)  # no ties: both readings agree
    traj, labels = np.repeat(np.arange(4), 2), np.repeat([0, 1], 4)
    realised = class_conditional_invariance(acts, traj, labels, 1, global_rate="realised")
    nominal = class_conditional_invariance(acts, traj, labels, 1)  # the class-conditional default
    assert realised.global_rates[0, 0] == 0.25 and realised.local_rates[0, 0] == 1.0
    assert realised.unit_scores[0, 0] == 4.0 and nominal.unit_scores[0, 0] == 2.0  # L / 0.25 and L / P(y)
    assert torch.equal(realised.unit_scores[:, 1], nominal.unit_scores[:, 1])
    g = goodfellow_invariance(acts, traj, 0.5, 1.0, global_rate="nominal")
    assert g.unit_scores[0] == goodfellow_invariance(acts, traj, 0.5, 1.0).unit_scores[0] / 2
    with pytest.raises(ValueError, match="global_rate must be one of"):
        class_conditional_invariance(acts, traj, labels, 1, global_rate="aimed")
