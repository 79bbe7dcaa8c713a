"""The chapter's figure: what the part decoders paint.

One row per object class: a val crop, its ground-truth part map, and each model's predicted part map, in a
fixed palette (background dark grey, parts from tab10, ``IGNORE`` light grey): what a Table 5 accuracy
looks like. ``result`` is an ``evaluate.Table5Result``. matplotlib is imported on first use, so that the
evaluation runs without it.
"""

from __future__ import annotations

import textwrap
from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps


def label_palette(num_labels: int) -> np.ndarray:
    """RGB colours: background dark grey, parts from tab10, ``IGNORE`` (255) light grey."""
    pal = np.full((256, 3), 0.8)
    pal[0] = 0.15
    tab = colormaps["tab10"].colors
    for k in range(1, max(num_labels, 1)):
        pal[k] = tab[(k - 1) % 10]
    return pal


def plot_examples(result, names: Mapping[str, str] | None = None):
    """One row per class: the val crop, its ground-truth parts, and each model's prediction."""
    names = dict(names or {})
    val, models = result.val, list(result.accuracy)
    cols = 2 + len(models)
    rows = [(cls, int(i)) for cls, idx in result.examples.items() for i in idx[:1]]
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.5 * cols, 1.5 * len(rows)), squeeze=False)
    for r, (cls, i) in enumerate(rows):
        c = val.classes.index(cls)
        pal = label_palette(val.num_labels(c))
        panels = [val.images[i], pal[val.targets[i]]]
        panels += [pal[result.predictions[m][cls][0].numpy()] for m in models]
        titles = ["crop", "ground truth"] + [textwrap.fill(names.get(m, m), 16) for m in models]
        for k, (ax, img) in enumerate(zip(axes[r], panels)):
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[k], fontsize=7)
        axes[r, 0].set_ylabel(cls, fontsize=8)
    fig.tight_layout()
    return fig
