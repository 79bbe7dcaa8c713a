"""The per-pixel prior: the Table 5 score of a prediction that uses no representation at all.

Not in the paper. A decoder can score well on Table 5 by painting the mean part layout of a class (objects
are cropped to their boxes, so heads are usually on top and wheels at the bottom) whatever the input. The
per-pixel majority label of a class's training maps is that layout; its val accuracy is the floor that a
representation has to beat before its row says anything about where the object's parts are.
"""

from __future__ import annotations

import numpy as np
import torch

from . import table5
from .metrics import accuracy_percent, counts_per_crop
from .pascal_parts import IGNORE, PartCrops


def prior_prediction(targets: np.ndarray) -> np.ndarray:
    """The per-pixel majority label of a class's training maps (N x S x S -> S x S), ``IGNORE`` left out:
    the best prediction that uses no representation at all (a mean-shape baseline)."""
    flat = targets.reshape(len(targets), -1)  # flat: N x S^2
    counts = np.stack([(flat == k).sum(0) for k in range(int(flat[flat != IGNORE].max(initial=0)) + 1)])
    return counts.argmax(0).reshape(targets.shape[1:]).astype(np.uint8)  # prior: S x S


def _prior_maps(train: PartCrops, val: PartCrops):
    """Per class: (the prior painted on every val crop of the class, their targets), both M_c x S x S."""
    for c, cls in enumerate(train.classes):
        prior = prior_prediction(train.targets[train.labels == c])
        target = val.targets[val.labels == c]
        yield cls, torch.as_tensor(np.broadcast_to(prior, target.shape).copy()), target


def prior_accuracy(train: PartCrops, val: PartCrops) -> dict[str, float]:
    """Per class, the val pixel accuracy (%) of ``prior_prediction``, plus "Avg.": the floor a
    representation has to beat."""
    acc = {cls: accuracy_percent(pred, target, IGNORE) for cls, pred, target in _prior_maps(train, val)}
    return table5.with_average(acc, train.classes)


def prior_counts(train: PartCrops, val: PartCrops) -> dict[str, np.ndarray]:
    """Per class, (correct, counted) pixels of ``prior_prediction`` on each val crop (M_c x 2), the units of
    ``bootstrap.bootstrap_difference``: a model against the floor, paired over val objects."""
    return {cls: counts_per_crop(pred, target, IGNORE) for cls, pred, target in _prior_maps(train, val)}
