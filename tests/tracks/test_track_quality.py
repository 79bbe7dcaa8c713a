"""Precision/recall of tracks against known object boxes, and the random-pairs baseline."""

from __future__ import annotations

import numpy as np
import pytest

from repro.data import TrackingNet, list_chunks
from repro.errors import MissingArtifactError
from repro.tracks import run_tracks, tracks_dir
from repro.tracks.quality import (
    box_iou,
    chunk_quality,
    evaluate_pairs,
    evaluate_regions,
    load_objects,
    pair_truth,
    rank_one_share,
    stored_quality,
    synthetic_regions,
    xywh_to_xyxy,
)
from repro.tracks.store import chunk_file, load_tracks


def test_box_iou_closed_form():
    a = np.array([[0, 0, 10, 10], [0, 0, 2, 2]])
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]])
    np.testing.assert_allclose(box_iou(a, b), [[50 / 150, 0, 1], [0, 0, 4 / 100]])
    np.testing.assert_array_equal(xywh_to_xyxy(np.array([1, 2, 3, 4])), [1, 2, 4, 6])
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


def test_correct_tracks_need_the_same_object_at_both_ends():
    gt_i = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    gt_j = gt_i + 5
    boxes_i = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], float)
    boxes_j = np.array([[25, 25, 35, 35], [5, 5, 15, 15]], float)
    truth = pair_truth(boxes_i, boxes_j, gt_i, gt_j, np.array([True, True]), np.array([True, True]))
    c = truth.correct(np.array([0, 0, 1, 2]), np.array([1, 0, 0, 1]))
    assert c.any(axis=1).tolist() == [True, False, True, False]  # object 0->0, 0->1 wrong, 1->1, bg
    assert truth.covered(np.array([0]), np.array([1])).tolist() == [True, False]
    hidden = pair_truth(boxes_i, boxes_j, gt_i, gt_j, np.array([True, False]), np.array([True, True]))
    assert hidden.correct(np.array([1]), np.array([0])).sum() == 0  # object 1 is hidden in frame i


def test_precision_recall_on_constructed_scores():
    """Two objects, regions 0 and 1 cover them in both frames, regions 2.. are background; the scores
    rank the two correct tracks first, so the top-2 quantile has precision 1 and recall 1."""
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    boxes = np.concatenate([gt, np.array([[40, 40, 50, 50 + k] for k in range(8)], float)])
    truth = pair_truth(boxes, boxes, gt, gt, np.ones(2, bool), np.ones(2, bool))
    L = np.log(np.full((10, 10), 0.1))
    L[0, 0], L[1, 1] = 5.0, 4.0
    q = evaluate_pairs([(truth, L)], quantiles=[1 - 2 / 100, 0.0], one_to_one=True, seed=0)
    assert q.tracks == [2, 10] and q.precision[0] == 1.0 and q.recall[0] == 1.0
    assert q.proposal_recall == 1.0 and q.pairs == 1 and q.instances == 2
    assert q.random_precision[1] <= 1.0 and q.tracks[1] == 10
    # random baseline, averaged over many pairs: precision = 2 correct pairs / 100 possible
    many = evaluate_pairs([(truth, L)] * 400, quantiles=[0.9], one_to_one=False, seed=1)
    assert many.random_precision[0] == pytest.approx(0.02, abs=0.01)
    assert "| quantile |" in many.markdown() and many.rows()[0]["tracks"] == many.tracks[0]


@pytest.mark.slow
def test_centred_tracks_beat_random_pairs_on_synthetic_video(small_cfg, video_root):
    """End to end on the fixture's moving textured objects: the Eq. 4 tracks are more precise than
    random region pairs; the ground truth is read from objects/<seq>.npz."""
    ds = TrackingNet(video_root)
    gt, vis = load_objects(ds, "TRAIN_0", "a")
    assert gt.shape == (14, 2, 4) and vis.all()
    regions = synthetic_regions(small_cfg, chunks_per_video=0, dataset=ds)
    assert len(regions) == 2 and sum(len(r.chunks) for r in regions) == 4
    q = evaluate_regions(regions, small_cfg, quantiles=(0.5, 0.9), center=True)
    assert q.pairs == 40 and q.instances == 80
    assert 0 < q.proposal_recall <= 1
    assert all(0 <= v <= 1 for v in q.precision + q.recall + q.random_precision + q.random_recall)
    assert q.precision[1] > 2 * q.random_precision[1]


def test_rank_one_share():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 4.0])
    assert rank_one_share(np.log(np.outer(a, b)) + 700) == pytest.approx(1.0)  # huge but exactly rank 1
    with np.errstate(divide="ignore"):
        assert rank_one_share(np.log(np.eye(4))) == pytest.approx(0.25)  # identity: 4 equal values
    assert np.isnan(rank_one_share(np.full((2, 2), -np.inf)))


def stored_chunk(object_box, background):
    """A chunk file's arrays (``load_tracks`` format) over frames 0, 1, 2, each with 4 proposals: the
    object's box and three background boxes. Pair (0, 2) keeps an object->object and a background->object
    track, pair (1, 2) an object->object track."""
    proposals = np.concatenate([[object_box, *background]] * 3).astype(np.float32)
    return dict(
        pairs=np.array([[0, 2], [1, 2]]),
        pair_index=np.array([0, 0, 1]),
        boxes_i=np.array([object_box, background[0], object_box], np.float32),
        boxes_j=np.array([object_box, object_box, object_box], np.float32),
        frames=np.array([0, 1, 2]),
        proposals=proposals,
        proposal_offsets=np.array([0, 4, 8, 12]),
    )


def test_chunk_quality_closed_form():
    """Counts and shares worked out by hand: training precision is the mean over pairs of each pair's share
    of correct tracks (the loader draws a pair, then a track), random precision 1 of 4 x 4 proposal pairs."""
    obj, bg = [10, 10, 30, 30], [[40, 40, 60, 60], [0, 40, 20, 60], [40, 0, 60, 20]]
    tracks = stored_chunk(obj, bg)
    gt, visible = np.array([[obj]] * 3, np.float64), np.ones((3, 1), bool)
    n, correct, training, random = chunk_quality(tracks, gt, visible)
    assert (n, correct) == (3, 2)
    assert training == pytest.approx((1 / 2 + 1) / 2) and random == pytest.approx(1 / 16)
    visible[1] = False  # the object is hidden in frame 1: pair (1, 2) has no correct track, nor random pair
    n, correct, training, random = chunk_quality(tracks, gt, visible)
    assert (n, correct) == (3, 1)
    assert training == pytest.approx(1 / 4) and random == pytest.approx(1 / 32)


def test_stored_quality_of_the_stored_tracks(small_cfg, video_root):
    """End to end: every chunk of the videos with ground truth, per video, equal to chunk_quality of its
    files; videos without objects/<seq>.npz (real clips) are left out, and with none the result is None."""
    with pytest.raises(MissingArtifactError, match="02_generating_tracks"):
        stored_quality(small_cfg)  # before the tracks exist
    run_tracks(small_cfg)
    q = stored_quality(small_cfg)
    assert q.videos == ["TRAIN_0/a", "TRAIN_0/b"]
    ds = TrackingNet(video_root)
    out = tracks_dir(small_cfg)
    for v, seq in enumerate(("a", "b")):
        gt, vis = load_objects(ds, "TRAIN_0", seq)
        rows = np.array(
            [chunk_quality(load_tracks(chunk_file(out, c)), gt, vis) for c in list_chunks(small_cfg) if c.seq == seq]
        )
        assert q.tracks[v] == rows[:, 0].sum()
        assert q.precision[v] == pytest.approx(rows[:, 1].sum() / rows[:, 0].sum())
        assert q.training_precision[v] == pytest.approx(rows[:, 2].mean())
        assert q.random_precision[v] == pytest.approx(rows[:, 3].mean())
    r = q.record()
    assert r["world.videos"] == 2 and r["world.gain_lo"] <= r["world.gain"] <= r["world.gain_hi"]
    assert all(0 <= r[k] <= 1 for k in ("world.precision", "world.training_precision", "world.random_precision"))
    (video_root / "TRAIN_0" / "objects" / "b.npz").unlink()
    assert stored_quality(small_cfg).videos == ["TRAIN_0/a"]
    (video_root / "TRAIN_0" / "objects" / "a.npz").unlink()
    assert stored_quality(small_cfg) is None
