"""The checks of one page and of the whole book: what ``collect.js`` reported, judged against the page's
:class:`~bookcheck.pages.PageSpec` (:func:`evaluate_page`), the page's events (:class:`~bookcheck.browser.PageEvents`),
the search box (:func:`check_search`), and the run over every page of ``_toc.yml`` (:func:`run_check`)."""

from __future__ import annotations

import re
import shutil
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from repro.errors import ReproError

from .browser import BrowserError, PageEvents, evaluate, launch, navigate, open_page, screenshot, script
from .pages import NOTATION_DOC, PageSpec, book_is_current, book_pages, build_book
from .server import LinkResolver, serve
from .text import excerpts, layout_problems, markdown_table_rows, raw_tex, words


@dataclass
class PageReport:
    """What the check of one page found. ``problems`` is empty when a reader sees the page as intended."""

    doc: str
    url: str
    problems: list[str] = field(default_factory=list)
    title: str | None = None
    figures: int = 0
    formulas: int = 0  # formulas typeset by MathJax
    external_requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    seconds: float = 0.0


@dataclass
class BookReport:
    pages: dict[str, PageReport]
    browser: str = ""
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return [f"{doc}: {p}" for doc, page in self.pages.items() for p in page.problems]


# ------------------------------------------------------------------------------------- one page's rules
def _has_number(cells: list[str]) -> bool:
    return any(re.search(r"\d", c) for c in cells)


def _load_problems(spec: PageSpec, data: dict) -> list[str]:
    """It loaded, and its first heading is the source's."""
    problems = []
    if data["status"] not in (200, None) or data["readyState"] != "complete":
        problems.append(f"page did not load (HTTP {data['status']}, document {data['readyState']})")
    if spec.landmarks.title:
        if not data["h1"]:
            problems.append("no title: the page has no first-level heading")
        elif spec.title is not None and words(spec.title) != words(data["h1"]):
            problems.append(f"title is {data['h1']!r}, the source's first heading is {spec.title!r}")
    if not data["searchBox"]:
        problems.append("no search box")
    return problems


def _figure_problems(spec: PageSpec, data: dict) -> list[str]:
    """Every image loads; a chapter shows what its notebook stores and what its landmarks declare."""
    lm, problems = spec.landmarks, []
    for img in data["images"]:
        if img["width"] == 0:
            problems.append(f"image does not show (natural width 0): src={img['src'][:120]!r}")
    shown = [i for i in data["images"] if i["inArticle"] and i["width"] > 0]
    if len(shown) < lm.min_figures:
        problems.append(f"{len(shown)} figure(s) shown, at least {lm.min_figures} expected (LANDMARKS)")
    if len(shown) < spec.stored_figures:
        problems.append(f"{len(shown)} figure(s) shown, the notebook stores {spec.stored_figures}")
    if lm.figure_captions:
        for img in (i for i in data["images"] if i["inArticle"]):
            if not img["caption"]:
                problems.append(f"figure without caption: src={img['src'][:120]!r}")
    return problems


def _link_problems(spec: PageSpec, data: dict, page_url: str, resolver: LinkResolver, notation_url: str) -> list[str]:
    """Internal links and anchors resolve; the glossary and the chapter's source are linked where declared."""
    problems, ids = [], set(data["ids"])
    for link in data["links"]:
        href, url = link["href"], link["url"]
        if href.startswith(("javascript:", "mailto:", "data:")) or href == "#" or not resolver.is_internal(url):
            continue
        if why := resolver.problem(url, page_url, ids):
            problems.append(f"broken link {href!r} ({link['text']!r}): {why}")
    article_links = [lk for lk in data["links"] if lk["inArticle"]]
    if spec.landmarks.notation_link and not any(lk["url"].split("#")[0] == notation_url for lk in article_links):
        problems.append("no link to the notation glossary in the page")
    if spec.landmarks.source_download:
        py = spec.doc.rsplit("/", 1)[-1] + ".py"
        if not any(lk["download"] and lk["url"].endswith("/" + py) for lk in article_links):
            problems.append(f"no download link for the chapter's source {py}")
    return problems


def _table_problems(spec: PageSpec, data: dict) -> list[str]:
    """Tables are never empty, have numbers where declared, and named tables stand where their section is."""
    lm, tables, problems = spec.landmarks, data["tables"], []
    for i, table in enumerate(tables):
        label = table["caption"] or table["heading"] or f"table {i + 1}"
        if table["rows"] == 0 or not any(table["cells"]):
            problems.append(f"empty table: {label!r}")
        elif lm.tables_have_numbers and not _has_number(table["cells"]):
            problems.append(f"table without numbers: {label!r}")
    for name, pattern in lm.named_tables.items():
        rx = re.compile(pattern, re.I)
        found = [t for t in tables if rx.search(t["caption"]) or rx.search(t["heading"])]
        for t in found:
            if not _has_number(t["cells"]):
                problems.append(f"{name} table has no numbers: {t['caption'] or t['heading']!r}")
        sections = [h for h in data["headings"][1:] if rx.search(h)]
        if not found and (name in lm.required_tables or sections):
            where = f" under the section {sections[0]!r}" if sections else ""
            problems.append(f"{name} table missing{where}")
    return problems


def _text_problems(data: dict) -> list[str]:
    """Math typeset, no source syntax left in the visible text, the content inside the viewport."""
    math, text, problems = data["math"], data["visibleText"], []
    if math["formulas"] > math["typeset"]:
        why = "MathJax did not run" if not math["mathjax"] else "MathJax ran but left them"
        problems.append(f"{math['formulas'] - math['typeset']} of {math['formulas']} formula(s) not typeset ({why})")
    if math["errors"]:
        problems.append(f"{len(math['errors'])} formula(s) with a TeX error: {excerpts(math['errors'])}")
    if tex := raw_tex(text, context=30):
        problems.append(f"raw TeX in the visible text ({len(tex)} place(s)): {excerpts(tex)}")
    if rows := markdown_table_rows(text):
        problems.append(f"raw Markdown table in the visible text ({len(rows)} line(s)): {excerpts(rows)}")
    return problems + layout_problems(data["layout"])


def evaluate_page(spec: PageSpec, data: dict, page_url: str, resolver: LinkResolver, notation_url: str) -> list[str]:
    """Problems of one loaded page, from what ``collect.js`` reported."""
    return (
        _load_problems(spec, data)
        + _figure_problems(spec, data)
        + _link_problems(spec, data, page_url, resolver, notation_url)
        + _table_problems(spec, data)
        + _text_problems(data)
    )


# ------------------------------------------------------------------------------------- the whole book
def check_page(
    page, spec: PageSpec, base_url: str, resolver: LinkResolver, screenshots: Path | None = None
) -> PageReport:
    """Load one page in ``page`` (a Playwright page) and check it; its screenshot under ``screenshots``."""
    start = time.monotonic()
    url = urllib.parse.urljoin(base_url, spec.path)
    report = PageReport(doc=spec.doc, url=url)
    events = PageEvents(base_url).attach(page)
    try:
        navigate(page, url)
        data = evaluate(page, script("collect"))
    except BrowserError as exc:
        report.problems.append(f"page failed to render: {exc}")
        return report
    report.title = data["h1"]
    report.figures = sum(1 for i in data["images"] if i["inArticle"] and i["width"] > 0)
    report.formulas = data["math"]["typeset"]
    notation_url = urllib.parse.urljoin(base_url, f"{NOTATION_DOC}.html")
    report.problems += evaluate_page(spec, data, url, resolver, notation_url)
    console, report.external_requests = events.result()
    report.problems += console
    if screenshots is not None:
        report.screenshot, layout = screenshot(page, Path(screenshots) / f"{spec.doc}.png", script("layout"))
        report.problems += [f"in the screenshot: {p}" for p in layout_problems(layout)]
    report.seconds = time.monotonic() - start
    return report


def check_pages(browser: Browser, base_url: str, specs: list[PageSpec], screenshots: Path | None = None) -> BookReport:
    """Load every page in ``specs`` from ``base_url`` and check it; screenshots under ``screenshots``."""
    t0 = time.monotonic()
    resolver = LinkResolver(base_url)
    report = BookReport(pages={}, browser=browser.version)
    for spec in specs:
        page = open_page(browser)  # one page per spec: its events are that page's only
        try:
            report.pages[spec.doc] = check_page(page, spec, base_url, resolver, screenshots)
        finally:
            page.context.close()
    report.seconds = time.monotonic() - t0
    return report


_SUBMIT_JS = """(query) => {
    const input = document.querySelector('form[action*="search"] input[name="q"]');
    if (!input) return false;
    input.value = query; input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
    return true; }"""
_RESULTS_JS = """() => ({
    url: location.href,
    hits: [...document.querySelectorAll('#search-results li a')].map(a => a.href),
    // Sphinx writes the summary only when the search has finished (found or not).
    done: !!(document.querySelector('#search-results p.search-summary') || {}).textContent
  })"""


def check_search(
    browser: Browser, base_url: str, from_page: str, query: str, expect_page: str, timeout: float = 15.0
) -> list[str]:
    """Type ``query`` into the search box of ``from_page`` and submit it, as a reader would; problems if
    the results page does not list ``expect_page`` (a path under the HTML root)."""
    page = open_page(browser)
    try:
        navigate(page, urllib.parse.urljoin(base_url, from_page))
        try:
            with page.expect_navigation(wait_until="load", timeout=timeout * 1000):
                if not page.evaluate(_SUBMIT_JS, query):
                    return [f"{from_page} has no search box"]
            page.wait_for_function(f"({_RESULTS_JS})().done", timeout=timeout * 1000)
        except PlaywrightError:
            hits = page.evaluate(_RESULTS_JS)["hits"]
            return [f"search for {query!r} did not finish within {timeout} s (results so far: {len(hits)})"]
        hits = page.evaluate(_RESULTS_JS)["hits"]
        wanted = urllib.parse.urljoin(base_url, expect_page)
        if not any(h.split("#")[0].split("?")[0] == wanted for h in hits):
            return [f"search for {query!r} lists {len(hits)} page(s) but not {expect_page}"]
        return []
    finally:
        page.context.close()


def run_check(root: Path, browser_exe: str, *, build: bool = True, screenshots: Path | None = None) -> BookReport:
    """Check the book of ``root`` in ``browser_exe``: build it first unless the build is current; replace
    the screenshots in ``screenshots`` (default ``<root>/_build/screenshots``)."""
    root = Path(root)
    html_dir = root / "_build" / "html"
    if not book_is_current(root, html_dir):
        if not build:
            raise ReproError(f"{html_dir} is missing or older than the book's sources: run `make book` first.")
        build_book(root)
    screenshots = Path(screenshots) if screenshots else root / "_build" / "screenshots"
    shutil.rmtree(screenshots, ignore_errors=True)
    specs = book_pages(root)
    with serve(html_dir) as base, launch(browser_exe) as browser:
        report = check_pages(browser, base, specs, screenshots=screenshots)
        chapters = [s for s in specs if s.doc.startswith("notebooks/")] or specs[1:] or specs
        query = max(words(chapters[0].title) or ["book"], key=len)
        report.pages[specs[0].doc].problems += check_search(browser, base, specs[0].path, query, chapters[0].path)
    return report
