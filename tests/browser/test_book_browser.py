"""The rendered book, checked in headless Chromium as a reader sees it (issue 7).

One test per page of _toc.yml (loads, no console errors, images shown, links and anchors resolve,
landmarks of repro.bookcheck.LANDMARKS, a screenshot in _build/screenshots/), the search box, and two
tests that the checker catches defects: a deliberately broken copy of the built book and a tiny
synthetic site with one defect of each kind.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from repro import bookcheck

ROOT = Path(__file__).resolve().parents[2]
DOCS = bookcheck.toc_documents(ROOT)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("doc", DOCS)
def test_page_as_a_reader_sees_it(doc, book_report):
    page = book_report.pages[doc]
    assert not page.problems, f"{page.url}:\n  - " + "\n  - ".join(page.problems)
    assert page.screenshot is not None and page.screenshot.stat().st_size > 1000, page.screenshot


def test_search_box_finds_a_chapter(browser, served_book, book_specs):
    chapter = next((s for s in book_specs if s.doc.startswith("notebooks/")), book_specs[-1])
    query = max(re.findall(r"[a-z0-9]+", chapter.title.lower()), key=len)
    problems = bookcheck.check_search(browser, served_book, book_specs[0].path, query, chapter.path)
    assert problems == []
    # ... and a query nothing matches finds nothing (the check can fail).
    assert bookcheck.check_search(browser, served_book, book_specs[0].path, "zqxjkvbw", chapter.path)


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
        text = (text[:second.start()] + re.sub(r'src="[^"]*"', 'src=""', second.group())
                + text[second.end():])
    text = text[:first.start()] + text[first.end():]
    nav = re.search(r'class="(?:right-next|left-prev)"\s+href="([^"#]+)\.html"', text)
    assert nav, f"{page} links no neighbouring chapter"
    broken["link"] = f"{nav.group(1)}-missing.html"
    text = text[:nav.start(1)] + nav.group(1) + "-missing" + text[nav.end(1):]
    anchor = re.search(r'class="headerlink" href="#([^"]+)"', text)
    assert anchor, f"{page} has no heading anchor"
    text = text[:anchor.start(1)] + "no-such-anchor" + text[anchor.end(1):]
    page.unlink()  # a symlink into the real build: replace it, never write through it
    page.write_text(text)
    return broken


def test_checker_catches_a_broken_copy_of_the_book(tmp_path, browser, book_html, book_specs):
    """Done-when of issue 7: a figure removed from a chapter and a broken chapter link fail the check."""
    spec = next(s for s in book_specs if s.doc.startswith("notebooks/") and s.stored_figures)
    copy = tmp_path / "html"
    shutil.copytree(book_html, copy, copy_function=os.symlink)  # cheap: only the broken page is real
    broken = _break(copy / spec.path)

    with bookcheck.serve(book_html) as base:
        intact = bookcheck.check_pages(browser, base, [spec]).pages[spec.doc].problems
    with bookcheck.serve(copy) as base:
        problems = bookcheck.check_pages(browser, base, [spec]).pages[spec.doc].problems
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
    with bookcheck.serve(html) as base:
        report = bookcheck.check_pages(browser, base, specs, screenshots=html.parent / "shots")
    assert report.pages["book/good"].problems == []
    bad = "\n".join(report.pages["book/bad"].problems)
    missing = [e for e in expected_bad if e not in bad]
    assert not missing, f"not reported: {missing}\nreported:\n{bad}"
    assert (html.parent / "shots" / "book" / "bad.png").stat().st_size > 1000
