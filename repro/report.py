"""Tables for notebooks and the book: one object shown as HTML in the book, as Markdown, and as aligned
plain text (what nbval compares). Glue a ``Table`` with ``myst_nb.glue`` to show it on the results page
(cross-document glue renders by mime priority, where HTML comes first)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Sequence


def _fmt(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@dataclass
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    digits: int = 2
    cells: list[list[str]] = field(init=False, repr=False)

    def __post_init__(self):
        if any(len(r) != len(self.header) for r in self.rows):
            raise ValueError("every row needs one value per header column")
        self.cells = [[_fmt(v, self.digits) for v in row] for row in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.cells)
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f'<table class="repro-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(map(str, self.header)) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(row) + " |" for row in self.cells]
        return (f"{self.caption}\n\n" if self.caption else "") + "\n".join(lines)

    def __repr__(self) -> str:
        cols = [list(map(str, self.header))] + self.cells
        widths = [max(len(r[i]) for r in cols) for i in range(len(self.header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cols]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return (f"{self.caption}\n" if self.caption else "") + "\n".join(lines)


@dataclass
class Text:
    """Prose computed from results (a chapter's "What we saw"): Markdown in notebooks, HTML for the book's
    cross-document glue (which does not render Markdown), the raw text for nbval. Paragraphs are separated
    by blank lines; ``**bold**`` is kept."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        paras = [p.strip() for p in self.text.split("\n\n") if p.strip()]
        return "".join(f"<p>{_inline_html(html.escape(p, quote=False))}</p>" for p in paras)

    def __repr__(self) -> str:
        return self.text


def _inline_html(escaped: str) -> str:
    """``**bold**``, ```code``` and ``$TeX$`` of one escaped paragraph as HTML; TeX goes into the span that
    the book's MathJax typesets (``\\( ... \\)`` inside ``class="math"``), as Sphinx writes inline math."""
    out = re.sub(r"\$([^$]+?)\$", r'<span class="math notranslate nohighlight">\\(\1\\)</span>', escaped)
    out = re.sub(r"`([^`]+?)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
