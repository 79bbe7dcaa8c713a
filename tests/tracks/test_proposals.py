"""Selective search proposals (repro.tracks.proposals): format, filtering, working resolution, determinism."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from repro.errors import ConfigError
from repro.tracks.proposals import filter_boxes, proposal_job, selective_search, working_scale


@pytest.fixture
def frame():
    """A 96 x 128 frame with two textured rectangles on a blurred noise background."""
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 256, (96, 128, 3)).astype(np.uint8), (7, 7), 0)
    img[10:50, 20:60] = (200, 30, 30)
    img[50:90, 70:120] = (30, 30, 200)
    return img


def test_boxes_are_valid_and_limited(frame):
    b = selective_search(frame, "fast", short_side=0, max_proposals=25, min_box_side=6)
    assert b.dtype == np.float32 and b.shape[1] == 4 and 0 < len(b) <= 25
    assert (b[:, 0] >= 0).all() and (b[:, 1] >= 0).all() and (b[:, 2] <= 128).all() and (b[:, 3] <= 96).all()
    assert ((b[:, 2] - b[:, 0]) >= 6).all() and ((b[:, 3] - b[:, 1]) >= 6).all()
    assert len(np.unique(b, axis=0)) == len(b)
    # the red square is found (a box with IoU > 0.7)
    x1, y1 = np.maximum(b[:, 0], 20), np.maximum(b[:, 1], 10)
    x2, y2 = np.minimum(b[:, 2], 60), np.minimum(b[:, 3], 50)
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    iou = inter / ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) + 1600 - inter)
    assert iou.max() > 0.7


def test_top_n_is_a_prefix_and_runs_are_deterministic(frame):
    many = selective_search(frame, "fast", 0, 10_000, 1)
    few = selective_search(frame, "fast", 0, 7, 1)
    np.testing.assert_array_equal(few, many[:7])  # "the top 300": the first N in rank order
    for _ in range(3):
        np.testing.assert_array_equal(selective_search(frame, "fast", 0, 10_000, 1), many)


def test_working_resolution_maps_boxes_back_to_frame_pixels(frame):
    assert working_scale(96, 128, 48) == 0.5 and working_scale(96, 128, 0) == 1.0
    assert working_scale(96, 128, 200) == 1.0  # never enlarged
    small = cv2.resize(np.ascontiguousarray(frame[..., ::-1]), (64, 48), interpolation=cv2.INTER_AREA)[..., ::-1]
    at_small = selective_search(np.ascontiguousarray(small), "fast", 0, 50, 0)
    mapped = selective_search(frame, "fast", 48, 50, 0)
    np.testing.assert_allclose(mapped, np.clip(at_small * 2, 0, [128, 96, 128, 96])[: len(mapped)], atol=1e-4)


def test_quality_mode_gives_more_proposals(frame):
    fast = selective_search(frame, "fast", 0, 10_000, 1)
    quality = selective_search(frame, "quality", 0, 10_000, 1)
    assert len(quality) > len(fast)


def test_bad_input_is_an_error(frame):
    with pytest.raises(ConfigError, match="proposal_mode"):
        selective_search(frame, "slow")
    with pytest.raises(ValueError, match="uint8 RGB"):
        selective_search(frame.astype(np.float32))


def test_filter_boxes_removes_degenerate_and_duplicates_in_order():
    boxes = np.array(
        [
            [0, 0, 10, 10],
            [5, 5, 6, 30],
            [0, 0, 10, 10],
            [1, 1, 20, 20],
            [3, 3, np.nan, 9],
            [2, 2, 2, 2],
            [4, 4, 30, 30],
        ],
        float,
    )
    np.testing.assert_array_equal(filter_boxes(boxes, 2, 10), [[0, 0, 10, 10], [1, 1, 20, 20], [4, 4, 30, 30]])
    np.testing.assert_array_equal(filter_boxes(boxes, 2, 2), [[0, 0, 10, 10], [1, 1, 20, 20]])


def test_proposal_job_reports_unreadable_frames(tmp_path, frame):
    path = tmp_path / "0.jpg"
    cv2.imwrite(str(path), frame[..., ::-1])
    boxes, err = proposal_job((str(path), "fast", 0, 5, 1, 0))
    assert err == "" and boxes.shape == (5, 4)
    path.write_bytes(b"garbage")
    boxes, err = proposal_job((str(path), "fast", 0, 5, 1, 0))
    assert boxes is None and err.startswith("corrupt")
    boxes, err = proposal_job((str(tmp_path / "9.jpg"), "fast", 0, 5, 1, 0))
    assert boxes is None and err.startswith("missing")
