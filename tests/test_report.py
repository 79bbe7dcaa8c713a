import pytest

from repro.report import Table


def test_table_renders_html_markdown_and_aligned_text():
    t = Table(["model", "acc"], [["a<b", 0.5], ["long name", 12.345]], caption="cap", digits=1)
    assert "<td>a&lt;b</td>" in t._repr_html_() and "<caption>cap</caption>" in t._repr_html_()
    assert t._repr_markdown_().splitlines()[2:] == [
        "| model | acc |",
        "|---|---|",
        "| a<b | 0.5 |",
        "| long name | 12.3 |",
    ]
    assert repr(t).splitlines() == ["cap", "model      acc", "---------  ----", "a<b        0.5", "long name  12.3"]


def test_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="one value per header column"):
        Table(["a", "b"], [[1]])


def test_text_renders_paragraphs_and_bold():
    from repro.report import Text

    t = Text("One **big** <claim>.\n\nTwo.")
    assert t._repr_html_() == "<p>One <strong>big</strong> &lt;claim&gt;.</p><p>Two.</p>"
    assert t._repr_markdown_() == repr(t) == "One **big** <claim>.\n\nTwo."


def test_text_puts_tex_where_mathjax_typesets_it_and_code_in_code():
    from repro.report import Text

    t = Text("Scores reach $10^{28}$ (`log S`), and $a < b$.")
    assert t._repr_html_() == (
        '<p>Scores reach <span class="math notranslate nohighlight">\\(10^{28}\\)</span> (<code>log S</code>), '
        'and <span class="math notranslate nohighlight">\\(a &lt; b\\)</span>.</p>'
    )
