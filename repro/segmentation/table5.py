"""Table 5 of the supplement as data, rendering in the paper's format, and the chapter's closing text.

Supplement, Table 5: "Object Part Segmentation: We evaluate performance on the task on object-part
segmentation using the Pascal Parts Dataset[46]." Numbers are pixel-wise accuracies in percent; rows are
models, columns the 12 classes and "Avg.". Quoted verbatim from the supplement's text (tab-separated there):

    Method               aeroplane bicycle bird bus  car  cat  cow  dog  horse motorbike person sheep Avg.
    ImageNet Supervised  62.8      65.1    56.5 36.3 41.1 40.1 47   45.1 45.2  76.4      47.6   54.6  51.5
    ImageNet MOCOv2      57.9      61.2    49.8 35.5 41   39.7 46.9 44.4 43.7  75.8      48.8   51.9  49.7
    Ours Region Tracker  62.7      62.2    51.2 36   41   39.9 47.1 43   45.2  75.9      47.2   53.4  50.4

The text's claim: "we ... observe that our proposed model outperforms the ImageNet-MOCO model";
``summary_text`` tests it on our numbers. The chapter's figure, ``plot_examples``, lives in ``figures`` and
is imported here so that the chapter finds everything it shows under ``table5``.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

from ..config import TABLE5_CLASSES
from ..models import RANDOM_INIT
from ..report import Table
from .bootstrap import bootstrap_difference
from .figures import plot_examples  # noqa: F401  (the chapter calls it as table5.plot_examples)

AVG = "Avg."
PAPER_ROWS = ("ImageNet Supervised", "ImageNet MOCOv2", "Ours Region Tracker")
_PAPER_VALUES = {
    "ImageNet Supervised": (62.8, 65.1, 56.5, 36.3, 41.1, 40.1, 47, 45.1, 45.2, 76.4, 47.6, 54.6, 51.5),
    "ImageNet MOCOv2": (57.9, 61.2, 49.8, 35.5, 41, 39.7, 46.9, 44.4, 43.7, 75.8, 48.8, 51.9, 49.7),
    "Ours Region Tracker": (62.7, 62.2, 51.2, 36, 41, 39.9, 47.1, 43, 45.2, 75.9, 47.2, 53.4, 50.4),
}
#: row -> column -> accuracy in percent, columns = the 12 classes and "Avg.".
PAPER_TABLE5: dict[str, dict[str, float]] = {
    row: dict(zip(TABLE5_CLASSES + (AVG,), map(float, vals))) for row, vals in _PAPER_VALUES.items()
}

#: this repository's training modes (``TrainConfig.modes``) -> the paper's row they reproduce.
PAPER_ROW_OF_MODE = {
    "supervised": "ImageNet Supervised",
    "images": "ImageNet MOCOv2",
    "frames+tracks": "Ours Region Tracker",
}


def with_average(row: Mapping[str, float], columns: Sequence[str]) -> dict[str, float]:
    """``row`` restricted to ``columns`` plus "Avg.", the unweighted mean over the classes (as in the paper,
    whose averages equal the mean of its 12 columns to the rounding)."""
    out = {c: float(row[c]) for c in columns}
    out[AVG] = sum(out.values()) / len(out) if out else math.nan
    return out


def difference(
    ours: Mapping[str, Mapping[str, float]],
    paper: Mapping[str, Mapping[str, float]],
    row_map: Mapping[str, str],
    columns: Sequence[str] | None = None,
) -> dict[str, dict[str, float]]:
    """ours - paper, per cell, for each of our rows that ``row_map`` pairs with a paper row, over the
    columns both share (or those of ``columns`` that both share)."""
    out = {}
    for row, paper_row in row_map.items():
        if row in ours and paper_row in paper:
            shared = [c for c in (columns or ours[row]) if c in ours[row] and c in paper[paper_row]]
            out[row] = {c: ours[row][c] - paper[paper_row][c] for c in shared}
    return out


def render(
    table: Mapping[str, Mapping[str, float]],
    columns: Sequence[str] | None = None,
    digits: int = 1,
    title: str = "Method",
    signed: bool = False,
    caption: str = "",
) -> Table:
    """A table in the paper's format: rows = methods, columns = classes then "Avg."; missing cells are
    "–". A ``repro.report.Table``: HTML in the book (and on the results page through glue), Markdown,
    aligned text for nbval."""
    if columns is None:
        columns = []
        for row in table.values():
            columns += [c for c in row if c not in columns and c != AVG]
        if any(AVG in row for row in table.values()):
            columns.append(AVG)
    fmt = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    rows = [
        [name, *(fmt.format(row[c]) if c in row and not math.isnan(row[c]) else "–" for c in columns)]
        for name, row in table.items()
    ]
    return Table([title, *columns], rows, caption=caption)


def render_paper(digits: int = 1) -> Table:
    """The paper's Table 5."""
    return render(
        PAPER_TABLE5, TABLE5_CLASSES + (AVG,), digits, caption="Paper, Table 5 (Pascal-Part; pixel accuracy, %)"
    )


def ranking(table: Mapping[str, Mapping[str, float]], column: str = AVG) -> list[str]:
    """Row names sorted by ``column``, best first."""
    return sorted((r for r in table if column in table[r]), key=lambda r: -table[r][column])


# ---------------------------------------------------------------------------------- the chapter's text
def _pick(paper_rows: Mapping[str, str], paper_row: str) -> str | None:
    """Our model standing for ``paper_row``: one named exactly like it (e.g. the official release), else
    the repository's mode mapped to it."""
    models = [m for m, r in paper_rows.items() if r == paper_row]
    exact = [m for m in models if m == paper_row]
    return (exact or models or [None])[0]


def compare(a: float, b: float, digits: int = 1) -> int:
    """+1 / 0 / -1 as ``a`` beats, ties (equal at the table's rounding) or trails ``b``."""
    ra, rb = round(a, digits), round(b, digits)
    return (ra > rb) - (ra < rb)


def wins_ties_losses(a: Mapping[str, float], b: Mapping[str, float], columns: Sequence[str]) -> tuple[int, int, int]:
    """Classes where a beats b, ties with it (equal at one decimal, as the table shows them), and loses."""
    d = [compare(a[c], b[c]) for c in columns]
    return d.count(1), d.count(0), d.count(-1)


def _chain(items: Sequence[tuple[str, float]]) -> str:
    """ "a (51.5) > b (50.4) = c (50.4)": ">" or "=" as the values compare at one decimal."""
    out = f"{items[0][0]} ({items[0][1]:.1f})"
    for (_, prev), (label, v) in zip(items, items[1:]):
        out += (" > " if compare(prev, v) > 0 else " = ") + f"{label} ({v:.1f})"
    return out


def _ranking_paragraph(result, name: Callable[[str], str]) -> str:
    acc = result.accuracy
    classes = [c for c in next(iter(acc.values())) if c != AVG]
    where = (
        f"the synthetic stand-in ({len(classes)} drawn categories, not Pascal-Part)"
        if result.synthetic
        else f"Pascal-Part ({len(classes)} classes)"
    )
    return (
        f"**Ranking.** On {where}, the models rank by Avg. as "
        + _chain([(name(m), acc[m][AVG]) for m in ranking(acc)])
        + "."
    )


def _floor_paragraph(result, name: Callable[[str], str], n_boot: int) -> str:
    """The per-pixel prior, how many models beat it, and the best trained model minus the prior with its
    paired bootstrap interval over val objects (issue 11's target: an interval that excludes zero)."""
    acc, p = result.accuracy, result.prior[AVG]
    beat = [name(m) for m in ranking(acc) if acc[m][AVG] > p]
    text = (
        f"**Floor.** Predicting every class's per-pixel majority part, with no representation, "
        f"scores {p:.1f}; {len(beat)} of {len(acc)} models beat it"
        + (
            f" ({', '.join(beat)})"
            if beat
            else ": at this scale the decoders recover the mean part layout but not more"
        )
        + "."
    )
    trained = [m for m in ranking(acc) if m != RANDOM_INIT and m in result.counts]
    if not trained or not result.prior_counts:
        return text
    best = trained[0]
    d, lo, hi = bootstrap_difference(result.counts[best], result.prior_counts, n_boot=n_boot)
    verdict = (
        "a learned representation beats the floor"
        if lo > 0
        else "the interval includes 0, so no representation is shown to beat the floor at this scale"
        if hi >= 0
        else "even the best trained representation falls below the floor"
    )
    return text + (
        f" The best trained model, {name(best)}, minus the prior: {d:+.1f} points (95% paired bootstrap interval "
        f"over val objects [{lo:+.1f}, {hi:+.1f}]): {verdict}."
    )


def _ordering_paragraph(result, name: Callable[[str], str], chosen: dict[str, str]) -> str:
    acc = result.accuracy
    paper_order = ranking({r: PAPER_TABLE5[r] for r in chosen})
    ours = ranking({r: acc[m] for r, m in chosen.items()})
    pairs = [(a, b) for i, a in enumerate(paper_order) for b in paper_order[i + 1 :]]
    cmp = {(a, b): compare(acc[chosen[a]][AVG], acc[chosen[b]][AVG]) for a, b in pairs}
    agree = [p for p in pairs if cmp[p] > 0]
    ties = [f"{name(chosen[a])} = {name(chosen[b])}" for a, b in pairs if cmp[a, b] == 0]
    dis = [f"{name(chosen[b])} > {name(chosen[a])}" for a, b in pairs if cmp[a, b] < 0]
    return (
        "**Ordering.** The paper orders "
        + _chain([(r, PAPER_TABLE5[r][AVG]) for r in paper_order])
        + "; our counterparts order "
        + _chain([(name(chosen[r]), acc[chosen[r]][AVG]) for r in ours])
        + f". {len(agree)} of {len(pairs)} pairwise orderings agree with the paper"
        + (f"; tied at one decimal: {'; '.join(ties)}" if ties else "")
        + (f"; reversed: {'; '.join(dis)}." if dis else ".")
    )


def _claim_paragraph(result, name: Callable[[str], str], tracker: str, moco: str, n_boot: int) -> str:
    """The supplement's claim (Region Tracker beats MoCo v2), in the paper and here with its interval."""
    acc = result.accuracy
    classes = [c for c in next(iter(acc.values())) if c != AVG]
    pt, pm = PAPER_TABLE5["Ours Region Tracker"], PAPER_TABLE5["ImageNet MOCOv2"]
    pw = wins_ties_losses(pt, pm, [c for c in pt if c != AVG])
    d, lo, hi = bootstrap_difference(result.counts[tracker], result.counts[moco], n_boot=n_boot)
    w = wins_ties_losses(acc[tracker], acc[moco], classes)
    verdict = {
        1: "holds here too",
        -1: "does not hold here",
        0: "is neither confirmed nor contradicted here (a tie at one decimal)",
    }[compare(d, 0.0)]
    noise = (
        " — but the interval includes 0, so at this scale the difference is within the noise of the val objects"
        if lo <= 0 <= hi and compare(d, 0.0)
        else ""
    )
    return (
        f'**The supplement\'s claim** ("our proposed model outperforms the ImageNet-MOCO model"): in '
        f"the paper, Region Tracker − MoCo v2 = {pt[AVG] - pm[AVG]:+.1f} points on Avg. "
        f"({pw[0]} wins, {pw[1]} tied, {pw[2]} losses over 12 classes). Here "
        f"{name(tracker)} − {name(moco)} = {d:+.1f} points (95% paired bootstrap interval over val "
        f"objects [{lo:+.1f}, {hi:+.1f}]; {w[0]} wins, {w[1]} tied, {w[2]} losses over "
        f"{len(classes)} classes): the claim {verdict}{noise}."
    )


SCALE_NOTE = (
    "**Scale.** Absolute numbers are not comparable with the paper's (other images, categories "
    "and parts, small encoders trained for minutes on sample data, small crops); only "
    'orderings are compared. With `preset="paper"` (Pascal-Part, VOC2010 and the '
    "checkpoints) the same cells produce the real Table 5."
)


def summary_text(result, names: Mapping[str, str] | None = None, n_boot: int = 1000) -> str:
    """The chapter's closing paragraph, built from ``result`` (an ``evaluate.Table5Result``): our ranking,
    the per-pixel prior against the best trained model, the paper's ordering against ours, and the
    supplement's claim."""
    names = dict(names or {})

    def name(m: str) -> str:
        return names.get(m, m)

    out = [_ranking_paragraph(result, name)]
    if result.prior:
        out.append(_floor_paragraph(result, name, n_boot))
    chosen = {r: _pick(result.paper_rows, r) for r in PAPER_ROWS if _pick(result.paper_rows, r)}
    if len(chosen) >= 2:
        out.append(_ordering_paragraph(result, name, chosen))
    tracker, moco = chosen.get("Ours Region Tracker"), chosen.get("ImageNet MOCOv2")
    if tracker and moco:
        out.append(_claim_paragraph(result, name, tracker, moco, n_boot))
    if result.synthetic:
        out.append(SCALE_NOTE)
    return "\n\n".join(out)
