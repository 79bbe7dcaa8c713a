"""Tiny videos written in the TrackingNet layout (frames/<seq>/<i>.jpg, anno/<seq>.txt), with known
lengths, missing and corrupt frames, and frames of a known colour."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def write_sequence(
    root: Path,
    split: str,
    seq: str,
    num_frames: int,
    size: tuple[int, int] = (24, 32),
    missing: tuple[int, ...] = (),
    corrupt: tuple[int, ...] = (),
    anno: bool = True,
) -> None:
    """Frame i is a flat colour (R, G, B) = (10 * i mod 256, 128, 255 - 10 * i mod 256); the annotation of
    frame i is (i, 2i, 10, 20)."""
    h, w = size
    frames = root / split / "frames" / seq
    frames.mkdir(parents=True, exist_ok=True)
    for i in range(num_frames):
        if i in missing:
            continue
        if i in corrupt:
            (frames / f"{i}.jpg").write_bytes(b"not a jpeg")
            continue
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[:] = frame_colour(i)
        cv2.imwrite(str(frames / f"{i}.jpg"), rgb[..., ::-1])
    if anno:
        (root / split / "anno").mkdir(parents=True, exist_ok=True)
        (root / split / "anno" / f"{seq}.txt").write_text("".join(f"{i},{2 * i},10,20\n" for i in range(num_frames)))


def frame_colour(i: int) -> tuple[int, int, int]:
    return ((10 * i) % 256, 128, 255 - (10 * i) % 256)


@pytest.fixture(name="frame_colour")
def frame_colour_fixture():
    return frame_colour


@pytest.fixture
def tn_root(tmp_path) -> Path:
    """TRAIN_0: 'long' (100 frames), 'short' (5 frames), 'gappy' (30 frames, 7 missing, 9 corrupt);
    TRAIN_1: 'other' (61 frames)."""
    root = tmp_path / "TrackingNet"
    write_sequence(root, "TRAIN_0", "long", 100)
    write_sequence(root, "TRAIN_0", "short", 5)
    write_sequence(root, "TRAIN_0", "gappy", 30, missing=(7,), corrupt=(9,))
    write_sequence(root, "TRAIN_1", "other", 61)
    return root
