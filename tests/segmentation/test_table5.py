import math

import pytest

from repro.config import TABLE5_CLASSES
from repro.segmentation.table5 import (
    AVG,
    PAPER_ROWS,
    PAPER_TABLE5,
    difference,
    ranking,
    render,
    render_paper,
    with_average,
)


@pytest.mark.parametrize("row", PAPER_ROWS)
def test_paper_average_is_the_mean_of_its_columns(row):
    """A transcription check: the supplement's Avg. equals the mean of its 12 columns to the rounding."""
    vals = [PAPER_TABLE5[row][c] for c in TABLE5_CLASSES]
    assert abs(sum(vals) / 12 - PAPER_TABLE5[row][AVG]) <= 0.05 + 1e-9


def test_paper_claims_hold_in_the_data():
    # "our proposed model outperforms the ImageNet-MOCO model" (on the average)
    assert ranking(PAPER_TABLE5) == ["ImageNet Supervised", "Ours Region Tracker", "ImageNet MOCOv2"]
    assert PAPER_TABLE5["ImageNet MOCOv2"]["person"] == 48.8 and PAPER_TABLE5["Ours Region Tracker"]["dog"] == 43


def test_render_in_paper_format():
    md = render_paper()._repr_markdown_().splitlines()[2:]
    assert md[0] == "| Method | " + " | ".join(TABLE5_CLASSES) + " | Avg. |"
    assert md[2].startswith("| ImageNet Supervised | 62.8 | 65.1 |") and md[2].endswith("| 51.5 |")
    assert len(md) == 2 + 3
    table = {"A": with_average({"x": 10.0, "y": 30.0}, ["x", "y"]), "B": {"x": float("nan")}}
    assert render(table)._repr_markdown_().splitlines()[2:] == ["| A | 10.0 | 30.0 | 20.0 |", "| B | – | – | – |"]
    assert render({"d": {"x": 1.25}}, digits=2, signed=True)._repr_markdown_().splitlines()[2] == "| d | +1.25 |"


def test_difference_is_per_shared_cell():
    ours = {"m": {"cow": 50.0, "hbar": 3.0, AVG: 45.0}, "other": {AVG: 1.0}}
    diff = difference(ours, PAPER_TABLE5, {"m": "ImageNet MOCOv2", "x": "ImageNet MOCOv2"})
    assert set(diff) == {"m"} and set(diff["m"]) == {"cow", AVG}
    assert diff["m"]["cow"] == pytest.approx(50 - 46.9) and diff["m"][AVG] == pytest.approx(45 - 49.7)


def test_with_average_is_unweighted_mean():
    row = with_average({"a": 1.0, "b": 2.0, "c": 6.0, "ignored": 100.0}, ["a", "b", "c"])
    assert row == {"a": 1.0, "b": 2.0, "c": 6.0, AVG: 3.0}
    assert math.isnan(with_average({}, [])[AVG])
