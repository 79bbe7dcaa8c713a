"""Readers of the on-disk tracks (``repro.tracks.store``): per-frame proposals, the widest pair, the index."""

import json

import numpy as np
import pytest

from repro.config import Config
from repro.errors import MissingArtifactError
from repro.tracks.store import frame_proposals, read_index, track_key, widest_pair


def test_frame_proposals_split_at_the_offsets():
    tracks = {
        "frames": np.array([3, 4, 6]),
        "proposal_offsets": np.array([0, 2, 2, 5]),
        "proposals": np.arange(20, dtype=np.float32).reshape(5, 4),
    }
    boxes = frame_proposals(tracks)
    assert [len(b) for b in boxes] == [2, 0, 3]
    np.testing.assert_array_equal(boxes[2], tracks["proposals"][2:])


def test_widest_pair_is_the_first_with_the_largest_gap_and_selects_its_tracks():
    tracks = {"pairs": np.array([[0, 2], [1, 9], [0, 8], [3, 11]]), "pair_index": np.array([0, 1, 1, 3, 3, 3])}
    i, j, sel = widest_pair(tracks)
    assert (i, j) == (1, 9)
    assert sel.tolist() == [False, True, True, False, False, False]


def test_read_index_counts_chunks_tracks_and_pairs(tmp_path):
    chunks = [{"num_tracks": 5, "num_pairs": 2}, {"num_tracks": 7, "num_pairs": 3}]
    (tmp_path / "index.json").write_text(json.dumps({"key": "k1", "chunks": chunks}))
    index = read_index(tmp_path)
    assert (index.key, len(index.chunks), index.num_tracks, index.num_pairs) == ("k1", 2, 12, 5)


def test_read_index_of_a_missing_folder_names_the_fix(tmp_path):
    with pytest.raises(MissingArtifactError, match="02_generating_tracks"):
        read_index(tmp_path / "nothing")


def test_the_track_key_follows_the_sample_world_the_videos_come_from():
    cfg = Config.smoke()
    key = track_key(cfg)
    assert track_key(cfg.replace(world_videos=72)) != key and track_key(cfg.replace(world_video_pace=1.0)) != key
    assert track_key(cfg.replace(part_objects_per_category=3, sample_workers=1)) == key  # not the videos
    real = cfg.replace(trackingnet_root="/data/TrackingNet")
    assert track_key(real.replace(world_videos=72)) == track_key(real)  # real videos: the world plays no part
    assert track_key(cfg.replace(synthetic_videos=2), "synthetic") != track_key(cfg, "synthetic")
