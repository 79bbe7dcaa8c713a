"""Fixtures for the training tests: a tiny cache with images, TrackingNet-layout frames and tracks whose
ground truth is known (a red square moves across a noise background; its tracks follow it)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from repro.config import Config
from repro.data import list_chunks
from repro.samples import world
from repro.tracks.store import chunk_file, tracks_dir

SEQS, FRAMES, H, W, SIDE = 2, 12, 48, 64, 14


def square_box(seq: int, i: int) -> np.ndarray:
    """x1, y1, x2, y2 of the red square in frame i of sequence seq."""
    x = 4 + 3 * i + 2 * seq
    y = 6 + 2 * i
    return np.array([x, y, x + SIDE, y + SIDE], dtype=np.float32)


def write_frames(root, split="TRAIN_0"):
    for s in range(SEQS):
        rng = np.random.default_rng(s)
        background = rng.integers(0, 120, size=(H, W, 3), dtype=np.uint8)
        background[..., 2] = 0  # no red in the background (RGB)
        fdir = root / split / "frames" / f"seq{s}"
        fdir.mkdir(parents=True)
        anno = []
        for i in range(FRAMES):
            img = background.copy()
            x1, y1, x2, y2 = square_box(s, i).astype(int)
            img[y1:y2, x1:x2] = (255, 0, 0)
            cv2.imwrite(str(fdir / f"{i}.jpg"), img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 98])
            anno.append(f"{x1},{y1},{SIDE},{SIDE}")
        (root / split / "anno").mkdir(parents=True, exist_ok=True)
        (root / split / "anno" / f"seq{s}.txt").write_text("\n".join(anno) + "\n")


def write_images(path, categories=4, per_category=8, size=32):
    rng = np.random.default_rng(0)
    images, labels = [], []
    for c in range(categories):
        colour = rng.integers(0, 256, size=3)
        for _ in range(per_category):
            img = rng.integers(0, 60, size=(size, size, 3)) + colour * 0.7
            images.append(np.clip(img, 0, 255).astype(np.uint8))
            labels.append(c)
    images, labels = np.stack(images), np.array(labels, dtype=np.int64)
    np.savez(
        path,
        train_images=images,
        train_labels=labels,
        val_images=images[:4],
        val_labels=labels[:4],
        categories=np.array([f"cat{c}" for c in range(categories)]),
    )


def write_tracks(cfg):
    """One file per chunk in the tracks module's format: the square's track (and a static background
    box) for every other frame pair of the chunk."""
    out = tracks_dir(cfg)
    for chunk in list_chunks(cfg):
        s = int(chunk.seq[3:])
        pairs = np.array(chunk.pairs(cfg.video.pair_gap, cfg.video.pair_mode), dtype=np.int64)
        pair_index, bi, bj = [], [], []
        for p, (i, j) in enumerate(pairs):
            if p % 2:
                continue
            pair_index += [p, p]
            bi += [square_box(s, i), [40, 30, 60, 44]]
            bj += [square_box(s, j), [40, 30, 60, 44]]
        path = chunk_file(out, chunk)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            pairs=pairs,
            pair_index=np.array(pair_index, dtype=np.int64),
            boxes_i=np.array(bi, dtype=np.float32),
            boxes_j=np.array(bj, dtype=np.float32),
            log_scores=np.zeros(len(pair_index)),
            meta=np.array(json.dumps({"format": "test"})),
        )
    return out


def tiny_config(cache) -> Config:
    return Config.smoke().replace(
        cache_dir=str(cache),
        arch="resnet18",
        image_size=32,
        batch_size=8,
        queue_size=32,
        feature_dim=16,
        train_steps=6,
        checkpoint_every=2,
        num_chunks=2,
        chunk_len=8,
        pair_gap=3,
        patch_roi_size=2,
        moco_momentum=0.9,
        lr=0.05,
        supervised_lr=0.05,
        bn_splits=2,
    )


@pytest.fixture(scope="session")
def train_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("train_cache")
    samples = cache / "samples"
    write_frames(samples / "trackingnet")
    write_images(samples / "images.npz")
    cfg = tiny_config(cache)
    write_tracks(cfg)
    return cache


@pytest.fixture
def tiny_cfg(train_cache) -> Config:
    return tiny_config(train_cache)


@pytest.fixture
def box_of():
    return square_box


@pytest.fixture(autouse=True)
def _tiny_models_on_one_thread(one_torch_thread):
    """Every test here runs tiny models: on one torch thread (see ``one_torch_thread`` in tests/conftest.py)."""


def write_world_slice(path, seed: int = 2, categories: int = 4, size: int = 64) -> None:
    """A small slice of the world (``repro.samples.world``) as the sample ``images.npz``: 4 categories, 6
    training instances of 16 stills each, 2 held-out instances of 20 stills each; never the main run's world
    (seed 0)."""
    split = world.world_image_split(seed, categories, 8, 6, 16, 20, size)
    np.savez(path, **{k: split[k] for k in ("train_images", "train_labels", "val_images", "val_labels", "categories")})


@pytest.fixture(scope="session")
def world_slice_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("world_slice")
    (cache / "samples").mkdir()
    write_world_slice(cache / "samples" / "images.npz")
    return cache
