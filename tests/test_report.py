import pytest

from repro.report import Table


def test_table_renders_html_markdown_and_aligned_text():
    t = Table(["model", "acc"], [["a<b", 0.5], ["long name", 12.345]], caption="cap", digits=1)
    assert "<td>a&lt;b</td>" in t._repr_html_() and "<caption>cap</caption>" in t._repr_html_()
    assert t._repr_markdown_().splitlines()[2:] == ["| model | acc |", "|---|---|", "| a<b | 0.5 |",
                                                    "| long name | 12.3 |"]
    assert repr(t).splitlines() == ["cap", "model      acc", "---------  ----", "a<b        0.5",
                                    "long name  12.3"]


def test_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="one value per header column"):
        Table(["a", "b"], [[1]])
