"""What the browser check expects, read from the book's sources (no browser needed), and the behaviour
where Chromium is missing: a skip with the install command on a user's machine, a failure on CI."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from repro.errors import ReproError
from tools.bookcheck import browser as web
from tools.bookcheck import pages
from tools.bookcheck import text as rules
from tools.bookcheck.__main__ import main as bookcheck_main

ROOT = Path(__file__).resolve().parents[2]


def _write_nb(path: Path, cells: list[dict]) -> Path:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _image_output(kind: str = "display_data", **metadata) -> dict:
    return {"output_type": kind, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": metadata}


def test_toc_documents_in_reading_order(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n"
        "  - caption: A\n    chapters:\n      - file: book/a.md\n        sections:\n"
        "          - file: notebooks/01_x.ipynb\n      - url: https://example.org\n        title: web\n"
        "  - caption: B\n    chapters:\n      - file: /book/b\n"
    )
    assert pages.toc_documents(tmp_path) == ["book/intro", "book/a", "notebooks/01_x", "book/b"]


def test_toc_of_this_book_starts_at_the_root_and_has_the_bibliography():
    docs = pages.toc_documents(ROOT)
    assert docs[0] == "book/intro" and "book/bibliography" in docs and "book/notation" in docs
    assert len(docs) == len(set(docs))


def test_missing_toc_or_page_is_a_clear_error(tmp_path):
    with pytest.raises(ReproError, match="_toc.yml not found"):
        pages.toc_documents(tmp_path)
    with pytest.raises(ReproError, match="no book/ghost.md/.ipynb/.rst exists"):
        pages.source_of(tmp_path, "book/ghost")


def test_expected_title_is_the_first_level_one_heading(tmp_path):
    md = tmp_path / "page.md"
    md.write_text("(label)=\n## not this\n# The *real* title\n# later\n")
    assert pages.expected_title(md) == "The *real* title"
    assert rules.words("The *real* title") == rules.words("The real title#")
    nb = _write_nb(
        tmp_path / "nb.ipynb",
        [
            {"cell_type": "code", "source": "# not markdown", "metadata": {}, "outputs": []},
            {"cell_type": "markdown", "source": ["# Section B: tracks\n", "\n", "**Aim.** x"], "metadata": {}},
        ],
    )
    assert pages.expected_title(nb) == "Section B: tracks"


def test_stored_figures_counts_what_the_chapter_renders(tmp_path):
    def code(outputs, tags=()):
        return {
            "cell_type": "code",
            "source": "",
            "metadata": {"tags": list(tags)},
            "outputs": outputs,
        }

    nb = _write_nb(
        tmp_path / "nb.ipynb",
        [
            code([_image_output(), _image_output("execute_result")]),  # 2
            code([_image_output(scrapbook={"name": "fig", "mime_prefix": ""})]),  # glued, not displayed
            code([_image_output()], tags=["remove-output"]),  # removed
            code([{"output_type": "stream", "name": "stdout", "text": "1\n"}]),
            code([{"output_type": "display_data", "data": {"text/html": "<table/>"}, "metadata": {}}]),
            {"cell_type": "markdown", "source": "![x](x.png)", "metadata": {}},
        ],
    )
    assert pages.stored_figures(nb) == 2
    assert pages.stored_figures(tmp_path / "page.md") == 0


def test_this_books_chapters_store_figures():
    specs = {s.doc: s for s in pages.book_pages(ROOT)}
    assert specs["notebooks/00_sample_data"].stored_figures >= 1
    assert specs["notebooks/00_sample_data"].title


def test_landmarks_are_declared_for_pages_of_the_toc():
    docs = set(pages.toc_documents(ROOT))
    assert set(pages.LANDMARKS) <= docs, "LANDMARKS names a page that _toc.yml does not have"
    for doc, lm in pages.LANDMARKS.items():
        assert set(lm.required_tables) <= set(lm.named_tables), doc
    assert pages.landmarks_for("notebooks/99_new") == pages.CHAPTER
    assert pages.CHAPTER.min_figures >= 1 and pages.CHAPTER.source_download
    assert pages.landmarks_for("book/new_page") == pages.PAGE


def test_book_is_current_only_when_every_page_is_newer_than_every_source(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/01_a\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    _write_nb(tmp_path / "notebooks" / "01_a.ipynb", [])
    (tmp_path / "notebooks" / "01_a.py").write_text("# %%\n")
    html = tmp_path / "_build" / "html"
    assert not pages.book_is_current(tmp_path, html)
    for rel in ("book/intro.html", "notebooks/01_a.html", "search.html"):
        (html / rel).parent.mkdir(parents=True, exist_ok=True)
        (html / rel).write_text("<html></html>")
    sources = pages.book_inputs(tmp_path)
    assert tmp_path / "notebooks" / "01_a.py" in sources
    for f in sources:
        os.utime(f, (1_000_000, 1_000_000))
    assert pages.book_is_current(tmp_path, html)
    os.utime(tmp_path / "notebooks" / "01_a.py", None)  # the downloadable source changed
    assert not pages.book_is_current(tmp_path, html)


def test_no_chromium_found_when_the_override_is_not_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("REPRO_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert web.find_chromium() is None
    assert web.INSTALL_COMMAND in web.missing_browser_message()


def test_cli_skips_without_chromium_but_fails_on_ci(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("REPRO_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.delenv("CI", raising=False)
    assert bookcheck_main(["--root", str(ROOT)]) == 0
    assert "SKIPPED" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert bookcheck_main(["--root", str(ROOT)]) == 1
    assert ".ci/install-chromium" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("ci", [False, True])
def test_browser_test_is_skipped_with_the_install_command_or_fails_on_ci(tmp_path, ci):
    """Without Chromium the browser test is a real skip (reason and command), never a silent pass;
    on CI it is a failure."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["REPRO_CHROMIUM"] = str(tmp_path / "no-such-browser")
    if ci:
        env["CI"] = "true"
    test = "tests/browser/test_book_browser.py::test_search_box_finds_a_chapter"
    res = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-rs", "-q", "-p", "no:randomly"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    out = res.stdout + res.stderr
    if ci:
        assert res.returncode == 1 and "on CI the browser test must run" in out, out[-2000:]
    else:
        assert res.returncode == 0 and "1 skipped" in out, out[-2000:]
        assert "SKIPPED" in out and web.INSTALL_COMMAND in out, out[-2000:]


# -- what a reader must not see (issue 10): pure text and layout rules, no browser


@pytest.mark.parametrize(
    "text, pieces",
    [
        (r"the rate \(G_y(i) = P(y)\) per class", [r"\(G_y(i) = P(y)\)"]),
        (r"display \[S = \frac{1}{n}\] math", [r"\[S = \frac{1}{n}\]"]),
        ("a formula $$x^2$$ and $G_y(i)$ left as Markdown", ["$$x^2$$", "$G_y(i)$"]),
        (r"a formula split over lines \(x" + "\n" + r"y\)", [r"\(", r"\)"]),
        (r"a bare command \mathcal{Y} or \frac", [r"\mathcal", r"\frac"]),
        ("prose: it costs $5 and $6, P(y) = 0.1, a | b, C:/x", []),
        ("typeset [math] formulas leave no source", []),
    ],
)
def test_raw_tex_finds_source_left_in_the_text(text, pieces):
    assert rules.raw_tex(text) == pieces


def test_raw_tex_reports_the_line_around_each_piece():
    text = "first line\n" + r"rate \(G_y(i)\) is P(y)" + "\nlast line"
    assert rules.raw_tex(text, context=8) == [r"rate \(G_y(i)\) is P(y)"]  # never beyond the line
    assert rules.raw_tex(text, context=3) == [r"te \(G_y(i)\) is"]


def test_markdown_table_rows_in_a_paragraph_or_on_lines():
    paragraph = "| P(y) | Goodfellow I(i) | |---|---:| | 0.02 | 1.00 |"  # the rows joined by the <p>
    assert rules.markdown_table_rows("Intro\n" + paragraph + "\nOutro") == [paragraph]
    assert rules.markdown_table_rows("| a | b |\n| :-- | --: |\nnot a row") == ["| a | b |", "| :-- | --: |"]
    assert rules.markdown_table_rows("a|b and |x| - |y| are fine; so is ---") == []
    assert rules.markdown_table_rows("P(y)\tI(i)\n0.02\t1.00") == []  # a rendered table's cells


def _box(name, left, right, visible=True):
    return {"name": name, "left": left, "right": right, "visible": visible}


def test_layout_problems_main_content_inside_the_viewport_and_the_sidebar_shown():
    good = {
        "width": 1280,
        "main": [_box("#main-content", 256, 1280), _box("article", 256, 1008)],
        "sidebar": _box("sidebar", 0, 256),
    }
    assert rules.layout_problems(good) == []
    shifted = {**good, "main": [_box("#main-content", -44, 980)], "sidebar": _box("sidebar", -300, -44)}
    problems = rules.layout_problems(shifted)
    assert problems[0].startswith("main content (#main-content) lies outside the viewport: x from -44 to 980 px")
    assert "sidebar (.bd-sidebar-primary) does not show whole" in problems[1] and "-300" in problems[1]
    too_wide = {**good, "main": [_box("article", 256, 1400)]}
    assert "lies outside the viewport" in rules.layout_problems(too_wide)[0]
    assert "missing" in rules.layout_problems({**good, "sidebar": None})[0]
    assert "hidden" in rules.layout_problems({**good, "sidebar": _box("sidebar", 0, 0, visible=False)})[0]
    narrow = {"width": 800, "main": [_box("main", 0, 800)], "sidebar": _box("sidebar", 0, 0, visible=False)}
    assert rules.layout_problems(narrow) == []  # a phone-width viewport folds the sidebar away
    assert rules.layout_problems({**good, "main": []}) == ["no main content (#main-content, main or article)"]


def _mathjax_local():
    spec = importlib.util.spec_from_file_location("mathjax_local", ROOT / "book" / "_ext" / "mathjax_local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_book_bundles_mathjax_3_with_its_fonts():
    es5 = _mathjax_local().es5_dir()
    assert (es5 / "tex-mml-chtml.js").is_file() and any((es5 / "output" / "chtml" / "fonts" / "woff-v2").iterdir())
    assert "3." in (es5.parent / "package.json").read_text().split('"version"', 1)[1][:12]


def test_missing_mathjax_package_names_make_setup(monkeypatch):
    module = _mathjax_local()
    monkeypatch.setitem(sys.modules, "mathjax", None)  # what `import mathjax` sees when it is not installed
    with pytest.raises(Exception, match=r"django-static-mathjax.*make setup"):
        module.es5_dir()
