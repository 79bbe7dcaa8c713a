import numpy as np
import pytest

from repro.stats import paired_bootstrap


def test_the_interval_covers_the_difference_and_shrinks_with_more_items():
    rng = np.random.default_rng(0)
    a, b = rng.random(400) < 0.7, rng.random(400) < 0.5
    d, lo, hi = paired_bootstrap(a, b)
    assert d == pytest.approx(a.mean() - b.mean()) and lo < d < hi
    se = np.sqrt((a.astype(float) - b).var() / len(a))  # closed form, normal approximation
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.15)
    _, lo4, hi4 = paired_bootstrap(np.tile(a, 4), np.tile(b, 4))
    assert hi4 - lo4 < 0.6 * (hi - lo)


def test_identical_sides_give_exactly_zero_and_bad_shapes_are_refused():
    x = np.arange(10) % 2
    assert paired_bootstrap(x, x) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="one length"):
        paired_bootstrap(np.ones(3), np.ones(4))
