"""The TrackingNet reader: listing, reading, layout errors, and skipping missing/corrupt frames."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from repro.config import Config
from repro.data import LAYOUT, FrameCache, FrameError, Sequence, SkipLog, TrackingNet, open_videos, read_image
from repro.errors import DatasetLayoutError, MissingArtifactError


def test_lists_sequences_with_lengths_and_missing_frames(tn_root):
    ds = TrackingNet(tn_root, ("TRAIN_0", "TRAIN_1"))
    assert ds.sequences() == [
        Sequence("TRAIN_0", "gappy", 30, (7,)),
        Sequence("TRAIN_0", "long", 100, ()),
        Sequence("TRAIN_0", "short", 5, ()),
        Sequence("TRAIN_1", "other", 61, ()),
    ]
    assert len(TrackingNet(tn_root, ("TRAIN_1",))) == 1


def test_reads_rgb_frames_and_annotations(tn_root, frame_colour):
    ds = TrackingNet(tn_root)
    frame = ds.read_frame("TRAIN_0", "long", 3)
    assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8
    assert np.abs(frame.reshape(-1, 3).mean(0) - frame_colour(3)).max() < 3  # RGB order, JPEG-close
    anno = ds.read_annotation("TRAIN_0", "long")
    assert anno.shape == (100, 4) and anno.dtype == np.float32
    np.testing.assert_array_equal(anno[4], [4, 8, 10, 20])


def test_missing_and_corrupt_frames_are_skipped_and_counted(tn_root, caplog):
    ds = TrackingNet(tn_root)
    with pytest.raises(FrameError, match="missing"):
        ds.read_frame("TRAIN_0", "gappy", 7)
    with pytest.raises(FrameError, match="corrupt"):
        ds.read_frame("TRAIN_0", "gappy", 9)
    skips = SkipLog(max_warnings=1)
    with caplog.at_level(logging.WARNING, logger="repro.data"):
        frames = ds.read_frames("TRAIN_0", "gappy", range(5, 12), skips)
        ds.read_frames("TRAIN_0", "gappy", [7], skips)
    assert sorted(frames) == [5, 6, 8, 10, 11]
    assert len(skips) == 3
    assert skips.summary().startswith("3 frame(s) skipped (1 corrupt, 2 missing)")
    assert caplog.text.count("skipping frame") == 1 and "only counted" in caplog.text
    assert SkipLog().summary() == "no frame was skipped"


def test_a_frame_cache_returns_what_read_image_returns_and_keeps_within_its_bytes(tn_root):
    frames = [tn_root / "TRAIN_0" / "frames" / "long" / f"{i}.jpg" for i in range(4)]
    size = read_image(frames[0]).nbytes  # every frame of "long" has the same shape
    cache = FrameCache(2 * size)
    for path in frames + frames[2:]:  # the last two are read twice: the second time from memory
        assert np.array_equal(cache.read(path), read_image(path))
    assert len(cache) == 2 and cache.nbytes == 2 * size
    assert cache.read(frames[3]) is cache.read(frames[3])  # held, not decoded again
    with pytest.raises(FrameError, match="corrupt"):
        cache.read(tn_root / "TRAIN_0" / "frames" / "gappy" / "9.jpg")
    assert len(cache) == 2 and len(FrameCache(0)) == 0 and FrameCache(0).read(frames[0]).shape == (24, 32, 3)


def test_layout_errors_show_the_expected_layout(tmp_path, tn_root):
    with pytest.raises(DatasetLayoutError) as e:
        TrackingNet(tmp_path / "nowhere")
    assert "does not exist" in str(e.value) and LAYOUT in str(e.value)
    with pytest.raises(DatasetLayoutError, match="no frames folder for split"):
        TrackingNet(tn_root, ("TRAIN_5",))
    with pytest.raises(DatasetLayoutError, match="unknown TrackingNet split"):
        TrackingNet(tn_root, ("train0",))
    with pytest.raises(DatasetLayoutError, match="expected 'x,y,w,h'"):
        (tn_root / "TRAIN_0" / "anno" / "long.txt").write_text("1,2,3,4\nnot,a,box,here\n")
        TrackingNet(tn_root).read_annotation("TRAIN_0", "long")
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        TrackingNet(tn_root).read_annotation("TRAIN_0", "nothing")


def test_open_videos_uses_the_configured_root_or_the_sample_cache(tmp_path, tn_root):
    cfg = Config.smoke().replace(trackingnet_root=str(tn_root), trackingnet_splits=("TRAIN_1",))
    assert [s.seq for s in open_videos(cfg).sequences()] == ["other"]
    empty = Config.smoke().replace(cache_dir=str(tmp_path / "cache"))
    with pytest.raises(MissingArtifactError, match="repro samples"):
        open_videos(empty)
    samples = tmp_path / "cache" / "samples" / "synthetic_videos"
    (samples / "TRAIN_0" / "frames" / "v").mkdir(parents=True)
    (samples / "TRAIN_0" / "frames" / "v" / "0.jpg").write_bytes(
        (tn_root / "TRAIN_0" / "frames" / "long" / "0.jpg").read_bytes()
    )
    assert open_videos(empty, "synthetic").sequences() == [Sequence("TRAIN_0", "v", 1, ())]
