"""Figures of the chapter "Generating tracks" (notebooks/02_generating_tracks). Each ``show_*`` returns a
closed Figure (``repro.plotting.finish``): end a notebook cell with it, or ``display`` it."""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plotting import finish
from .quality import Quality


def _boxes(ax, boxes, colours, labels=None, lw=1.5):
    for n, (b, c) in enumerate(zip(boxes, colours)):
        ax.add_patch(Rectangle((b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=False, edgecolor=c, linewidth=lw))
        if labels is not None:
            ax.text(b[0] + 1, b[1] + 1, labels[n], color="white", fontsize=7, va="top",
                    bbox=dict(facecolor=c, edgecolor="none", pad=1, alpha=0.8))


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
    im = axes[1].imshow(np.where(np.isfinite(log_S), log_S, np.nan), cmap="magma",
                        vmin=np.quantile(finite, 0.05) if finite.size else None)
    axes[1].set_title(f"log S(i -> i+{gap}) (Eq. 4)", fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    for ax in axes:
        ax.set_xlabel("region of the later frame")
        ax.set_ylabel("region of the earlier frame")
    return finish(fig)


def show_tracks(image_i: np.ndarray, image_j: np.ndarray, boxes_i: np.ndarray, boxes_j: np.ndarray,
                n: int = 6, title: str = ""):
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
