"""Fixtures for Section B tracks: tiny synthetic videos in the TrackingNet layout whose object boxes are
known (``objects/<seq>.npz`` as repro.samples writes them), a config that runs on them in seconds, and a
literal memoised implementation of the recursion of Eq. 4-5 to compare against."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from repro.config import Config


def make_video(seed: int, num_frames: int, size: tuple[int, int] = (64, 80), num_objects: int = 2):
    """Textured rectangles moving linearly over a textured background (later objects in front).
    Returns frames T x H x W x 3 uint8 RGB, boxes T x M x 4 (x, y, w, h) and visible T x M."""
    rng = np.random.default_rng(seed)
    H, W = size
    bg = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3)).astype(np.uint8), (5, 5), 0)
    objs = []
    for _ in range(num_objects):
        w, h = int(rng.integers(18, 26)), int(rng.integers(18, 26))
        tex = np.repeat(np.repeat(rng.integers(0, 256, (h // 3 + 1, w // 3 + 1, 3)), 3, 0), 3, 1)[:h, :w]
        x0, y0 = rng.uniform(0, W - w), rng.uniform(0, H - h)
        v = rng.uniform(-1.5, 1.5, 2)
        objs.append((w, h, tex.astype(np.uint8), x0, y0, v))
    frames = np.zeros((num_frames, H, W, 3), np.uint8)
    boxes = np.zeros((num_frames, num_objects, 4), np.float32)
    for t in range(num_frames):
        img = bg.copy()
        for m, (w, h, tex, x0, y0, v) in enumerate(objs):
            x = int(round(np.clip(x0 + v[0] * t, 0, W - w)))
            y = int(round(np.clip(y0 + v[1] * t, 0, H - h)))
            img[y : y + h, x : x + w] = tex
            boxes[t, m] = (x, y, w, h)
        frames[t] = img
    return frames, boxes, np.ones((num_frames, num_objects), bool)


def write_video(root: Path, split: str, seq: str, frames, boxes=None, visible=None, missing=(), corrupt=()):
    d = root / split / "frames" / seq
    d.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        if i in missing:
            continue
        if i in corrupt:
            (d / f"{i}.jpg").write_bytes(b"\xff\xd8 truncated")
            continue
        cv2.imwrite(str(d / f"{i}.jpg"), np.ascontiguousarray(f[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95])
    (root / split / "anno").mkdir(parents=True, exist_ok=True)
    first = boxes[:, 0] if boxes is not None else np.zeros((len(frames), 4))
    (root / split / "anno" / f"{seq}.txt").write_text("".join(",".join(map(str, b)) + "\n" for b in first))
    if boxes is not None:
        (root / split / "objects").mkdir(parents=True, exist_ok=True)
        np.savez(root / split / "objects" / f"{seq}.npz", boxes=boxes, visible=visible)


@pytest.fixture
def video_root(tmp_path) -> Path:
    """TRAIN_0 with videos 'a' (14 frames) and 'b' (12 frames), with object ground truth."""
    root = tmp_path / "videos"
    for n, (seq, T) in enumerate((("a", 14), ("b", 12))):
        frames, boxes, visible = make_video(n, T)
        write_video(root, "TRAIN_0", seq, frames, boxes, visible)
    return root


@pytest.fixture
def small_cfg(tmp_path, video_root) -> Config:
    """Chunks of 6 frames (2 per video), pairs >= 2 apart, at most 30 proposals on the full 64 x 80 frame."""
    return Config.smoke().replace(
        cache_dir=str(tmp_path / "cache"),
        trackingnet_root=str(video_root),
        trackingnet_splits=("TRAIN_0",),
        num_chunks=2,
        chunk_len=6,
        pair_gap=2,
        pair_mode="random",
        proposal_short_side=0,
        max_proposals=30,
        min_box_side=4,
        track_arch="resnet18",
        track_workers=0,
    )


def literal_track_score(M: list[np.ndarray]):
    """S(i, r, j, r2) by Eq. 4 and Eq. 5, memoised, one entry at a time, with Python floats."""
    M = [m.tolist() for m in M]

    @lru_cache(maxsize=None)
    def S(i: int, r: int, j: int, r2: int) -> float:
        if j == i + 1:  # Eq. 5
            return M[i][r][r2]
        w = (j - i - 1) / (j - i)  # Eq. 4
        return sum(w * S(i, r, j - 1, k) * M[j - 1][k][r2] for k in range(len(M[j - 1])))

    return S


@pytest.fixture(name="literal_track_score")
def literal_track_score_fixture():
    return literal_track_score


@pytest.fixture(name="make_video")
def make_video_fixture():
    return make_video


@pytest.fixture(name="write_video")
def write_video_fixture():
    return write_video
