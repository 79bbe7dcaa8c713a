"""Figures of the sample data (notebook 00): real clips, synthetic videos with their boxes, category
images, part masks and transformation trajectories, all read back from the cache as the chapters see them."""

from __future__ import annotations

from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..plotting import finish
from ..report import Table

SPLIT = "TRAIN_0"


def read_frame(root: Path, seq: str, i: int) -> np.ndarray:
    frame = cv2.imread(str(root / SPLIT / "frames" / seq / f"{i}.jpg"))
    return frame[..., ::-1]


def _axes(rows: int, cols: int, size: float = 1.6):
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def show_clips(root: Path, sequences: dict[str, int], per_clip: int = 5):
    """``per_clip`` evenly spaced frames of each real clip."""
    fig, axes = _axes(len(sequences), per_clip, 2.0)
    for r, (seq, n) in enumerate(sequences.items()):
        for c, i in enumerate(np.linspace(0, n - 1, per_clip).round().astype(int)):
            axes[r, c].imshow(read_frame(root, seq, i))
            axes[r, c].set_title(f"{seq} #{i}", fontsize=7)
    return finish(fig)


def show_synthetic_video(root: Path, seq: str, num_frames: int, per_video: int = 6):
    """Frames of one synthetic video with the ground-truth box of every visible object."""
    gt = np.load(root / SPLIT / "objects" / f"{seq}.npz")
    colours = plt.cm.tab10.colors
    fig, axes = _axes(1, per_video, 2.0)
    for c, i in enumerate(np.linspace(0, num_frames - 1, per_video).round().astype(int)):
        ax = axes[0, c]
        ax.imshow(read_frame(root, seq, i))
        for m, (box, vis) in enumerate(zip(gt["boxes"][i], gt["visible"][i])):
            if vis:
                ax.add_patch(Rectangle(box[:2], box[2], box[3], fill=False, lw=1.2, ec=colours[m % 10]))
        ax.set_title(f"frame {i}", fontsize=7)
    return finish(fig)


def show_images(images: np.ndarray, labels: np.ndarray, categories, per_category: int = 6):
    """A grid: one row per category, ``per_category`` examples."""
    fig, axes = _axes(len(categories), per_category, 1.2)
    for r, name in enumerate(categories):
        idx = np.flatnonzero(labels == r)[:per_category]
        for c, i in enumerate(idx):
            axes[r, c].imshow(images[i])
        axes[r, 0].set_title(str(name), fontsize=7, loc="left")
    return finish(fig)


def show_parts(images, masks, labels, categories, part_names):
    """One example per category: the image and its part mask (0 = background)."""
    fig, axes = _axes(2, len(categories), 1.6)
    for c, name in enumerate(categories):
        i = int(np.flatnonzero(labels == c)[0])
        axes[0, c].imshow(images[i])
        axes[0, c].set_title(str(name), fontsize=7)
        axes[1, c].imshow(masks[i], cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        parts = [p for p in part_names[c] if p]
        axes[1, c].set_title(", ".join(parts), fontsize=5)
    return finish(fig)


def show_trajectories(data, per_transformation: int = 1):
    """One trajectory per transformation (rows), all its frames (columns)."""
    kinds = list(dict.fromkeys(data["transformations"].tolist()))
    rows = []
    for kind in kinds:
        ids = np.unique(data["trajectory_ids"][data["transformations"] == kind])[:per_transformation]
        rows += [(kind, t) for t in ids]
    length = max(int((data["trajectory_ids"] == t).sum()) for _, t in rows)
    fig, axes = _axes(len(rows), length, 1.1)
    for r, (kind, t) in enumerate(rows):
        for c, i in enumerate(np.flatnonzero(data["trajectory_ids"] == t)):
            axes[r, c].imshow(data["images"][i])
        axes[r, 0].set_title(kind, fontsize=7, loc="left")
    return finish(fig)


def summary(manifest: dict) -> Table:
    """A table of what was built (computed from the manifest)."""
    rows = []
    for part, entry in manifest.items():
        s = entry["summary"]
        if "sequences" in s:
            text = f"{len(s['sequences'])} sequences, {sum(s['sequences'].values())} frames"
        else:
            text = ", ".join(f"{k}: {v}" for k, v in s.items())
        rows.append([part, text])
    return Table(["part", "contents"], rows, caption="Sample data in the cache")


def closing(root: Path, manifest: dict) -> tuple[dict[str, float], str]:
    """The chapter's "What we saw": the numbers it records and its paragraph, computed from the cache."""
    clips = manifest["clips"]["summary"]["sequences"]
    videos = manifest["synthetic_videos"]["summary"]["sequences"]
    world_videos = manifest["world_videos"]["summary"]["sequences"]
    gt = [np.load(root / "synthetic_videos" / "TRAIN_0" / "objects" / f"{s}.npz") for s in sorted(videos)]
    occluded = float(np.mean([1 - g["visible"].mean() for g in gt]))
    with np.load(root / "images.npz") as images, np.load(root / "parts.npz") as parts:
        categories, n_train, n_val = len(images["categories"]), len(images["train_labels"]), len(images["val_labels"])
        part_counts = sorted({sum(1 for p in row if p) for row in parts["part_names"]})
        part_categories, parts_train = len(parts["categories"]), len(parts["train_labels"])
    with np.load(root / "trajectories.npz") as t:
        n_traj, kinds = len(np.unique(t["trajectory_ids"])), len(set(t["transformations"].tolist()))
    numbers = {
        "clip_frames": sum(clips.values()),
        "synthetic_videos": len(videos),
        "occluded_percent": 100 * occluded,
        "world_videos": len(world_videos),
        "images_train": n_train,
        "images_val": n_val,
        "parts_train": parts_train,
        "trajectories": n_traj,
    }
    counts = f"{part_counts[0]}" if len(part_counts) == 1 else f"{part_counts[0]} to {part_counts[-1]}"
    text = (
        f"The cache now holds {len(clips)} real clips ({sum(clips.values())} frames) in the TrackingNet layout; "
        f"{len(videos)} synthetic videos in which objects are hidden in {100 * occluded:.1f}% of object-frames, so "
        f"a tracker meets real occlusions; a world of {categories} object categories with {n_train} training "
        f"stills, {n_val} held-out stills of other instances and {len(world_videos)} videos of "
        f"{sum(world_videos.values())} frames beside the clips; {parts_train} part-annotated objects of "
        f"{part_categories} categories with {counts} parts each; and {n_traj} trajectories over {kinds} kinds of "
        "transformation. Every later chapter reads these files from the cache."
    )
    return numbers, text
