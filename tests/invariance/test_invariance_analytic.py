"""Activations with known answers (repro.invariance.analytic): the supplement's analytic cases against the
measures and the closed form."""

from __future__ import annotations

import numpy as np
import pytest

from repro.invariance import analytic as A
from repro.invariance import class_conditional_invariance, goodfellow_invariance


def test_discriminative_activations_and_closed_form():
    a = A.discriminative_activations((100, 900), trajectory_len=5, num_units=3000, seed=1)
    assert a.acts[a.labels == 0].min() > a.acts[a.labels == 1].max()
    assert all(len(set(a.labels[a.trajectory_ids == t])) == 1 for t in range(10))
    g = goodfellow_invariance(a.acts, a.trajectory_ids, 0.01, 1.0)  # m = 10 of the 100 class-0 samples
    assert float(g.local_rates.mean()) == pytest.approx(A.expected_goodfellow_local_rate(100, 5, 10), abs=0.005)
    c = class_conditional_invariance(a.acts, a.trajectory_ids, a.labels, 1)
    assert float(c.unit_scores[0].min()) == pytest.approx(1 / 0.1)


def test_class_specific_invariance_weights_goodfellow_by_class_size():
    """Invariant on class 0 only, no unit discriminative: L_0 = 1 under the class-conditional threshold
    whatever the imbalance, while Goodfellow's pooled L(i) mixes 1 (class 0) and the non-invariant rate
    ~(1 + (|T|-1)·0.01)/|T| (class 1) in proportion to the class sizes."""
    T = 10
    for sizes in ((10000, 10000), (2000, 18000)):  # m = 200 fire: 20 trajectories' worth
        a = A.class_specific_invariance_activations(sizes, T, num_units=100, seed=2)
        inv = a.labels == 0
        for t in np.unique(a.trajectory_ids[inv])[:5]:
            assert np.ptp(a.acts[a.trajectory_ids == t], axis=0).max() == 0
        c = class_conditional_invariance(a.acts, a.trajectory_ids, a.labels, 1)
        assert float(c.local_rates[0].min()) == 1.0
        share = sizes[0] / sum(sizes)
        pooled = share + (1 - share) * (1 + (T - 1) * 0.01) / T
        g = goodfellow_invariance(a.acts, a.trajectory_ids, 0.01, 1.0)
        assert float(g.local_rates.mean()) == pytest.approx(pooled, abs=0.03)
