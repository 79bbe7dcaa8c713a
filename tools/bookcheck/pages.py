"""The book's pages and what each must show: ``_toc.yml`` and the sources behind it, the declared landmarks,
and whether the built HTML is current (building it like `make book` when it is not).

Expected landmarks are declarative (:data:`LANDMARKS`, :func:`landmarks_for`): extend the map when a chapter
gains something a reader must see.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repro.errors import ReproError


@dataclass(frozen=True)
class Landmarks:
    """What a reader must find on a page, beyond loading without errors and working links/images.

    title: the page's first heading equals the source's first ``# `` heading.
    min_figures: at least this many loaded ``<img>`` in the article.
    figure_captions: every figure of the article sits in a ``<figure>`` with a non-empty caption.
    notation_link: the article links the notation glossary (``book/notation``).
    source_download: the article offers the chapter's paired ``.py`` for download.
    tables_have_numbers: every table of the article has a digit in at least one cell.
    named_tables: name -> regex (case-insensitive) on a table's caption or the heading above it. A named
        table that is present must have numbers; a heading matching the regex must have such a table.
    required_tables: names of ``named_tables`` that must be present.
    """

    title: bool = True
    min_figures: int = 0
    figure_captions: bool = False
    notation_link: bool = True
    source_download: bool = False
    tables_have_numbers: bool = False
    named_tables: dict[str, str] = field(default_factory=dict)
    required_tables: tuple[str, ...] = ()


NOTATION_DOC = "book/notation"
# A notebook chapter: a figure, the glossary and its .py source. Captions (myst-nb's
# `mystnb: {figure: {caption: ...}}` cell metadata) are checked once a chapter declares them below.
CHAPTER = Landmarks(min_figures=1, source_download=True)
PAGE = Landmarks()
RESULT_TABLES = {"Table 5": r"table\s*5|part[- ]segmentation", "invariance": r"invarian"}
# The lead extends this map: per docname, what that page must show (defaults: CHAPTER for notebooks/*,
# PAGE for the rest). E.g. once Table 5 is on the results page, add "Table 5" to required_tables.
LANDMARKS: dict[str, Landmarks] = {
    NOTATION_DOC: Landmarks(notation_link=False, tables_have_numbers=False),
    "book/results": Landmarks(
        tables_have_numbers=True, named_tables=RESULT_TABLES, required_tables=("Table 5", "invariance")
    ),
    "notebooks/00_sample_data": Landmarks(min_figures=5, source_download=True),
    "notebooks/01_dataset_creation": Landmarks(min_figures=4, source_download=True),
    "notebooks/02_generating_tracks": Landmarks(min_figures=5, source_download=True),
    "notebooks/03_training": Landmarks(min_figures=3, source_download=True),
    "notebooks/04_invariance": Landmarks(min_figures=3, source_download=True, tables_have_numbers=True),
    "notebooks/05_part_segmentation": Landmarks(min_figures=1, source_download=True, tables_have_numbers=True),
}


def landmarks_for(doc: str) -> Landmarks:
    """The declared landmarks of a page (:data:`LANDMARKS`), else the default of its kind."""
    if doc in LANDMARKS:
        return LANDMARKS[doc]
    return CHAPTER if doc.startswith("notebooks/") else PAGE


@dataclass(frozen=True)
class PageSpec:
    """One page to check: its docname, path under the HTML root, and what it must show."""

    doc: str
    path: str
    landmarks: Landmarks = PAGE
    title: str | None = None  # expected first heading (from the source); None: not checked
    stored_figures: int = 0  # images in the notebook's stored outputs (0 for .md pages)


def toc_documents(root: Path) -> list[str]:
    """Docnames of ``_toc.yml`` in reading order (root first; parts, chapters and nested sections)."""
    toc_file = Path(root) / "_toc.yml"
    if not toc_file.is_file():
        raise ReproError(f"{toc_file} not found: run from the repository root (the book's _toc.yml).")
    toc = yaml.safe_load(toc_file.read_text())
    docs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "file" in node:
                docs.append(_docname(node["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))

    if "root" not in toc:
        raise ReproError(f"{toc_file} has no `root:` entry (Jupyter Book jb-book format).")
    docs.append(_docname(toc["root"]))
    walk(toc)
    return docs


def _docname(entry: str) -> str:
    entry = str(entry).strip().lstrip("/")
    return re.sub(r"\.(md|ipynb|rst)$", "", entry)


def source_of(root: Path, doc: str) -> Path:
    """The source file of a docname (``.md``, ``.ipynb`` or ``.rst``)."""
    for suffix in (".md", ".ipynb", ".rst"):
        path = Path(root) / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise ReproError(f"_toc.yml lists {doc!r} but no {doc}.md/.ipynb/.rst exists: fix the entry or add the page.")


_REMOVED_TAGS = {"remove-cell", "remove_cell", "remove-output", "remove_output"}


def expected_title(source: Path) -> str | None:
    """The first ``# `` heading of a page's source (first markdown cell for a notebook)."""
    if source.suffix == ".ipynb":
        nb = json.loads(source.read_text())
        texts = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb.get("cells", [])
            if c.get("cell_type") == "markdown"
        ]
    else:
        texts = [source.read_text()]
    for text in texts:
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def stored_figures(source: Path) -> int:
    """Number of image outputs a notebook stores that the book renders in the chapter (glued-only outputs
    and cells tagged remove-output/remove-cell are not rendered there)."""
    if source.suffix != ".ipynb":
        return 0
    nb = json.loads(source.read_text())
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or _REMOVED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            if "scrapbook" in out.get("metadata", {}):  # myst_nb.glue(..., display=False)
                continue
            if any(mime.startswith("image/") for mime in out.get("data", {})):
                count += 1
    return count


def book_pages(root: Path) -> list[PageSpec]:
    """A :class:`PageSpec` for every page of ``_toc.yml``."""
    specs = []
    for doc in toc_documents(root):
        source = source_of(root, doc)
        specs.append(
            PageSpec(
                doc=doc,
                path=f"{doc}.html",
                landmarks=landmarks_for(doc),
                title=expected_title(source),
                stored_figures=stored_figures(source),
            )
        )
    return specs


def book_inputs(root: Path) -> list[Path]:
    """Files whose change makes a built book stale."""
    root = Path(root)
    files = [root / "_config.yml", root / "_toc.yml"]
    for doc in toc_documents(root):
        source = source_of(root, doc)
        files.append(source)
        if source.with_suffix(".py").is_file() and source.suffix == ".ipynb":
            files.append(source.with_suffix(".py"))
    files += sorted((root / "book").rglob("*.bib")) + sorted((root / "book" / "_ext").glob("*.py"))
    return [f for f in files if f.is_file()]


def book_is_current(root: Path, html_dir: Path) -> bool:
    """True when ``html_dir`` has every page of ``_toc.yml``, each newer than every input of the book."""
    html_dir = Path(html_dir)
    pages = [html_dir / f"{doc}.html" for doc in toc_documents(root)]
    if not (html_dir / "search.html").is_file() or not all(p.is_file() for p in pages):
        return False
    oldest_page = min(p.stat().st_mtime for p in pages)
    return all(f.stat().st_mtime <= oldest_page for f in book_inputs(root))


def build_command(root: Path) -> list[str]:
    """The README's `make book` command: Jupyter Book 1, warnings as errors."""
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe), "build", str(root), "--all", "--builder", "html", "-W", "-n", "--keep-going"]


def build_book(root: Path, timeout: float = 900) -> Path:
    """Build the book in place (``<root>/_build/html``) and return that folder."""
    res = subprocess.run(build_command(root), capture_output=True, text=True, timeout=timeout, cwd=root)
    if res.returncode != 0:
        raise ReproError(
            "the book does not build (`make book`); its output ends with:\n" + res.stdout[-3000:] + res.stderr[-3000:]
        )
    return Path(root) / "_build" / "html"
