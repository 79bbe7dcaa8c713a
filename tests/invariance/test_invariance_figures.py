"""The experiments and the model comparison of the invariance chapter (``repro.invariance.figures``):
answers known in closed form, and rankings and τ of hand-made comparison rows."""

import math
import warnings

import numpy as np
import pytest

from repro.invariance import figures as F


def test_analytic_case_gives_the_discriminative_unit_its_largest_class_score():
    rows, last = F.analytic_case(0.01, seed=0, priors=(0.05, 0.2), N=1000, length=10, units=20)
    assert [r["P(y)"] for r in rows] == [0.05, 0.2]
    for r in rows:
        assert r["class_I"] == pytest.approx(r["class_max"]) == pytest.approx(1 / r["P(y)"])
        assert r["goodfellow_max"] == 1000 / 10
        assert r["goodfellow_I"] < r["goodfellow_max"]
    assert F.analytic_gap(rows) < 0.15  # computed Goodfellow I(i) follows its closed form
    assert last.acts.shape == (1000, 20) and (last.labels == 0).sum() == 200  # the last prior's activations


def test_analytic_gap_is_the_largest_relative_difference():
    rows = [{"goodfellow_I": 1.1, "goodfellow_expected": 1.0}, {"goodfellow_I": 1.5, "goodfellow_expected": 2.0}]
    assert F.analytic_gap(rows) == pytest.approx(0.25)


def test_all_reading_collapses_goodfellow_to_one():
    _, a = F.analytic_case(0.01, priors=(0.1,), N=1000, units=10)
    lo, hi = F.all_reading_range(a, 0.01)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)


def test_imbalance_keeps_the_invariant_class_local_rate_and_dilutes_the_pooled_one():
    rows = F.imbalance_case(0.01, shares=(0.5, 0.9), N=4000, units=20, top_k=5)
    assert [r["share"] for r in rows] == [0.5, 0.9]
    for r in rows:
        assert r["L_small"] == pytest.approx(1.0) and 0 < r["fires"] <= 20
    assert rows[1]["goodfellow_L"] < rows[0]["goodfellow_L"]


def _comparison(released=(0.0, 1.0, 2.0)):
    value = {
        ("a", "x"): (3.0, 1.0),
        ("b", "x"): (2.0, 2.0),
        ("c", "x"): (1.0, 3.0),
        ("a", "y"): (3.0, 3.0),
        ("b", "y"): (1.0, 2.0),
        ("c", "y"): (2.0, 1.0),
    }
    rows = [
        {"model": m, "dataset": d, "measure": name, "value": v[k]}
        for (m, d), v in value.items()
        for k, name in enumerate(("Goodfellow", "class-conditional K=10"))
    ]
    rows += [
        {"model": m, "dataset": d, "measure": "released K=10", "value": released["abc".index(m)]} for m, d in value
    ]
    return F.Comparison(rows, ["x", "y"], ["a", "b", "c"], top_k=10)


def test_comparison_ranks_by_the_mean_over_datasets_and_measures_tau_against_goodfellow():
    c = _comparison(released=(0.0, 0.0, 0.0))
    assert c.measures == ["Goodfellow", "class-conditional K=10", "released K=10"]
    assert c.shown == c.measures
    assert c.ranking()["Goodfellow"] == ["a", "b", "c"]  # means 3, 1.5, 1.5: stable for ties
    assert c.ranking()["class-conditional K=10"] == ["a", "b", "c"]  # means 2, 2, 2
    with warnings.catch_warnings():  # constant scores: τ undefined on both datasets, NaN without a warning
        warnings.simplefilter("error", RuntimeWarning)
        tau = c.tau()
    assert tau["Goodfellow"] == pytest.approx(1.0)
    assert tau["class-conditional K=10"] == pytest.approx((-1 + 1 / 3) / 2)
    assert math.isnan(tau["released K=10"])


def test_comparison_tables_and_headline_hold_every_value():
    c = _comparison()
    tables = c.tables()
    assert list(tables) == ["x", "y"] and tables["x"].rows[0] == ["a", 3.0, 1.0, 0.0]
    assert c.tau()["released K=10"] == pytest.approx((-1 - 1 / 3) / 2)
    assert len(c.overview().rows) == 6 and c.overview().rows[-1] == ["y", "c", 2.0, 1.0, 2.0]
    assert [r[0] for r in c.ranking_table().rows] == c.measures
    h = c.headline()
    assert h["y.b.Goodfellow"] == 1.0 and h["x.c.class-conditional K=10"] == 3.0
    assert set(k for k in h if k.startswith("tau.")) == {f"tau.{m}" for m in c.shown}


def test_headline_and_summary_of_the_chapter():
    analytic, a = F.analytic_case(0.01, priors=(0.05, 0.2), N=1000, units=10)
    imbalance = F.imbalance_case(0.01, shares=(0.5, 0.9), N=2000, units=10, top_k=5)
    c = _comparison()
    h = F.headline(analytic, imbalance, c)
    assert list(h)[:3] == [
        "analytic.max_relative_gap",
        "imbalance.goodfellow_L_balanced",
        "imbalance.goodfellow_L_skewed",
    ]
    assert h["imbalance.goodfellow_L_skewed"] == imbalance[-1]["goodfellow_L"]
    text = F.summary(analytic, F.all_reading_range(a, 0.01), imbalance, c, 0.01, short_run=True).text
    assert "Goodfellow's measure ranks *a* first" in text and "short CPU runs" in text
    assert f"{analytic[0]['class_I']:.2f} at P(y) = 0.05" in text
    assert np.isfinite(h["analytic.max_relative_gap"])
