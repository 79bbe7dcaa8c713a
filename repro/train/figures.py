"""Figures and summaries of the training chapter (notebook 03): the views one step sees, loss curves,
the loss table, and queries with their positive and hardest negative."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import finish
from ..report import Table


def show_views(views: dict, modes: list[str], n: int = 4):
    """Query/key views of ``n`` samples per contrastive mode; patch views with their boxes for tracks."""
    rows = [(m, v) for m in modes for v in ("query", "key")]
    if "frames+tracks" in modes:
        rows += [("frames+tracks", "patch_query"), ("frames+tracks", "patch_key")]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 * n, 1.7 * len(rows)), squeeze=False)
    for r, (m, v) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(views[m][v][c].permute(1, 2, 0).numpy())
            if v.startswith("patch"):
                x1, y1, x2, y2 = views[m]["box_" + v.split("_")[1]][c].tolist()
                ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="yellow", lw=1.5))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(f"{m}\n{v}", fontsize=7)
    return finish(fig)


def smooth(y: np.ndarray, w: int = 10) -> np.ndarray:
    """Moving average over ``w`` steps (valid part only)."""
    return np.convolve(y, np.ones(w) / w, mode="valid")


def show_curves(logs: dict, queue_size: int, w: int = 10):
    """Contrastive losses (with log(1+K), the loss of a model that cannot tell keys apart) and the
    supervised cross-entropy, smoothed over ``w`` steps."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for m, lg in logs.items():
        axes[0 if m != "supervised" else 1].plot(lg["step"][w - 1:], smooth(lg["loss"], w), label=m)
        if m == "frames+tracks":
            axes[0].plot(lg["step"][w - 1:], smooth(lg["loss_patch"], w), ":", label="frames+tracks (patch loss)")
    axes[0].axhline(math.log(1 + queue_size), color="gray", ls="--", lw=0.8, label="log(1+K)")
    axes[0].set(title="contrastive loss", xlabel="step", ylabel="loss")
    axes[1].set(title="supervised cross-entropy", xlabel="step")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    return finish(fig)


def loss_summary(mode: str, log: dict, queue_size: int, batch_size: int, n: int = 10) -> dict:
    """First/last-``n``-step means of loss and accuracy; for contrastive modes also the loss right after
    the queue first holds only real keys (K / keys enqueued per step) and the mean queue age."""
    out = {"first": log["loss"][:n].mean(), "last": log["loss"][-n:].mean(), "acc": log["acc"][-n:].mean()}
    if mode != "supervised":
        full = queue_size // (batch_size * (2 if mode == "frames+tracks" else 1))
        out.update(full_step=full, full=log["loss"][full:full + n].mean(), age=log["queue_age"][-n:].mean())
    return out


def loss_table(summaries: dict) -> Table:
    rows = []
    for m, s in summaries.items():
        full = f"{s['full']:.2f} (steps {s['full_step'] + 1}-{s['full_step'] + 10})" if "full" in s else "–"
        age = f"{s['age']:.1f}" if "age" in s else "–"
        rows.append([m, f"{s['first']:.2f}", full, f"{s['last']:.2f}", f"{s['acc']:.2f}", age])
    return Table(["mode", "loss, steps 1-10", "loss after the queue is full", "loss, last 10 steps",
                  "accuracy, last 10 steps", "queue age (steps)"], rows, caption="Training losses")


def show_hardest(examples: dict, n_queries: int = 3):
    """Per contrastive mode: queries, their positive keys and hardest negatives, with cosine similarities."""
    fig, axes = plt.subplots(n_queries, 3 * len(examples), figsize=(2.0 * 3 * len(examples), 2.1 * n_queries),
                             squeeze=False)
    for j, (m, ex) in enumerate(examples.items()):
        for i in range(n_queries):
            for c, (name, sim) in enumerate((("query", None), ("positive", ex["sim_positive"][i]),
                                             ("negative", ex["sim_negative"][i]))):
                ax = axes[i, 3 * j + c]
                ax.imshow(ex[name][i].permute(1, 2, 0).numpy())
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{m}\n{name}" if sim is None else f"{name} {sim:.2f}", fontsize=7)
    return finish(fig)
