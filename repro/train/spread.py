"""Does the augmentation change an image more than the images differ? A check of the data, before training.

Not in the supplement. Instance discrimination asks the two augmented views of an image to be closer to each
other than to any other image. When MoCo v2's augmentation moves an image's features further than the
training images are apart, the objective is better served by invariance than by telling images apart, and
contrastive features collapse (Jing et al., "Understanding dimensional collapse in contrastive
self-supervised learning", ICLR 2022). ``augmentation_spread`` measures the two spreads with the seeded
random network, so it compares no trained models and can be read before any training:

* across augmentations: half the mean squared distance between the L2-normalised pooled features of two
  augmented views of one image (the variance of a view around the image's mean view);
* across images: the variance, summed over feature dimensions, of the images' mean views;
* ``ratio`` = across images / across augmentations: below 1, two views of one image are further apart than
  two images.

The threshold 1 is our heuristic (every collapsing probe of ``benchmarks/RESULTS.md`` was below it), not a
result of Jing et al.; windows of the three real sample clips also give 0.75 with colour augmentation, so
it is not a property of natural images that we could measure here (ImageNet is not available offline).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..config import Config
from ..moco.augment import MOCO_SCALE, color_augment, geometric_augment, sample_color_params
from ..models import load_backbone
from .data import load_image_set
from .monitor import pooled


def spread_ratio(a: Tensor, b: Tensor) -> dict[str, float]:
    """The two spreads and their ratio for features ``a``, ``b`` (NxD, L2-normalised) of two views of N images."""
    across_augmentations = float(((a - b) ** 2).sum(1).mean()) / 2  # mean over images of |a - b|^2 / 2
    m = (a + b) / 2  # mean views: NxD
    across_images = float(((m - m.mean(0)) ** 2).sum(1).mean())
    return {
        "across_images": across_images,
        "across_augmentations": across_augmentations,
        "ratio": across_images / across_augmentations if across_augmentations > 0 else float("inf"),
    }


def _views(images: list[np.ndarray], rng: np.random.Generator, size: int, colour: bool) -> Tensor:
    """One MoCo v2 view of every image (as ``ImageDataset`` and the training step make them): Nx3xSxS."""
    crops = torch.stack([geometric_augment(img, rng, size, MOCO_SCALE)[0] for img in images])  # crops: Nx3xSxS
    params = torch.from_numpy(np.stack([sample_color_params(rng, size) for _ in images])) if colour else None
    return color_augment(crops, params)


@torch.no_grad()
def augmentation_spread(cfg: Config, n: int = 256, colour: bool = True) -> dict[str, float]:
    """``spread_ratio`` of the random network (seed ``cfg.training_seed()``) on two MoCo v2 views of ``n``
    training images drawn with ``cfg.run.seed`` (``colour=False``: crops and flips only)."""
    data = load_image_set(cfg)
    rng = np.random.default_rng([cfg.run.seed, 0x5B2EAD])
    index = rng.choice(len(data), size=min(n, len(data)), replace=False)
    images = [data.image(int(i)) for i in index]
    net = load_backbone(None, cfg.train.arch, seed=cfg.training_seed())
    size = cfg.train.image_size
    a = F.normalize(pooled(net, _views(images, rng, size, colour)), dim=1)  # a: NxC
    b = F.normalize(pooled(net, _views(images, rng, size, colour)), dim=1)  # b: NxC
    return spread_ratio(a, b)
