import numpy as np
import pytest
import torch

from repro.segmentation.bootstrap import bootstrap_difference
from repro.segmentation.evaluate import Table5Result
from repro.segmentation.pascal_parts import IGNORE, PartCrops
from repro.segmentation.prior import prior_accuracy, prior_prediction
from repro.segmentation.table5 import AVG, plot_examples, summary_text, wins_ties_losses


def crops(targets, labels, classes=("car", "x"), parts=(("a", "b"), ("c",))):
    n = len(labels)
    return PartCrops(
        np.zeros((n, 4, 4, 3), np.uint8),
        np.asarray(targets, np.uint8),
        np.asarray(labels),
        classes,
        parts,
        np.zeros((n, 4), np.int64),
        np.array([str(i) for i in range(n)]),
    )


def test_prior_is_the_per_pixel_majority_and_ignores_ignored_pixels():
    t = np.array([[[1, 2], [0, 0]], [[1, 2], [0, IGNORE]], [[2, 2], [1, IGNORE]]])
    assert prior_prediction(t).tolist() == [[1, 2], [0, 0]]
    train = crops(t, [0, 0, 0], ("car",), (("a", "b"),))
    val = crops([[[1, 1], [0, 0]]], [0], ("car",), (("a", "b"),))
    assert prior_accuracy(train, val) == {"car": 75.0, AVG: 75.0}


def test_bootstrap_difference():
    same = {"a": np.array([[5, 10], [7, 10]]), "b": np.array([[1, 4]])}
    assert bootstrap_difference(same, same, n_boot=50) == (0.0, 0.0, 0.0)
    better = {c: v + np.array([1, 0]) for c, v in same.items()}  # one more correct pixel on every crop
    d, lo, hi = bootstrap_difference(better, same, n_boot=200)
    assert d == pytest.approx(((100 * 14 / 20 - 100 * 12 / 20) + (50 - 25)) / 2)
    assert 0 < lo <= d <= hi


def test_wins_ties_losses_at_the_tables_rounding():
    assert wins_ties_losses({"a": 2.0, "b": 1.0, "c": 3.0}, {"a": 1.0, "b": 1.02, "c": 4.0}, "abc") == (1, 1, 1)
    # ties are judged as the table shows the numbers: 79.96 and 79.94 print as 80.0 and 79.9
    assert wins_ties_losses({"a": 79.96}, {"a": 79.94}, "a") == (1, 0, 0)
    assert wins_ties_losses({"a": 80.04}, {"a": 79.96}, "a") == (0, 1, 0)


def fake_result(acc, synthetic=True):
    classes = [c for c in next(iter(acc.values())) if c != AVG]
    counts = {m: {c: np.array([[int(acc[m][c]), 100]]) for c in classes} for m in acc}
    rows = {
        m: r
        for m, r in {
            "supervised": "ImageNet Supervised",
            "images": "ImageNet MOCOv2",
            "frames+tracks": "Ours Region Tracker",
        }.items()
        if m in acc
    }
    val = crops(np.zeros((2, 4, 4)), [0, 1])
    preds = {m: {c: torch.zeros(1, 4, 4, dtype=torch.uint8) for c in classes} for m in acc}
    return Table5Result(
        acc,
        {m: "" for m in acc},
        rows,
        val,
        {"car": np.array([0]), "x": np.array([1])},
        preds,
        synthetic=synthetic,
        prior={"car": 50.0, "x": 50.0, AVG: 50.0},
        counts=counts,
    )


def test_summary_reports_orderings_from_the_numbers():
    acc = {
        "random": {"car": 40.0, "x": 40.0, AVG: 40.0},
        "supervised": {"car": 70.0, "x": 60.0, AVG: 65.0},
        "images": {"car": 60.0, "x": 60.0, AVG: 60.0},
        "frames+tracks": {"car": 50.0, "x": 58.0, AVG: 54.0},
    }
    text = summary_text(fake_result(acc), n_boot=50)
    assert "supervised (65.0) > images (60.0) > frames+tracks (54.0) > random (40.0)" in text
    assert "3 of 4 models beat it" in text
    # paper: Supervised > Region Tracker > MOCOv2; ours: supervised > images > frames+tracks
    assert "2 of 3 pairwise orderings agree" in text and "reversed: images > frames+tracks" in text
    assert "frames+tracks − images = -6.0 points" in text and "does not hold here" in text
    assert "9 wins, 1 tied, 2 losses over 12 classes" in text
    assert "0 wins, 0 tied, 2 losses over 2 classes" in text
    assert "synthetic stand-in" in text and "not comparable" in text
    acc["frames+tracks"] = {"car": 60.0, "x": 60.0, AVG: 60.0}
    text = summary_text(fake_result(acc, synthetic=False), n_boot=50)
    assert "tie at one decimal" in text and "tied at one decimal: frames+tracks = images" in text
    assert "Pascal-Part (2 classes)" in text and "not comparable" not in text


def test_synthetic_difference_compares_only_the_average():
    acc = {"images": {"car": 60.0, "x": 60.0, AVG: 60.0}}
    assert set(fake_result(acc).difference()["MoCo v2 (images) − ImageNet MOCOv2"]) == {AVG}
    assert set(fake_result(acc, synthetic=False).difference()["MoCo v2 (images) − ImageNet MOCOv2"]) == {"car", AVG}


def test_figure_has_crop_truth_and_one_panel_per_model():
    import matplotlib

    matplotlib.use("Agg")
    acc = {m: {"car": 1.0, "x": 1.0, AVG: 1.0} for m in ("random", "images")}
    fig = plot_examples(fake_result(acc))
    assert len(fig.axes) == 2 * (2 + 2)
    assert [a.get_title() for a in fig.axes[:4]] == ["crop", "ground truth", "random", "images"]
