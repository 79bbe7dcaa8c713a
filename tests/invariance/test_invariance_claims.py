"""The claims' paired bootstrap over trajectories on activations whose answer is known."""

import numpy as np
import pytest
import torch

from repro.invariance import claims
from repro.invariance.claims import Claim, paired_trajectory_bootstrap
from repro.invariance.measures import class_conditional_invariance


@pytest.fixture(scope="module")
def trajectories():
    rng = np.random.default_rng(0)
    tids, labels = np.repeat(np.arange(40), 6), np.repeat(np.arange(4), 60)
    invariant = rng.random((40, 16))[tids] + 0.01 * rng.random((240, 16))  # constant along each trajectory
    noise = rng.random((240, 16))
    return invariant, noise, tids, labels


def test_an_invariant_representation_beats_noise_and_equals_itself(trajectories):
    invariant, noise, tids, labels = trajectories
    d, lo, hi = paired_trajectory_bootstrap(invariant, noise, tids, labels, top_k=5, draws=40)
    expected = (
        class_conditional_invariance(invariant, tids, labels, 5).score
        - class_conditional_invariance(noise, tids, labels, 5).score
    )
    assert d == pytest.approx(expected) and 0 < lo < d < hi
    assert paired_trajectory_bootstrap(noise, noise, tids, labels, top_k=5, draws=20) == (0.0, 0.0, 0.0)


def test_the_interval_is_reproducible_and_the_verdict_follows_it(trajectories):
    invariant, noise, tids, labels = trajectories
    assert paired_trajectory_bootstrap(
        noise, invariant, tids, labels, 5, draws=30, seed=1
    ) == paired_trajectory_bootstrap(noise, invariant, tids, labels, 5, draws=30, seed=1)
    assert Claim("viewpoint", "a", "b", 0.2, 0.1, 0.3).verdict == "holds"
    assert Claim("viewpoint", "a", "b", -0.2, -0.3, -0.1).verdict == "reversed"
    assert Claim("viewpoint", "a", "b", 0.1, -0.1, 0.3).verdict == "not resolved"


@pytest.mark.parametrize("stratify", [True, False])
def test_a_stratified_draw_keeps_the_trajectories_of_every_class(trajectories, monkeypatch, stratify):
    """The design fixes the trajectories per class (and with them P(y) and Eq. 3's thresholds); a stratified
    draw resamples within each class and keeps those counts, an unstratified one lets them vary."""
    invariant, noise, tids, labels = trajectories
    seen = []

    def spy(acts, new_ids, new_labels, top_k):
        first = np.unique(new_ids, return_index=True)[1]
        seen.append(tuple(np.bincount(new_labels[first], minlength=4)))
        return class_conditional_invariance(acts, new_ids, new_labels, top_k)

    monkeypatch.setattr(claims, "class_conditional_invariance", spy)
    claims.paired_trajectory_bootstrap(invariant, noise, tids, labels, 5, draws=10, stratify=stratify)
    assert len(seen) == 2 * 11 and seen[0] == (10, 10, 10, 10)
    assert (set(seen) == {(10, 10, 10, 10)}) == stratify


def test_the_draws_scored_on_several_threads_are_those_of_one_serial_loop(trajectories, monkeypatch):
    invariant, noise, tids, labels = trajectories
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    point, draws = claims.bootstrap_draws(invariant, noise, tids, labels, 5, draws=12, seed=3)
    groups = [np.flatnonzero(tids == t) for t in range(40)]  # trajectory t is of class t // 10
    rng, expected = np.random.default_rng(3), []
    for _ in range(12):  # within each class, its 10 trajectories drawn with replacement
        pick = np.concatenate([10 * y + rng.integers(0, 10, 10) for y in range(4)])
        expected.append(claims.difference_on(invariant, noise, labels, groups, pick, 5))
    assert point == claims.difference_on(invariant, noise, labels, groups, np.arange(40), 5)
    assert np.array_equal(draws, np.array(expected))
