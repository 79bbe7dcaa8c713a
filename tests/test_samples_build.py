"""Real clips in the TrackingNet layout, and build_samples writing every part into the cache."""

import dataclasses
import json

import cv2
import numpy as np
import pytest

import repro.samples as samples_module
from repro.config import Config
from repro.errors import DatasetLayoutError, ReproError
from repro.samples import DATA_FIELDS, _parts, build_samples, clips, figures, samples_root


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


@pytest.mark.slow
def test_parts_built_by_several_processes_are_the_files_built_one_after_the_other(tmp_path, tiny_samples_cfg):
    roots = {}
    for workers in (0, 2):
        cfg = tiny_samples_cfg.replace(sample_workers=workers, cache_dir=str(tmp_path / f"w{workers}"))
        manifest = build_samples(cfg)
        assert list(manifest) == ["clips", "synthetic_videos", "images", "world_videos", "parts", "trajectories"]
        roots[workers] = samples_root(cfg)
    files = {w: sorted(p.relative_to(r) for p in r.rglob("*") if p.is_file()) for w, r in roots.items()}
    assert files[0] == files[2] and len(files[0]) > 20
    assert all((roots[0] / f).read_bytes() == (roots[2] / f).read_bytes() for f in files[0])


def _changed(value):
    """Another value of a SampleConfig field's type."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, tuple)):
        raise TypeError(value)
    return value + ("x",) if isinstance(value, tuple) else value + "x" if isinstance(value, str) else value * 2 + 1


def test_data_fields_are_exactly_the_settings_each_kind_of_training_data_is_made_from():
    """DATA_FIELDS (what checkpoints and track files record) against ``_parts``: a field is listed for a kind
    iff changing it changes the parameters of that kind's parts (and so rebuilds them)."""
    base = Config.smoke()
    kinds = {"images": ("images",), "videos": ("clips", "world_videos"), "synthetic_videos": ("synthetic_videos",)}
    found = {kind: set() for kind in kinds}
    for field in dataclasses.fields(base.samples):
        changed = _parts(base.replace(**{field.name: _changed(getattr(base.samples, field.name))}))
        for kind, parts in kinds.items():
            if any(changed[p] != _parts(base)[p] for p in parts):
                found[kind].add(field.name)
    assert found == {kind: set(fields) for kind, fields in DATA_FIELDS.items()}
    assert "sample_workers" not in set().union(*found.values())


def test_a_sample_process_that_dies_is_a_clear_error_naming_the_fixes(
    tmp_cache, tiny_samples_cfg, monkeypatch, broken_pool
):
    monkeypatch.setattr(samples_module, "ProcessPoolExecutor", broken_pool)
    with pytest.raises(ReproError, match="__name__ == '__main__'.*sample_workers=0"):
        build_samples(tiny_samples_cfg.replace(sample_workers=2))
