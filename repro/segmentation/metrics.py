"""Pixel-wise classification accuracy, the measure of Table 5.

Supplement, Table 5: "we present the pixel-wise classification accuracies for each object". Pixels whose
target is ``ignore_index`` (255, as in the VOC label maps) are left out of both numerator and denominator.
A cell of Table 5 is ``accuracy_percent`` of one class's val crops, pixels pooled over the crops;
``counts_per_crop`` keeps each crop's pixel counts for the bootstrap interval (``bootstrap``).
"""

from __future__ import annotations

import numpy as np
import torch


def correct_and_total(logits_or_labels: torch.Tensor, target: torch.Tensor, ignore_index: int = 255) -> tuple[int, int]:
    """(correctly classified pixels, counted pixels); sums over batches give the pooled accuracy.

    Args:
        logits_or_labels: B x C x H x W logits (the arg-max over C is the prediction) or B x H x W labels.
        target: B x H x W integer labels; ``ignore_index`` marks pixels that do not count.
    """
    pred = logits_or_labels
    if pred.dim() == target.dim() + 1:
        pred = pred.argmax(dim=1)  # pred: B x H x W
    if pred.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(logits_or_labels.shape)} does not match target "
            f"{tuple(target.shape)} (expected B x C x H x W logits or B x H x W labels)"
        )
    valid = target != ignore_index  # valid: B x H x W
    correct = (pred == target) & valid
    return int(correct.sum()), int(valid.sum())


def pixel_accuracy(logits_or_labels: torch.Tensor, target: torch.Tensor, ignore_index: int = 255) -> float:
    """Fraction of correctly classified non-ignored pixels (NaN when every pixel is ignored)."""
    correct, total = correct_and_total(logits_or_labels, target, ignore_index)
    return correct / total if total else float("nan")


def accuracy_percent(pred: torch.Tensor, target: torch.Tensor, ignore_index: int = 255) -> float:
    """Pooled pixel accuracy in percent, the unit of Table 5's cells (NaN when every pixel is ignored).

    Args:
        pred: N x S x S predicted labels; target: N x S x S labels (array or tensor).
    """
    correct, total = correct_and_total(pred.long(), torch.as_tensor(target).long(), ignore_index)
    return 100.0 * correct / total if total else float("nan")


def counts_per_crop(pred: torch.Tensor, target: torch.Tensor, ignore_index: int = 255) -> np.ndarray:
    """(correct, counted) pixels of each crop: N x 2 int64, the units that ``bootstrap`` resamples.

    Args:
        pred: N x S x S predicted labels; target: N x S x S labels (array or tensor).
    """
    target = torch.as_tensor(target).long()  # target: N x S x S
    valid = target != ignore_index  # valid: N x S x S
    return torch.stack(
        [((pred.long() == target) & valid).flatten(1).sum(1), valid.flatten(1).sum(1)], 1
    ).numpy()  # counts: N x 2
