"""Fixtures of the browser test: Chromium (skip with the install command where it is missing, fail on CI),
the built book (reused when current, else built in place like `make book`), and one check of every page
shared by the per-page tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from repro.errors import ReproError
from tools.bookcheck import browser as web
from tools.bookcheck import check, pages, server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    exe = web.find_chromium()
    if exe is None:
        msg = web.missing_browser_message()
        if os.environ.get("CI"):
            pytest.fail(
                f"on CI the browser test must run: {msg}. `make test` runs .ci/install-chromium "
                "first; check its output.",
                pytrace=False,
            )
        pytest.skip(msg)
    return exe


@pytest.fixture(scope="session")
def browser(chromium_path):
    with web.launch(chromium_path) as chromium:
        yield chromium


@pytest.fixture(scope="session")
def book_html(chromium_path) -> Path:
    """``_build/html``, built first (as `make book` does) unless it is newer than every source."""
    html = ROOT / "_build" / "html"
    if not pages.book_is_current(ROOT, html):
        try:
            pages.build_book(ROOT)
        except ReproError as exc:
            pytest.fail(str(exc), pytrace=False)
    return html


@pytest.fixture(scope="session")
def served_book(book_html):
    with server.serve(book_html) as base:
        yield base


@pytest.fixture(scope="session")
def book_specs() -> list[pages.PageSpec]:
    return pages.book_pages(ROOT)


@pytest.fixture(scope="session")
def book_report(browser, served_book, book_specs) -> check.BookReport:
    """Every page of _toc.yml checked once; screenshots replaced in _build/screenshots/."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    return check.check_pages(browser, served_book, book_specs, screenshots=SCREENSHOTS)


def _png(width: int, height: int) -> bytes:
    """A valid grey RGB PNG of the given size, written without an image library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + b"\x80" * (3 * width) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# The theme's layout in miniature: a sidebar (.bd-sidebar-primary) beside the main content.
_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ margin: 0; display: flex; }} .bd-sidebar-primary {{ flex: 0 0 250px; }} main {{ flex: 1; }}</style>
</head><body><nav class="bd-sidebar-primary"><form action="../search.html"><input name="q"></form></nav>
<main><article>"""
_TAIL = "</article></main></body></html>"


@pytest.fixture
def synthetic_site(tmp_path):
    """A tiny site with known defects. Returns (html_dir, specs, expected problems per page): `good` has
    none; `bad` has one of each kind the checker must report."""
    html = tmp_path / "html"
    (html / "book").mkdir(parents=True)
    (html / "book" / "fig.png").write_bytes(_png(40, 30))
    (html / "book" / "good.py").write_text("# %% [markdown]\n# # Good page\n")
    (html / "search.html").write_text(_HEAD.format(title="Search") + "<h1>Search</h1>" + _TAIL)
    (html / "book" / "notation.html").write_text(
        _HEAD.format(title="Notation") + '<h1 id="notation">Notation</h1><p id="symbols">x</p>' + _TAIL
    )
    (html / "book" / "good.html").write_text(
        _HEAD.format(title="Good")
        + """
<h1 id="good-page">Good page</h1>
<p>See the <a href="notation.html#symbols">glossary</a>, <a href="#results">below</a>,
<a download href="good.py">good.py</a> and <a href="https://example.org/">the web</a>.</p>
<figure><img src="fig.png"><figcaption>A grey box.</figcaption></figure>
<h2 id="results">Invariance results</h2>
<table><caption>Invariance scores</caption><thead><tr><th>model</th><th>score</th></tr></thead>
<tbody><tr><td>MoCo</td><td>0.42</td></tr></tbody></table>"""
        + _TAIL
    )
    (html / "book" / "bad.html").write_text(
        _HEAD.format(title="Bad")
        + """
<h1>Bad page</h1>
<script>console.error("boom from the page");</script>
<script>throw new Error("kaboom");</script>
<p><a href="missing.html">a dead link</a>, <a href="../search.html#nowhere">a dead anchor</a>,
<a href="#also-nowhere">a dead local anchor</a>.</p>
<figure><img src="fig.png"></figure>
<img src="no-such-figure.png">
<img src="https://example.org/remote.png">
<h2>Other tables</h2>
<table><caption>Empty results</caption><thead><tr><th>a</th></tr></thead><tbody></tbody></table>
<table><caption>Words only</caption><tbody><tr><td>none</td></tr></tbody></table>
<h2>Table 5: part segmentation</h2><p>No table here.</p>
<p>Rate \\(G_y(i) = P(y)\\), typeset by nothing: <span class="math notranslate nohighlight">\\(L_y(i)\\)</span>.</p>
<pre>code may hold TeX: r"\\(" and $$</pre>
<p>| P(y) | I(i) |
|---|---:|
| 0.02 | 1.00 |</p>
<style>main { margin-left: -400px; }</style>"""
        + _TAIL
    )
    (html / "book" / "bad.html").write_text(
        (html / "book" / "bad.html").read_text().replace('<form action="../search.html"><input name="q"></form>', "")
    )
    strict = dict(
        min_figures=1,
        figure_captions=True,
        notation_link=True,
        tables_have_numbers=True,
        named_tables=pages.RESULT_TABLES,
    )
    specs = [
        pages.PageSpec(
            "book/good",
            "book/good.html",
            pages.Landmarks(source_download=True, **strict),
            title="Good page",
            stored_figures=1,
        ),
        pages.PageSpec(
            "book/bad",
            "book/bad.html",
            pages.Landmarks(source_download=True, required_tables=("invariance",), **strict),
            title="Another title",
            stored_figures=4,
        ),
    ]
    expected_bad = [
        "title is 'Bad page', the source's first heading is 'Another title'",
        "console error: boom from the page",
        "uncaught exception: Error: kaboom",
        "broken link 'missing.html'",
        "broken link '../search.html#nowhere'",
        "anchor #nowhere does not exist in /search.html",
        "anchor #also-nowhere does not exist in /book/bad.html",
        "image does not show (natural width 0): src='no-such-figure.png'",
        "/book/no-such-figure.png answered HTTP 404",
        "requests a resource from the internet (not in ALLOWED_EXTERNAL): https://example.org/remote.png",
        "figure(s) shown, the notebook stores 4",
        "figure without caption: src='fig.png'",
        "no link to the notation glossary in the page",
        "no download link for the chapter's source bad.py",
        "empty table: 'Empty results'",
        "table without numbers: 'Words only'",
        "Table 5 table missing under the section 'Table 5: part segmentation'",
        "invariance table missing",
        "no search box",
        "1 of 1 formula(s) not typeset (MathJax did not run)",
        "raw TeX in the visible text (2 place(s)): 'Rate \\\\(G_y(i) = P(y)\\\\), typeset by nothing",
        "raw Markdown table in the visible text (1 line(s)): '| P(y) | I(i) | |---|---:| | 0.02 | 1.00 |'",
        "main content (main) lies outside the viewport: x from -150 to 1280 px",
        "in the screenshot: main content (main) lies outside the viewport",
    ]
    return html, specs, expected_bad
