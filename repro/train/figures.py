"""Figures and summaries of the training chapter (notebook 03): the views one step sees, loss curves,
the loss table, queries with their positive and hardest negative, and the printed lines, recorded numbers
and closing summary of the chapter."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..moco.builder import LAYER3_STRIDE
from ..models import RANDOM_INIT
from ..plotting import finish
from ..report import Table, Text
from ..stats import paired_bootstrap
from .locality import APART_IOU
from .loop import MONITOR_FIELDS, fixed_steps, read_log


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
    """Contrastive losses (with log(1+K), the loss of a model that cannot tell keys apart), the supervised
    cross-entropy, and the mean cosine of a query with its positive key (solid) and with the negatives
    (dashed) of each contrastive mode, smoothed over ``w`` steps (over every step of a shorter run)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    for j, (m, lg) in enumerate(logs.items()):
        n = max(1, min(w, len(lg["step"])))
        steps = lg["step"][n - 1 :]
        axes[0 if m != "supervised" else 1].plot(steps, smooth(lg["loss"], n), label=m)
        if m == "frames+tracks":
            axes[0].plot(steps, smooth(lg["loss_patch"], n), ":", label="frames+tracks (patch loss)")
        if m != "supervised":
            axes[2].plot(steps, smooth(lg["pos_cos"], n), color=f"C{j}", label=f"{m} positive")
            axes[2].plot(steps, smooth(lg["neg_cos"], n), "--", color=f"C{j}", label=f"{m} negatives")
    axes[0].axhline(math.log(1 + queue_size), color="gray", ls="--", lw=0.8, label="log(1+K)")
    axes[0].set(title="contrastive loss", xlabel="step", ylabel="loss")
    axes[1].set(title="supervised cross-entropy", xlabel="step")
    axes[2].set(title="query cosine with its key / the negatives", xlabel="step", ylim=(-0.05, 1.05))
    for ax in axes:
        ax.legend(fontsize=7)
    return finish(fig)


def loss_summary(mode: str, log: dict, queue_size: int, batch_size: int, n: int = 10) -> dict:
    """First/last-``n``-step means of loss and accuracy; for contrastive modes also the loss right after
    the queue first holds only real keys (K / keys enqueued per step; left out when the run ends before),
    the mean queue age and the last-``n``-step cosines of a query with its key and with the negatives
    (``pos_cos``, ``neg_cos``; ``neg_cos_full`` right after the queue filled)."""
    out = {"first": log["loss"][:n].mean(), "last": log["loss"][-n:].mean(), "acc": log["acc"][-n:].mean()}
    if mode != "supervised":
        full = queue_size // (batch_size * (2 if mode == "frames+tracks" else 1))
        out["age"] = log["queue_age"][-n:].mean()
        out.update(pos_cos=log["pos_cos"][-n:].mean(), neg_cos=log["neg_cos"][-n:].mean())
        if len(log["loss"]) > full:
            out.update(
                full_step=full,
                full=log["loss"][full : full + n].mean(),
                neg_cos_full=log["neg_cos"][full : full + n].mean(),
            )
    return out


def loss_table(summaries: dict) -> Table:
    rows = []
    for m, s in summaries.items():
        full = f"{s['full']:.2f} (steps {s['full_step'] + 1}-{s['full_step'] + 10})" if "full" in s else "–"
        age = f"{s['age']:.1f}" if "age" in s else "–"
        rows.append([m, f"{s['first']:.2f}", full, f"{s['last']:.2f}", f"{s['acc']:.2f}", age])
    return Table(
        [
            "mode",
            "loss, steps 1-10",
            "loss after the queue is full",
            "loss, last 10 steps",
            "accuracy, last 10 steps",
            "queue age (steps)",
        ],
        rows,
        caption="Training losses",
    )


def show_hardest(examples: dict, n_queries: int = 3):
    """Per contrastive mode: queries, their positive keys and hardest negatives, with cosine similarities."""
    fig, axes = plt.subplots(
        n_queries, 3 * len(examples), figsize=(2.0 * 3 * len(examples), 2.1 * n_queries), squeeze=False
    )
    for j, (m, ex) in enumerate(examples.items()):
        for i in range(n_queries):
            for c, (name, sim) in enumerate(
                (("query", None), ("positive", ex["sim_positive"][i]), ("negative", ex["sim_negative"][i]))
            ):
                ax = axes[i, 3 * j + c]
                ax.imshow(ex[name][i].permute(1, 2, 0).numpy())
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{m}\n{name}" if sim is None else f"{name} {sim:.2f}", fontsize=7)
    return finish(fig)


def datasets_text(datasets: dict, cfg) -> str:
    """Size of each mode's training set (images or chunks) and the settings that shape a step."""
    lines = [
        f"{m:>14}: {len(ds)} {'images' if m in ('images', 'supervised') else 'chunks'}" for m, ds in datasets.items()
    ]
    lines.append(
        f"pair gap k = {cfg.video.pair_gap}, chunk length = {cfg.video.chunk_len}, "
        f"queue K = {cfg.train.queue_size}, batch = {cfg.train.batch_size}, "
        f"training length = {steps_text(cfg)}"
    )
    return "\n".join(lines)


def steps_text(cfg) -> str:
    """How long each mode trains: "2,750 steps a model (supervised 1,500)", or "200 epochs a model"."""
    tc, sup = cfg.train, fixed_steps(cfg, "supervised")
    other = "supervised" in tc.modes and sup != tc.train_steps
    if tc.train_steps <= 0:
        return f"{tc.epochs} epochs a model" + (f" (supervised {sup:,} steps)" if other else "")
    return f"{tc.train_steps:,} steps a model" + (f" (supervised {sup:,})" if other else "")


def results_text(results: dict) -> str:
    """Steps trained per mode and where its checkpoint is."""
    return "\n".join(f"{m:>14}: {r.total_steps} steps -> checkpoints/{m}/checkpoint.pt" for m, r in results.items())


def hardest_text(examples: dict, batch_size: int) -> str:
    """Per mode: the queries' similarities to their positive and hardest negative (2 decimals), and how many
    of the batch's other keys score above the positive."""
    lines = []
    for m, ex in examples.items():
        pos = [round(float(v), 2) for v in ex["sim_positive"]]
        neg = [round(float(v), 2) for v in ex["sim_negative"]]
        lines.append(
            f"{m:>14}: positive similarity {pos}, hardest negative {neg}, "
            f"keys above the positive {ex['positive_rank'].tolist()} of {batch_size - 1}"
        )
    return "\n".join(lines)


def locality_text(r: dict, image_size: int) -> str:
    """``locality.patch_locality`` of the trained ``frames+tracks`` model, in two sentences."""
    cells = image_size // LAYER3_STRIDE
    roi_gap = r["roi.same_frame"] - r["roi.other_frames"]
    reads_frame = roi_gap > r["crop.same_frame"] - r["crop.other_frames"]
    return (
        f"Two boxes of one frame that barely overlap (IoU < {APART_IOU}, {r['pairs']} of the patch views) have "
        f"features (the head's, which the loss compares) with a mean cosine of {r['roi.same_frame']:.2f} through "
        f"the ROI path at layer 3 ({cells} x {cells} cells at {image_size} px), against "
        f"{r['roi.other_frames']:.2f} for patches of different frames; cut out and encoded as frames, "
        f"{r['crop.same_frame']:.2f} against {r['crop.other_frames']:.2f}. "
        + (
            "Through the ROI path the regions of one frame are far closer to each other than cut-out regions "
            "are: at this size the patch loss compares frames more than regions."
            if reads_frame
            else "The ROI path tells the regions of one frame apart at least as well as cutting them out does."
        )
    )


def headline(summaries: dict, scores: dict | None = None, locality: dict | None = None) -> dict:
    """The chapter's recorded numbers: every ``loss_summary`` value but the step at which the queue filled,
    the colour-histogram kNN of ``evaluate_models`` (its per-model accuracies are headline results) and the
    ``patch_locality`` of the ``frames+tracks`` model."""
    out = {f"{m}.{k}": v for m, s in summaries.items() for k, v in s.items() if k != "full_step"}
    if scores is not None:
        out["colour_histogram_knn"] = scores["colour_histogram_knn"]
    out.update({f"patch_locality.{k}": v for k, v in (locality or {}).items()})
    return out


def summary(
    cfg, summaries: dict, logs: dict, num_classes: int | None = None, probe: str = "", locality: str = ""
) -> Text:
    """The chapter's "What we saw", from ``loss_summary`` per mode and the logs (``read_log``);
    ``num_classes``: classes of the supervised set (its chance level); ``probe``: ``probe_text``;
    ``locality``: ``locality_text``."""
    K, B = cfg.train.queue_size, cfg.train.batch_size
    contrastive = [m for m in summaries if m != "supervised"]
    parts = [
        f"We trained {len(summaries)} models, {steps_text(cfg)}, with a {cfg.train.arch} at "
        f"{cfg.train.image_size} px and batch {B}."
    ]
    for m in contrastive:
        s = summaries[m]
        full = (
            f"once the queue held only real keys the contrastive loss was {s['full']:.2f}, and"
            if "full" in s
            else f"the run ended before the queue held only real keys (after {K // B} steps); the loss was"
        )
        parts.append(
            f"`{m}`: {full} "
            f"{s['last']:.2f} at the end (chance level log(1+K) = {math.log(1 + K):.2f}); in the last 10 "
            f"steps the positive key beat all {K} negatives for {100 * s['acc']:.0f}% of the queries "
            f"(chance: {100 / (K + 1):.2f}%). A query's mean cosine with its positive key was "
            f"{s['pos_cos']:.2f} and with the negatives {s['neg_cos']:.2f}"
            + (f" ({s['neg_cos_full']:.2f} once the queue was full)." if "neg_cos_full" in s else ".")
        )
    if "frames+tracks" in summaries:
        lg = logs["frames+tracks"]
        ages = ", ".join(f"{summaries[m]['age']:.1f} steps for `{m}`" for m in contrastive)
        parts.append(
            f"With tracks, the patch loss ended at {lg['loss_patch'][-10:].mean():.2f} and the frame "
            f"loss at {lg['loss_frame'][-10:].mean():.2f}; each step enqueues the frame keys and then the "
            f"patch keys, so the negatives are younger (mean queue age {ages})."
        )
    if locality:
        parts.append(locality)
    if "supervised" in summaries:
        s = summaries["supervised"]
        parts.append(
            f"`supervised`: the cross-entropy went from {s['first']:.2f} to {s['last']:.2f} "
            f"(training accuracy {100 * s['acc']:.0f}% in the last 10 steps; chance "
            f"{100 / num_classes:.0f}%)."
        )
    parts.append(
        "The loss sees only the gap between these two cosines (divided by T); both close to 1 mean that "
        "every image's features lie in a narrow cone, the features collapsing rather than telling images "
        "apart (Wang & Isola's alignment and uniformity read the same way)."
    )
    if probe:
        parts.append(probe)
    parts.append(
        "The checkpoints are in `<cache>/checkpoints/<mode>/checkpoint.pt`, where the invariance and "
        "part-segmentation chapters read them. These are not the paper's results, which need ResNet-50 "
        "and 200 epochs on TrackingNet."
    )
    return Text(" ".join(parts))


# --------------------------------------------------------------------------------------------- kNN / probe
def monitor_logs(results: dict) -> dict:
    """``knn.csv`` of each trained mode (``read_log`` arrays), for those that logged one."""
    out = {}
    for m, r in results.items():
        path = r.log.parent / "knn.csv"
        if path.is_file():
            out[m] = read_log(path, MONITOR_FIELDS)
    return out


def show_knn(knn_logs: dict, scores: dict):
    """kNN top-1 on the held-out stills during training, with the random network and colour histograms."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for m, lg in knn_logs.items():
        ax.plot(lg["step"], lg["knn_top1"], marker="o", ms=3, label=m)
    ax.axhline(scores["knn_top1"][RANDOM_INIT], color="gray", ls="--", lw=0.8, label=RANDOM_INIT)
    ax.axhline(scores["colour_histogram_knn"], color="tab:brown", ls=":", lw=0.8, label="colour histogram")
    ax.set_xlabel("step")
    ax.set_ylabel("kNN top-1 (held-out)")
    ax.legend(fontsize=7, ncol=2)
    return finish(fig)


def knn_differences(scores: dict, seed: int = 0) -> dict:
    """Per trained model: kNN top-1 minus the random network's, in points, with its paired bootstrap 95%
    interval over the held-out queries: {model: (diff, lo, hi)}."""
    base = scores["knn_correct"][RANDOM_INIT]
    return {
        m: tuple(100 * v for v in paired_bootstrap(c, base, seed=seed))
        for m, c in scores["knn_correct"].items()
        if m != RANDOM_INIT
    }


def probe_table(scores: dict, differences: dict) -> Table:
    rows = [
        [
            m,
            f"{100 * scores['knn_top1'][m]:.1f}",
            f"{100 * scores['linear_top1'][m]:.1f}",
            "–" if m == RANDOM_INIT else "{:+.1f} [{:+.1f}, {:+.1f}]".format(*differences[m]),
        ]
        for m in scores["knn_top1"]
    ]
    rows.append(["colour histogram", f"{100 * scores['colour_histogram_knn']:.1f}", "–", "–"])
    return Table(
        ["model", "kNN top-1 (%)", "linear top-1 (%)", "kNN vs random init (points, 95% CI)"],
        rows,
        caption="Category accuracy of frozen features on held-out images",
    )


def probe_text(scores: dict, differences: dict, target: float = 10.0) -> str:
    """Whether each contrastive model's kNN top-1 is ``target`` points above the random network's; the
    chance level from the probe's classes (``scores["num_classes"]``)."""
    num_classes = scores["num_classes"]
    contrastive = [m for m in differences if m != "supervised"]
    met = [m for m in contrastive if differences[m][0] >= target]
    parts = [
        f"On the held-out images (chance {100 / num_classes:.1f}%) the random network's kNN top-1 is "
        f"{100 * scores['knn_top1'][RANDOM_INIT]:.1f}% and colour histograms alone reach "
        f"{100 * scores['colour_histogram_knn']:.1f}%."
    ]
    parts += [
        f"`{m}`: {differences[m][0]:+.1f} points over the random network (95% CI {differences[m][1]:+.1f} "
        f"to {differences[m][2]:+.1f})."
        for m in differences
    ]
    parts.append(
        f"{len(met)} of {len(contrastive)} contrastive models are at least {target:.0f} points above the "
        f"random network"
        + (
            f" ({', '.join(f'`{m}`' for m in met)})."
            if met
            else ": at this scale the contrastive models have not learned the category."
        )
    )
    return " ".join(parts)
