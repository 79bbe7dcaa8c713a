"""Real clips in the TrackingNet layout, and build_samples writing every part into the cache."""

import json

import cv2
import numpy as np
import pytest

from repro.errors import DatasetLayoutError, ReproError
from repro.samples import build_samples, clips, figures, samples_root


def test_clip_path_finds_the_wheel_clips_and_rejects_unknown():
    assert clips.clip_path("bikes").name == "bikes.mp4"
    with pytest.raises(DatasetLayoutError, match="no sample clip 'nosuch'; available: .*bikes"):
        clips.clip_path("nosuch")


def test_read_video_resizes_and_rejects_a_corrupt_file(tmp_path):
    frames = clips.read_video(clips.clip_path("carphone_pristine"), max_side=88)
    assert frames.shape == (120, 72, 88, 3) and frames.dtype == np.uint8
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(ReproError, match="could not be decoded.*corrupt"):
        clips.read_video(bad)


def test_trackingnet_layout_is_zero_based_and_not_padded(tmp_path):
    frames = np.zeros((12, 8, 10, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(12)[:, None, None] * 20  # a frame index we can read back
    boxes = np.tile([1, 2, 3, 4], (12, 1)).astype(np.float32)
    clips.write_trackingnet_sequence(tmp_path, "TRAIN_0", "seq", frames, boxes)
    names = sorted(p.name for p in (tmp_path / "TRAIN_0" / "frames" / "seq").iterdir())
    assert names == sorted(f"{i}.jpg" for i in range(12))
    back = cv2.imread(str(tmp_path / "TRAIN_0" / "frames" / "seq" / "10.jpg"))[..., ::-1]
    assert abs(int(back[..., 0].mean()) - 200) <= 3
    lines = (tmp_path / "TRAIN_0" / "anno" / "seq.txt").read_text().splitlines()
    assert len(lines) == 12 and lines[0] == "1.00,2.00,3.00,4.00"


@pytest.mark.slow
def test_build_samples_writes_every_part_and_reuses_it(tmp_cache, tiny_samples_cfg):
    manifest = build_samples(tiny_samples_cfg)
    root = samples_root(tiny_samples_cfg)
    assert root == tmp_cache / "samples"
    assert set(manifest) == {"clips", "synthetic_videos", "images", "world_videos", "parts", "trajectories"}
    assert manifest["world_videos"]["summary"]["sequences"] == {"world_000": 6, "world_001": 6}
    world_gt = np.load(root / "trackingnet/TRAIN_0/objects/world_001.npz")
    assert world_gt["boxes"].shape == (6, 1, 4) and 0 <= int(world_gt["category"]) < 6
    assert len(list((root / "trackingnet/TRAIN_0/frames/world_001").iterdir())) == 6
    assert manifest["clips"]["summary"]["sequences"] == {"carphone_pristine": 120}
    seq = "synthetic_000"
    assert len(list((root / "synthetic_videos/TRAIN_0/frames" / seq).iterdir())) == 6
    gt = np.load(root / "synthetic_videos/TRAIN_0/objects" / f"{seq}.npz")
    assert gt["boxes"].shape[:1] == (6,) and gt["boxes"].shape[2] == 4 and gt["visible"].dtype == bool
    images = np.load(root / "images.npz")
    assert images["train_images"].shape == (24, 32, 32, 3) and len(images["categories"]) == 6
    assert images["val_images"].shape[0] == 6
    parts = np.load(root / "parts.npz")
    assert parts["train_masks"].shape == (24, 32, 32) and parts["part_names"].shape[0] == 6
    numbers, text = figures.closing(root, manifest)
    assert numbers["parts_train"] == 24 and numbers["world_videos"] == 2 and numbers["trajectories"] == 6 * 4
    assert "24 part-annotated objects of 6 categories with 3 parts each" in text
    traj = np.load(root / "trajectories.npz")
    assert set(traj["transformations"].tolist()) == {"viewpoint", "illumination", "occlusion", "instance"}
    assert json.loads((root / "MANIFEST.json").read_text()) == manifest
    stamp = (root / "images.npz").stat().st_mtime_ns
    build_samples(tiny_samples_cfg)  # same parameters: nothing rebuilt
    assert (root / "images.npz").stat().st_mtime_ns == stamp
    build_samples(tiny_samples_cfg.replace(images_per_instance=3))
    assert np.load(root / "images.npz")["train_images"].shape[0] == 36


def test_an_unknown_part_objects_source_is_refused_before_anything_is_built(tmp_cache, tiny_samples_cfg):
    with pytest.raises(ReproError, match="part_objects_source must be one of world, composite"):
        build_samples(tiny_samples_cfg.replace(part_objects_source="pascal"))
    assert not (samples_root(tiny_samples_cfg) / "MANIFEST.json").exists()
