"""``repro.train.spread``: the two spreads against a loop and their closed forms, and the check on a tiny set."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from repro.train.spread import augmentation_spread, spread_ratio


def test_spread_ratio_against_a_loop():
    g = torch.Generator().manual_seed(0)
    a, b = F.normalize(torch.randn(7, 5, generator=g), dim=1), F.normalize(torch.randn(7, 5, generator=g), dim=1)
    s = spread_ratio(a, b)
    within = np.mean([float(((a[i] - b[i]) ** 2).sum()) / 2 for i in range(7)])
    means = [(a[i] + b[i]) / 2 for i in range(7)]
    centre = sum(means) / 7
    across = np.mean([float(((m - centre) ** 2).sum()) for m in means])
    assert s["across_augmentations"] == pytest.approx(within, rel=1e-6)
    assert s["across_images"] == pytest.approx(across, rel=1e-6)
    assert s["ratio"] == pytest.approx(across / within, rel=1e-6)


def test_spread_ratio_closed_forms():
    e = torch.eye(4)
    # views identical: nothing moves under augmentation
    assert spread_ratio(e, e) == {
        "across_images": pytest.approx(0.75),
        "across_augmentations": 0.0,
        "ratio": float("inf"),
    }
    # every image the same, its two views orthogonal unit vectors: |a - b|^2 / 2 = 1, no spread across images
    a, b = e[[0, 0, 0]], e[[1, 1, 1]]
    assert spread_ratio(a, b) == {"across_images": 0.0, "across_augmentations": pytest.approx(1.0), "ratio": 0.0}


def test_augmentation_spread_on_the_tiny_images(tiny_cfg):
    with_colour = augmentation_spread(tiny_cfg, n=16)
    without = augmentation_spread(tiny_cfg, n=16, colour=False)
    assert with_colour["ratio"] > 0 and without["ratio"] > 0
    # colour jitter only adds movement under augmentation; the images' spread is of the same order
    assert without["across_augmentations"] < with_colour["across_augmentations"]
    assert augmentation_spread(tiny_cfg, n=16) == with_colour  # seeded
