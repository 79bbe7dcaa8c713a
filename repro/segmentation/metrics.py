"""Pixel-wise classification accuracy, the measure of Table 5.

Supplement, Table 5: "we present the pixel-wise classification accuracies for each object". Pixels whose
target is ``ignore_index`` (255, as in the VOC label maps) are left out of both numerator and denominator.
"""
from __future__ import annotations

import torch


def correct_and_total(logits_or_labels: torch.Tensor, target: torch.Tensor,
                      ignore_index: int = 255) -> tuple[int, int]:
    """(correctly classified pixels, counted pixels); sums over batches give the pooled accuracy.

    Args:
        logits_or_labels: B x C x H x W logits (the arg-max over C is the prediction) or B x H x W labels.
        target: B x H x W integer labels; ``ignore_index`` marks pixels that do not count.
    """
    pred = logits_or_labels
    if pred.dim() == target.dim() + 1:
        pred = pred.argmax(dim=1)  # pred: B x H x W
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(logits_or_labels.shape)} does not match target "
                         f"{tuple(target.shape)} (expected B x C x H x W logits or B x H x W labels)")
    valid = target != ignore_index  # valid: B x H x W
    correct = (pred == target) & valid
    return int(correct.sum()), int(valid.sum())


def pixel_accuracy(logits_or_labels: torch.Tensor, target: torch.Tensor, ignore_index: int = 255) -> float:
    """Fraction of correctly classified non-ignored pixels (NaN when every pixel is ignored)."""
    correct, total = correct_and_total(logits_or_labels, target, ignore_index)
    return correct / total if total else float("nan")
