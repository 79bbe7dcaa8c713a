"""What a reader must not see, as pure rules on what a page reported: source syntax left in the visible text
(raw TeX, a Markdown table) and content outside the viewport. No browser needed; the tests feed them text."""

from __future__ import annotations

import re

DESKTOP_WIDTH = 1200  # px; from this viewport width on, the theme shows the sidebar (pydata's xl breakpoint)

# Scanned in the visible text of a page, code blocks and typeset math left out (so `r"\("` in code is fine).
_RAW_TEX = re.compile(
    r"""
    \\\(.*?\\\) | \\\[.*?\\\] | \$\$.*?\$\$     # a whole formula in MathJax's or Markdown's delimiters
  | \\[()\[\]] | \$\$                           # a lone delimiter (a formula split over lines)
  | \$[^\s$][^$\n]*?[\\_^{][^$\n]*?\$           # $...$ with TeX inside (a price such as $5 is not)
  | \\[A-Za-z]{2,}                              # a TeX command outside delimiters: \frac, \mathcal, \sum
""",
    re.X,
)
# A Markdown table left as text: its delimiter row (|---|---:|; anywhere in a line, since a paragraph joins
# the rows into one), or a line of cells between pipes (| a | b |).
_TABLE_DELIMITER = re.compile(r"(?:^|\|)\s*:?-+:?\s*\|\s*:?-+:?\s*(?:\||$)", re.M)
_TABLE_ROW = re.compile(r"^\s*\|(?:[^|\n]*\|){2,}\s*$", re.M)


def raw_tex(text: str, context: int = 0) -> list[str]:
    """The pieces of TeX source in ``text`` (what a reader sees where MathJax did not typeset a formula),
    each with up to ``context`` characters of its line on either side."""
    return [
        m.string[max(m.string.rfind("\n", 0, m.start()) + 1, m.start() - context) : m.start()]
        + m.group()
        + m.string[m.end() : m.end() + context].split("\n", 1)[0]
        for m in _RAW_TEX.finditer(text)
    ]


def markdown_table_rows(text: str) -> list[str]:
    """The lines of ``text`` that are Markdown table syntax (rendered as a paragraph instead of a table)."""
    return [line for line in text.splitlines() if _TABLE_DELIMITER.search(line) or _TABLE_ROW.match(line)]


def layout_problems(layout: dict) -> list[str]:
    """Problems of a page's horizontal layout, from ``layout.js``: every main-content element lies
    inside the viewport (a shifted page clips the first characters of every line) and, at desktop width,
    the sidebar shows whole."""
    width, problems = layout["width"], []
    if not layout["main"]:
        problems.append("no main content (#main-content, main or article)")
    for box in layout["main"]:
        if box["left"] < -0.5 or box["right"] > width + 0.5:
            problems.append(
                f"main content ({box['name']}) lies outside the viewport: x from {box['left']:.0f} "
                f"to {box['right']:.0f} px, the viewport from 0 to {width} px"
            )
    side = layout["sidebar"]
    if width >= DESKTOP_WIDTH and not (
        side and side["visible"] and side["left"] >= -0.5 and side["right"] <= width + 0.5
    ):
        where = f"x from {side['left']:.0f} to {side['right']:.0f} px" if side and side["visible"] else "hidden"
        problems.append(
            f"the sidebar (.bd-sidebar-primary) does not show whole on a {width} px wide viewport: "
            + (where if side else "missing")
        )
    return problems


def excerpts(items: list[str], n: int = 3, width: int = 120) -> str:
    return "; ".join(repr(s if len(s) <= width else s[:width] + "...") for s in items[:n])


def words(text: str | None) -> list[str]:
    """Alphanumeric words, lower-cased: compares a markdown heading with its rendered text."""
    return re.findall(r"[a-z0-9]+", (text or "").lower())
