"""Figures of the chapter "Dataset creation and sampling frames" (notebooks/01_dataset_creation). Each
``show_*`` returns a closed Figure (``repro.plotting.finish``): end a notebook cell with it."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ..plotting import finish
from .chunks import chunk_starts, frame_pairs, pairs_at_least


def show_chunk_layout(lengths: dict[str, int], num_chunks: int, chunk_len: int, title: str = ""):
    """One timeline per video: its frames as a grey bar, each chunk c as a coloured span (overlapping
    chunks are drawn translucent, so overlaps look darker)."""
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(lengths) + 1.2))
    colours = plt.cm.tab10(np.arange(num_chunks) % 10)
    for row, (name, n) in enumerate(lengths.items()):
        y = len(lengths) - 1 - row
        ax.barh(y, n, left=0, height=0.7, color="0.9", edgecolor="0.6")
        for c, s in enumerate(chunk_starts(n, num_chunks, chunk_len)):
            ax.barh(y, chunk_len, left=s, height=0.5, color=colours[c], alpha=0.55)
        if n < chunk_len:
            ax.text(n + 2, y, "shorter than a chunk: no chunk", va="center", fontsize=8)
    ax.set_yticks(range(len(lengths)), list(lengths)[::-1])
    ax.set_xlabel("frame")
    ax.set_title(title or f"{num_chunks} maximally spaced chunks of {chunk_len} frames")
    handles = [Patch(color=colours[c], alpha=0.55, label=f"chunk {c}") for c in range(num_chunks)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return finish(fig)


def _pairs(ax, chunk_len: int, k: int):
    """The pairs (i, j) of one chunk: every pair at least k apart (random mode) and V_pairs (grid mode)."""
    near = np.array(pairs_at_least(chunk_len, k)).reshape(-1, 2)
    grid = np.array(frame_pairs(chunk_len, k)).reshape(-1, 2)
    ax.scatter(near[:, 0], near[:, 1], s=6, color="tab:blue", label=f"j - i >= {k} ({len(near)})")
    ax.scatter(
        grid[:, 0],
        grid[:, 1],
        s=60,
        facecolor="none",
        edgecolor="tab:red",
        linewidth=1.5,
        label=f"V_pairs ({len(grid)})",
    )
    ax.set_xlim(-1, chunk_len)
    ax.set_ylim(-1, chunk_len)
    ax.set_xlabel("i (first frame)")
    ax.set_ylabel("j (second frame)")
    ax.set_title(f"chunk_len = {chunk_len}, k = {k}")
    ax.legend(fontsize=8, loc="lower right")


def _gaps(ax, gaps: Sequence[int], chunk_len: int, k: int):
    """Histogram of sampled gaps j - i against the uniform-over-pairs expectation (chunk_len - d)."""
    d = np.arange(k, chunk_len)
    expected = (chunk_len - d) / (chunk_len - d).sum() * len(gaps)
    ax.hist(gaps, bins=np.arange(k, chunk_len + 1) - 0.5, color="tab:blue", alpha=0.6, label="sampled")
    ax.plot(d, expected, "k.-", label="expected")
    ax.set_xlabel("gap j - i (frames)")
    ax.set_ylabel("pairs")
    ax.set_title(f"gaps of {len(gaps)} sampled pairs", fontsize=9)
    ax.legend(fontsize=8)


def show_pairs(sizes: Sequence[tuple[int, int]], gaps: Sequence[int]):
    """The pair sets of each (chunk_len, k) in ``sizes``, then the histogram of ``gaps`` sampled for the
    last one."""
    fig, axes = plt.subplots(1, len(sizes) + 1, figsize=(4.3 * (len(sizes) + 1), 3.8))
    for ax, (chunk_len, k) in zip(axes, sizes):
        _pairs(ax, chunk_len, k)
    _gaps(axes[-1], gaps, *sizes[-1])
    return finish(fig)


def show_frame_pairs(examples: Sequence[tuple[str, np.ndarray, np.ndarray]]):
    """Rows of (title, frame i, frame j)."""
    fig, axes = plt.subplots(len(examples), 2, figsize=(7, 2.3 * len(examples)), squeeze=False)
    for row, (title, a, b) in enumerate(examples):
        for col, (img, tag) in enumerate(((a, "i"), (b, "j"))):
            axes[row, col].imshow(img)
            axes[row, col].set_title(f"{title}: frame {tag}", fontsize=9)
            axes[row, col].axis("off")
    return finish(fig)
