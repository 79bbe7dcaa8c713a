"""Figures, checks and the summary of the chapter "Generating tracks" (notebooks/02_generating_tracks).
Each ``show_*`` returns a closed Figure (``repro.plotting.finish``): end a notebook cell with it, or
``display`` it. The numeric checks (``similarity_stats``, ``rank_one_shares``, ``closed_form_check``,
``quality_at``) return plain values; ``*_text`` functions word them as the chapter prints them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plotting import finish
from ..report import Text
from .quality import Quality, StoredQuality, rank_one_share
from .score import log_track_scores, track_scores
from .store import StoreIndex, chunk_file, load_tracks, widest_pair


def _boxes(ax, boxes, colours, labels=None, lw=1.5):
    for n, (b, c) in enumerate(zip(boxes, colours)):
        ax.add_patch(Rectangle((b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=False, edgecolor=c, linewidth=lw))
        if labels is not None:
            ax.text(
                b[0] + 1,
                b[1] + 1,
                labels[n],
                color="white",
                fontsize=7,
                va="top",
                bbox=dict(facecolor=c, edgecolor="none", pad=1, alpha=0.8),
            )


def show_proposals(image: np.ndarray, boxes: np.ndarray, top: int = 20, title: str = ""):
    """The frame with its ``top`` first (best-ranked) proposals."""
    fig, ax = plt.subplots(figsize=(5, 5 * image.shape[0] / image.shape[1] + 0.4))
    ax.imshow(image)
    _boxes(ax, boxes[:top], plt.cm.tab20(np.arange(min(top, len(boxes))) % 20), lw=1)
    ax.set_title(title or f"top {min(top, len(boxes))} of {len(boxes)} proposals", fontsize=9)
    ax.axis("off")
    return finish(fig)


def show_scores(M: np.ndarray, log_S: np.ndarray, gap: int):
    """M_t (one step) next to log S(i->j) for a pair ``gap`` frames apart (rows: regions of frame i)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    im = axes[0].imshow(M, cmap="viridis", vmin=0, vmax=1)
    axes[0].set_title("M_t = max(0, cos) between consecutive frames", fontsize=9)
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    finite = log_S[np.isfinite(log_S)]
    im = axes[1].imshow(
        np.where(np.isfinite(log_S), log_S, np.nan),
        cmap="magma",
        vmin=np.quantile(finite, 0.05) if finite.size else None,
    )
    axes[1].set_title(f"log S(i -> i+{gap}) (Eq. 4)", fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    for ax in axes:
        ax.set_xlabel("region of the later frame")
        ax.set_ylabel("region of the earlier frame")
    return finish(fig)


def show_tracks(
    image_i: np.ndarray, image_j: np.ndarray, boxes_i: np.ndarray, boxes_j: np.ndarray, n: int = 6, title: str = ""
):
    """The ``n`` best tracks of a pair: the same colour and number on both frames."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5 * image_i.shape[0] / image_i.shape[1] + 0.5))
    colours = plt.cm.tab10(np.arange(min(n, len(boxes_i))) % 10)
    labels = [str(k + 1) for k in range(len(colours))]
    for ax, img, b, tag in ((axes[0], image_i, boxes_i, "frame i"), (axes[1], image_j, boxes_j, "frame j")):
        ax.imshow(img)
        _boxes(ax, b[:n], colours, labels, lw=2)
        ax.set_title(f"{title} {tag}".strip(), fontsize=9)
        ax.axis("off")
    return finish(fig)


def show_quality(results: Mapping[str, Quality]):
    """Precision and recall against the quantile threshold for each variant, with the random baseline."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for n, (name, q) in enumerate(results.items()):
        c = plt.cm.tab10(n)
        axes[0].plot(q.recall, q.precision, "o-", color=c, label=name)
        axes[0].plot(q.random_recall, q.random_precision, "x--", color=c, alpha=0.6, label=f"random ({name})")
        axes[1].plot(q.quantiles, q.precision, "o-", color=c, label=f"precision, {name}")
        axes[1].plot(q.quantiles, q.recall, "s:", color=c, label=f"recall, {name}")
    axes[0].set_xlabel("recall")
    axes[0].set_ylabel("precision")
    axes[0].set_title("tracks vs random region pairs (one point per quantile)", fontsize=9)
    axes[1].set_xlabel("threshold quantile")
    axes[1].set_title("against the threshold", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return finish(fig)


# ---------------------------------------------------------------------------------------------- the job
def job_text(index: StoreIndex, chunks_total: int) -> str:
    """The key and how many chunks, tracks and frame pairs a run's index lists."""
    return (
        f"key: {index.key}\n{len(index.chunks)} of {chunks_total} chunks have tracks: {index.num_tracks} "
        f"tracks over {index.num_pairs} frame pairs"
    )


def proposals_text(chunk, boxes: Sequence[np.ndarray]) -> str:
    """A chunk's frame range and the fewest and most proposals of its frames."""
    return (
        f"{chunk.name}: frames {chunk.start}-{chunk.start + chunk.length - 1}, "
        f"{min(map(len, boxes))}-{max(map(len, boxes))} proposals per frame"
    )


# ---------------------------------------------------------------------------------------------- Eq. 4-5
def similarity_stats(M_plain: Sequence[np.ndarray], M: Sequence[np.ndarray]) -> dict:
    """Of the first step's similarities: median and 5% quantile of the plain cosine, median of the centred
    one and the fraction that ``max(0, .)`` clips to 0."""
    return {
        "plain_median": np.median(M_plain[0]),
        "plain_q05": np.quantile(M_plain[0], 0.05),
        "centred_median": np.median(M[0]),
        "clipped": (M[0] == 0).mean(),
    }


def similarity_text(stats: dict) -> str:
    return (
        f"plain cosine between consecutive frames: median {stats['plain_median']:.3f}, "
        f"5% quantile {stats['plain_q05']:.3f}\n"
        f"centred: median {stats['centred_median']:.3f}, fraction clipped to 0 by max(0, .): "
        f"{stats['clipped']:.3f}"
    )


def rank_one_shares(M: Sequence[np.ndarray], gaps: Sequence[int]) -> dict[int, float]:
    """For each gap j: the share of S(0 -> j) in its best rank-1 approximation (``rank_one_share``)."""
    return {g: rank_one_share(log_track_scores(M, 0, g)) for g in gaps}


def shares_text(shares: Mapping[int, float]) -> str:
    return "share of S(0 -> j) in its best rank-1 approximation: " + ", ".join(
        f"j = {g}: {v:.3f}" for g, v in shares.items()
    )


def paper_log10_bound(frames: int = 60, regions: int = 300) -> float:
    """log10 of the largest S(0 -> frames-1) when every similarity is 1 and every frame has ``regions``
    regions: R^(j-1) paths of product 1, divided by j = frames - 1."""
    j = frames - 1
    return ((j - 1) * np.log(regions) - np.log(j)) / np.log(10)


@dataclass
class ClosedForm:
    """Eq. 4 evaluated as written against its closed form S(i -> j) = M_i ... M_{j-1} / (j - i), from 0 to
    ``j``: the largest relative difference, whether log S agrees with the float64 scores, and log S."""

    j: int
    relative_difference: float
    log_agrees: bool
    log_scores: np.ndarray

    @property
    def log10_max(self) -> float:
        return self.log_scores.max() / np.log(10)

    def text(self) -> str:
        return (
            f"max relative difference, recursion vs closed form over {self.j} steps: below 1e-12: "
            f"{self.relative_difference < 1e-12}\n"
            f"log S(0 -> {self.j}) agrees with log of the float64 scores: {self.log_agrees}\n"
            f"largest S(0 -> {self.j}) here: 10^{self.log10_max:.0f} (float32 ends at 10^38); "
            f"for 60 frames x 300 regions scores can reach 10^{paper_log10_bound():.0f}"
        )


def closed_form_check(M: Sequence[np.ndarray], j: int) -> ClosedForm:
    """Compares ``track_scores`` (the recursion, float64) with the scaled matrix product and with
    ``log_track_scores`` over the first ``j`` steps."""
    S_rec = track_scores(M, 0, j)
    S_prod = np.linalg.multi_dot(M[0:j]) / j
    rel = np.abs(S_rec - S_prod).max() / np.abs(S_prod).max()
    log_all = log_track_scores(M, 0, j)
    return ClosedForm(j, rel, np.allclose(log_all, np.log(S_rec)), log_all)


# ---------------------------------------------------------------------------------------------- tracks
def widest_pair_tracks(videos, chunks, out_dir: str | Path, n_clips: int = 2, n: int = 6) -> Iterator[tuple]:
    """For the first chunk of each of the first ``n_clips`` clips: a line naming its widest pair and the
    number of its tracks, and the figure of its ``n`` best tracks (``show_tracks``)."""
    for seq in videos.sequences()[:n_clips]:
        c = next(c for c in chunks if c.seq == seq.seq)
        t = load_tracks(chunk_file(out_dir, c))
        i, j, sel = widest_pair(t)
        line = f"{c.name}: pair ({i}, {j}), {sel.sum()} tracks"
        yield (
            line,
            show_tracks(
                videos.read_frame(c.split, c.seq, i),
                videos.read_frame(c.split, c.seq, j),
                t["boxes_i"][sel],
                t["boxes_j"][sel],
                n=n,
                title=f"{c.seq}",
            ),
        )


def quality_text(name: str, q: Quality) -> str:
    return f"{name}: {q.pairs} pairs, {q.instances} object instances, proposal recall {q.proposal_recall:.3f}"


def quality_at(results: Mapping[str, Quality], quantile: float) -> dict[str, dict] | None:
    """Each variant's row (``Quality.rows``) at ``quantile``; None when it was not evaluated."""
    if any(quantile not in q.quantiles for q in results.values()):
        return None
    return {name: dict(zip(q.quantiles, q.rows()))[quantile] for name, q in results.items()}


# ---------------------------------------------------------------------------------------------- summary
def headline(
    index: StoreIndex,
    check: ClosedForm,
    stats: dict,
    shares: Mapping[int, float],
    results: Mapping[str, Quality],
    row: Mapping[str, dict] | None,
    world: StoredQuality | None = None,
) -> dict:
    """The chapter's recorded numbers; ``shares`` holds the gap ``check.j``, ``row`` is ``quality_at``,
    ``world`` the stored tracks against the world videos' ground truth (``stored_quality``)."""
    return {
        "chunks_with_tracks": len(index.chunks),
        "tracks": index.num_tracks,
        "log10_max_score": check.log10_max,
        "plain_cosine_median": stats["plain_median"],
        "rank_one_share_last": shares[check.j],
        "proposal_recall": results["centred"].proposal_recall,
        **{
            f"{name.replace(' ', '_')}.{k}": v
            for name, r in (row or {}).items()
            for k, v in r.items()
            if k in ("precision", "recall", "random_precision", "random_recall")
        },
        **(world.record() if world is not None else {}),
    }


def world_text(world: StoredQuality | None) -> str:
    """The stored tracks against the world videos' ground truth, in one paragraph."""
    if world is None:
        return "No video of this run has ground truth, so the stored tracks are not checked against it."
    r = world.record()
    return (
        f"On the {r['world.videos']} world videos that `frames+tracks` trains on, {r['world.precision']:.3f} of "
        f"the stored tracks cover the same object in both frames; a patch pair drawn as the training loader "
        f"draws one does with probability {r['world.training_precision']:.3f}, against "
        f"{r['world.random_precision']:.3f} for a random proposal pair of the same frames (difference "
        f"{r['world.gain']:+.3f}, 95% interval [{r['world.gain_lo']:+.3f}, {r['world.gain_hi']:+.3f}] over "
        f"videos). The other patch pairs miss the object (IoU < 0.5) in at least one of the two frames."
    )


def summary(
    index: StoreIndex,
    check: ClosedForm,
    max_proposals: int,
    shares: Mapping[int, float],
    results: Mapping[str, Quality],
    row: Mapping[str, dict] | None,
    quantile: float,
    world: StoredQuality | None = None,
) -> Text:
    """The chapter's "What we saw"; ``shares`` runs from one step to the whole chunk (``check.j`` steps)."""
    steps = check.j
    text = (
        f"The job wrote {len(index.chunks)} chunk files with {index.num_tracks} tracks "
        f"({index.num_tracks / index.num_pairs:.1f} per frame pair). "
        f"Eq. 4 evaluated as written and its closed form $\\frac{{1}}{{j-i}} M_i \\cdots M_{{j-1}}$ agree to "
        f"machine precision. Over {steps} steps with up to {max_proposals} regions the "
        f"scores reach $10^{{{check.log10_max:.0f}}}$ "
        f"({'beyond' if check.log_scores.max() > np.log(np.finfo(np.float32).max) else 'within'} float32); at "
        f"the paper's 60 frames x 300 regions they can reach $10^{{{paper_log10_bound():.0f}}}$, which is why the "
        "package works with $\\log S$. "
    )
    text += (
        f"Summing over every path makes $S(0 \\to j)$ nearly rank one as $j$ grows (share of the best rank-1 "
        f"approximation {shares[1]:.3f} for one step, {shares[steps]:.3f} for {steps}), so "
        "a track's score is dominated by how similar each of its two regions is to many regions, not only "
        "to each other. "
    )
    if row:
        a, c = row["as written"], row["centred"]
        text += (
            f"On the synthetic videos at the quantile {quantile}, tracks from the features as written have "
            f"precision {a['precision']:.3f} (random pairs: {a['random_precision']:.3f}); with centred features "
            f"{c['precision']:.3f} (random: {c['random_precision']:.3f}) at recall {c['recall']:.3f}. "
            f"Selective search itself covers {results['centred'].proposal_recall:.3f} of the object instances "
            "in both frames, an upper bound on recall. "
        )
    return Text(text + world_text(world))
