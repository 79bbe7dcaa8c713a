"""The patch-locality measure (repro.train.locality): boxes, cosines and the cut-out views against closed-form
values, and the measure end to end on a tiny trained frames+tracks model."""

import pytest
import torch

from repro.tracks.quality import box_iou
from repro.train import train
from repro.train.locality import (
    APART_IOU,
    cosines,
    cut_views,
    measure_patch_locality,
    mirror_boxes,
    patch_views,
)


def test_mirror_and_iou():
    boxes = torch.tensor([[2.0, 0.0, 6.0, 4.0], [0.0, 1.0, 3.0, 5.0]])
    mirror = mirror_boxes(boxes, 10)
    assert mirror.tolist() == [[4.0, 0.0, 8.0, 4.0], [7.0, 1.0, 10.0, 5.0]]
    assert box_iou(boxes.numpy(), mirror.numpy()).diagonal().tolist() == pytest.approx([8 / 24, 0.0])
    assert box_iou(boxes.numpy(), boxes.numpy()).diagonal().tolist() == [1.0, 1.0]


def test_cosines_closed_form():
    a = torch.eye(3) * torch.tensor([[2.0], [1.0], [5.0]])  # orthogonal rows of any length
    same, other = cosines(a, a, torch.tensor([True, False, True]))
    assert same == pytest.approx(1.0) and other == pytest.approx(0.0)
    same, _ = cosines(a, -a, torch.ones(3, dtype=torch.bool))
    assert same == pytest.approx(-1.0)


def test_cut_views_are_the_boxes_pixels():
    x = torch.zeros(2, 3, 8, 8)
    x[0, :, 2:5, 1:4] = 1.0  # a bright block in view 0
    boxes = torch.tensor([[1.0, 2.0, 4.0, 5.0], [7.6, 7.6, 9.0, 9.0]])  # the block; a box at the corner
    out = cut_views(x, boxes)
    assert out.shape == (2, 3, 8, 8)
    assert torch.allclose(out[0], torch.ones(3, 8, 8)) and torch.equal(out[1], torch.zeros(3, 8, 8))


def test_measure_on_a_trained_model(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(train_steps=2)
    train(cfg, "frames+tracks", tmp_path, tensorboard=False)
    r = measure_patch_locality(cfg, tmp_path / "checkpoint.pt", items=24)
    x, boxes = patch_views(cfg, 24)
    iou = box_iou(boxes.numpy(), mirror_boxes(boxes, x.shape[-1]).numpy()).diagonal()
    assert r["pairs"] == int((iou < APART_IOU).sum()) > 0
    for key in ("roi.same_frame", "roi.other_frames", "crop.same_frame", "crop.other_frames"):
        assert -1.0 <= r[key] <= 1.0
