"""f(z): ROI-align on layer 3 (stride 16) of a ResNet loaded from any checkpoint format."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from repro.models import build_resnet
from repro.tracks.features import LAYER3_STRIDE, Layer3, load_layer3, region_features, to_input


class CoordinateMap(nn.Module):
    """A stand-in for layer 3: a stride-16 map whose channels are the cell's x and y index."""

    def forward(self, x):
        n, _, h, w = x.shape
        hh, ww = h // LAYER3_STRIDE, w // LAYER3_STRIDE
        ys, xs = torch.meshgrid(
            torch.arange(hh, dtype=torch.float32), torch.arange(ww, dtype=torch.float32), indexing="ij"
        )
        return torch.stack([xs, ys]).expand(n, 2, hh, ww)


def test_roi_features_average_the_box_on_the_stride_16_grid():
    """For a linear map the pooled value is the map at the box centre: cell = pixel / 16 - 0.5."""
    frames = [np.zeros((128, 160, 3), np.uint8)] * 2
    boxes = [np.array([[16, 32, 48, 96], [0, 0, 160, 128]], np.float32), np.array([[40, 8, 72, 40]], np.float32)]
    f = region_features(CoordinateMap(), frames, boxes)
    assert [t.shape for t in f] == [(2, 2), (1, 2)]
    for fb, bb in zip(f, boxes):
        centre = np.stack([(bb[:, 0] + bb[:, 2]) / 2, (bb[:, 1] + bb[:, 3]) / 2], 1) / 16 - 0.5
        inside = (bb[:, 2] <= 160 - 8) & (bb[:, 3] <= 128 - 8)  # bilinear sampling is exact inside
        np.testing.assert_allclose(fb.numpy()[inside], centre[inside], atol=1e-5)
    # resizing the frame for the backbone scales the boxes with it: same cell coordinates at half size
    half = region_features(CoordinateMap(), [np.zeros((256, 320, 3), np.uint8)], [boxes[1] * 2], feature_short_side=128)
    np.testing.assert_allclose(half[0].numpy(), f[1].numpy(), atol=1e-5)


def test_layer3_of_a_resnet_has_stride_16():
    torch.manual_seed(0)
    net = build_resnet("resnet18")
    out = Layer3(net).eval()(torch.zeros(1, 3, 64, 96))
    assert out.shape == (1, 256, 4, 6)


def test_load_layer3_reads_a_checkpoint_and_batches_by_frame_size(tmp_path):
    torch.manual_seed(1)
    net = build_resnet("resnet18")
    torch.save(net.state_dict(), tmp_path / "r18.pth")  # torchvision format
    l3 = load_layer3(str(tmp_path / "r18.pth"), "resnet18")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (64, 80, 3)).astype(np.uint8) for _ in range(3)]
    frames.insert(1, rng.integers(0, 256, (48, 64, 3)).astype(np.uint8))  # another size in between
    boxes = [np.array([[0, 0, 32, 32], [8, 8, 40, 30]], np.float32)] * 4
    feats = region_features(l3, frames, boxes, batch_size=2)
    assert [t.shape for t in feats] == [(2, 256)] * 4
    with torch.no_grad():  # same weights, one frame at a time
        x, _ = to_input([frames[2]])
        ref = Layer3(net.eval())(x)
    from torchvision.ops import roi_align

    ref = roi_align(ref, [torch.from_numpy(boxes[2])], 7, 1 / 16, 2, True).mean((2, 3))
    torch.testing.assert_close(feats[2], ref, rtol=1e-4, atol=1e-5)
    # random weights are seeded
    a = region_features(load_layer3("", "resnet18", seed=3), frames[:1], boxes[:1])[0]
    b = region_features(load_layer3("", "resnet18", seed=3), frames[:1], boxes[:1])[0]
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(ValueError, match="box arrays"):
        region_features(l3, frames, boxes[:2])
