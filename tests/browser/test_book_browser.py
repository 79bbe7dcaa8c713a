"""The rendered book, checked in headless Chromium as a reader sees it (issues 7 and 10).

One test per page of _toc.yml (loads, no console errors, images shown, links and anchors resolve,
landmarks of repro.pages.LANDMARKS, math typeset offline, no raw Markdown table, content inside the
viewport, a screenshot in _build/screenshots/), the search box, MathJax served by the book, screenshots
that show what the viewport shows, and tests that the checker catches defects: deliberately broken
copies of the built book and a tiny synthetic site with one defect of each kind.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest

from tools.bookcheck import browser as web
from tools.bookcheck import check, pages, server

ROOT = Path(__file__).resolve().parents[2]
DOCS = pages.toc_documents(ROOT)
# The script tag of the book's own MathJax (book/_ext/mathjax_local.py), and the CDN's it replaced.
_MATHJAX = re.compile(r'src="(?:\.\./)*_static/mathjax/tex-mml-chtml\.js[^"]*"')
_CDN = 'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"'

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("doc", DOCS)
def test_page_as_a_reader_sees_it(doc, book_report):
    page = book_report.pages[doc]
    assert not page.problems, f"{page.url}:\n  - " + "\n  - ".join(page.problems)
    assert page.screenshot is not None and page.screenshot.stat().st_size > 1000, page.screenshot


def test_search_box_finds_a_chapter(browser, served_book, book_specs):
    chapter = next((s for s in book_specs if s.doc.startswith("notebooks/")), book_specs[-1])
    query = max(re.findall(r"[a-z0-9]+", chapter.title.lower()), key=len)
    problems = check.check_search(browser, served_book, book_specs[0].path, query, chapter.path)
    assert problems == []
    # ... and a query nothing matches finds nothing (the check can fail).
    assert check.check_search(browser, served_book, book_specs[0].path, "zqxjkvbw", chapter.path)


def _copy_with(book_html: Path, tmp_path: Path, path: str, edit) -> Path:
    """A copy of the built book (symlinks) in which the page ``path`` is ``edit(text)``."""
    copy = tmp_path / "html"
    shutil.copytree(book_html, copy, copy_function=os.symlink)
    text = (copy / path).read_text()
    edited = edit(text)
    assert edited != text, f"the edit changed nothing in {path}"
    (copy / path).unlink()  # a symlink into the real build: replace it, never write through it
    (copy / path).write_text(edited)
    return copy


def test_book_serves_mathjax_itself(book_html):
    """Issue 10: formulas render offline. Pages load MathJax from _static/mathjax/ (with its fonts), not a CDN."""
    mathjax = book_html / "_static" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").is_file()
    assert any((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    pages = [book_html / f"{doc}.html" for doc in DOCS]
    assert not [p for p in pages if re.search(r"cdn\.jsdelivr|mathjax@", p.read_text())]
    with_math = [p for p in pages if 'class="math' in p.read_text()]
    assert with_math, "no page of the book has a formula"
    for page in with_math:
        assert _MATHJAX.search(page.read_text()), f"{page} does not load MathJax from the book"


def test_screenshots_show_what_the_viewport_shows(tmp_path, browser, served_book, book_specs):
    """Issue 10: every full-page screenshot starts with what a reader sees in the viewport. (The capture used
    to shift long pages left, cutting off the sidebar and the start of every line: 7-16% of the article's
    pixels differed on most pages.) Compared over the article, since the sidebar scrolls to the current page
    in the viewport; the two rasterisations differ by a few levels at most."""
    Image = pytest.importorskip("PIL.Image")
    ImageChops = pytest.importorskip("PIL.ImageChops")
    width, height = web.VIEWPORT
    page = web.open_page(browser)
    differ, tallest = {}, 0
    try:
        for spec in book_specs:
            web.navigate(page, served_book + spec.path)
            article = next(
                b for b in web.evaluate(page, web.script("collect"))["layout"]["main"] if b["name"] == "article"
            )
            box = (int(article["left"]), 0, int(article["right"]), height)
            seen = Image.open(io.BytesIO(page.screenshot(type="png")))  # what the viewport shows
            full = Image.open(web.screenshot(page, tmp_path / "full.png")[0])
            assert seen.size == (width, height) and full.width == width, (spec.doc, seen.size, full.size)
            tallest = max(tallest, full.height)
            diff = ImageChops.difference(seen.convert("RGB").crop(box), full.convert("RGB").crop(box)).convert("L")
            changed = sum(diff.histogram()[32:]) / (diff.width * diff.height)
            if changed > 0.001:
                differ[spec.doc] = f"{changed:.1%} of the article's pixels"
    finally:
        page.context.close()
    assert tallest > 3 * height, "no page is long enough to test a full-page capture"
    assert not differ, f"screenshots that differ from the viewport: {differ}"


# The defects of issue 10, each made in a copy of a real page: (page, edit, what the check must report).
DEFECTS = {
    "MathJax from its CDN (as before, offline)": (
        "book/notation",
        lambda t: _MATHJAX.sub(_CDN, t),
        [
            "requests a resource from the internet (not in ALLOWED_EXTERNAL): https://cdn.jsdelivr.net/npm/mathjax@3/",
            "formula(s) not typeset (MathJax did not run)",
            "raw TeX in the visible text",
        ],
    ),
    "a Markdown table left as a paragraph": (
        "notebooks/04_invariance",
        lambda t: t.replace("</article>", "<p>| P(y) | I(i) |\n|---|---:|\n| 0.02 | 1.00 |</p></article>", 1),
        ["raw Markdown table in the visible text (1 line(s)): '| P(y) | I(i) | |---|---:| | 0.02 | 1.00 |'"],
    ),
    "the page shifted left (a clipped screenshot)": (
        "notebooks/04_invariance",
        lambda t: t.replace("</head>", "<style>.bd-container { transform: translateX(-300px); }</style></head>", 1),
        [
            "main content (#main-content) lies outside the viewport",
            "in the screenshot: main content (#main-content) lies outside the viewport",
            "the sidebar (.bd-sidebar-primary) does not show whole on a 1280 px wide viewport",
        ],
    ),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_checker_catches_issue_10_defects_in_a_copy_of_the_book(defect, tmp_path, browser, book_html, book_specs):
    """Done-when of issue 10: raw TeX, a raw Markdown table and a page outside the viewport fail the check."""
    doc, edit, expected = DEFECTS[defect]
    spec = next(s for s in book_specs if s.doc == doc)
    copy = _copy_with(book_html, tmp_path, spec.path, edit)
    with server.serve(book_html) as base:
        intact = "\n".join(check.check_pages(browser, base, [spec], tmp_path / "a").pages[doc].problems)
    with server.serve(copy) as base:
        report = "\n".join(check.check_pages(browser, base, [spec], tmp_path / "b").pages[doc].problems)
    assert not [e for e in expected if e in intact], intact
    missing = [e for e in expected if e not in report]
    assert not missing, f"not reported: {missing}\nreported:\n{report}"


def _break(page: Path) -> dict[str, str]:
    """Remove the first figure of a chapter page, blank the source of the next, point a chapter link at
    a missing page and a heading anchor at a missing id. Returns what was broken."""
    text = page.read_text()
    article = text.index("<article")
    imgs = [m for m in re.finditer(r"<img\b[^>]*>", text) if m.start() > article]
    assert imgs, f"{page} shows no figure"
    first = imgs[0]
    broken = {"removed": re.search(r'src="([^"]*)"', first.group()).group(1)}
    if len(imgs) > 1:
        second = imgs[1]
        broken["blanked"] = re.search(r'src="([^"]*)"', second.group()).group(1)
        text = text[: second.start()] + re.sub(r'src="[^"]*"', 'src=""', second.group()) + text[second.end() :]
    text = text[: first.start()] + text[first.end() :]
    nav = re.search(r'class="(?:right-next|left-prev)"\s+href="([^"#]+)\.html"', text)
    assert nav, f"{page} links no neighbouring chapter"
    broken["link"] = f"{nav.group(1)}-missing.html"
    text = text[: nav.start(1)] + nav.group(1) + "-missing" + text[nav.end(1) :]
    anchor = re.search(r'class="headerlink" href="#([^"]+)"', text)
    assert anchor, f"{page} has no heading anchor"
    text = text[: anchor.start(1)] + "no-such-anchor" + text[anchor.end(1) :]
    page.unlink()  # a symlink into the real build: replace it, never write through it
    page.write_text(text)
    return broken


def test_checker_catches_a_broken_copy_of_the_book(tmp_path, browser, book_html, book_specs):
    """Done-when of issue 7: a figure removed from a chapter and a broken chapter link fail the check."""
    spec = next(s for s in book_specs if s.doc.startswith("notebooks/") and s.stored_figures)
    copy = tmp_path / "html"
    shutil.copytree(book_html, copy, copy_function=os.symlink)  # cheap: only the broken page is real
    broken = _break(copy / spec.path)

    with server.serve(book_html) as base:
        intact = check.check_pages(browser, base, [spec]).pages[spec.doc].problems
    with server.serve(copy) as base:
        problems = check.check_pages(browser, base, [spec]).pages[spec.doc].problems
    assert intact == []
    report = "\n".join(problems)
    shown = spec.stored_figures - 1 - ("blanked" in broken)
    assert f"{shown} figure(s) shown, the notebook stores {spec.stored_figures}" in report, report
    if "blanked" in broken:
        assert "image does not show (natural width 0): src=''" in report, report
    assert re.search(rf"broken link '{re.escape(broken['link'])}'.*is missing \(HTTP 404\)", report), report
    assert "anchor #no-such-anchor does not exist" in report, report


def test_checker_reports_each_kind_of_defect(synthetic_site, browser):
    html, specs, expected_bad = synthetic_site
    with server.serve(html) as base:
        report = check.check_pages(browser, base, specs, screenshots=html.parent / "shots")
    assert report.pages["book/good"].problems == []
    bad = "\n".join(report.pages["book/bad"].problems)
    missing = [e for e in expected_bad if e not in bad]
    assert not missing, f"not reported: {missing}\nreported:\n{bad}"
    assert (html.parent / "shots" / "book" / "bad.png").stat().st_size > 1000
