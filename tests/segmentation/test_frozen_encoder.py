import copy

import numpy as np
import pytest
import torch
from torch import nn

from repro.segmentation.decoder import train_decoder
from repro.segmentation.features import representations, to_input
from repro.segmentation.frozen import assert_frozen, frozen_snapshot


def tiny_encoder():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def test_extraction_and_decoder_training_leave_the_encoder_unchanged():
    enc = tiny_encoder().train()  # train mode on purpose: BatchNorm would update its running statistics
    before = copy.deepcopy(enc.state_dict())
    snap = frozen_snapshot(enc)
    images = np.random.default_rng(0).integers(0, 255, (10, 16, 16, 3), dtype=np.uint8)
    z = representations(enc, images, batch_size=4)
    assert z.shape == (10, 8) and enc.training  # its mode is restored
    targets = torch.randint(0, 3, (10, 8, 8))
    train_decoder(z, targets, 3, epochs=2, lr=1e-2, batch_size=4, width=8, output_size=8, seed=0)
    train_decoder(
        to_input(images),
        targets,
        3,
        epochs=2,
        lr=1e-2,
        batch_size=4,
        width=8,
        output_size=8,
        seed=0,
        encoder=enc.eval(),
    )  # recomputing representations every step
    assert_frozen(enc, snap)
    for k, v in enc.state_dict().items():
        assert torch.equal(v, before[k])


def test_assert_frozen_detects_a_change():
    enc = tiny_encoder()
    snap = frozen_snapshot(enc)
    with torch.no_grad():
        enc[0].weight[0, 0, 0, 0] += 1e-3
    with pytest.raises(AssertionError, match="0.weight"):
        assert_frozen(enc, snap)
    enc = tiny_encoder()
    snap = frozen_snapshot(enc)
    enc.train()(torch.randn(4, 3, 8, 8))  # a forward pass in train mode moves BN statistics
    with pytest.raises(AssertionError, match="running_mean"):
        assert_frozen(enc, snap)


def test_representations_are_batch_independent_and_normalised():
    enc = tiny_encoder()
    images = np.random.default_rng(1).integers(0, 255, (7, 16, 16, 3), dtype=np.uint8)
    assert torch.allclose(representations(enc, images, 2), representations(enc, images, 7), atol=1e-6)
    x = to_input(np.full((1, 2, 2, 3), 255, np.uint8))
    assert x.shape == (1, 3, 2, 2)
    assert torch.allclose(
        x[0, :, 0, 0], (1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    )
