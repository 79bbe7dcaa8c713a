import math

import pytest
import torch

from repro.segmentation.metrics import correct_and_total, pixel_accuracy


def naive_accuracy(pred, target, ignore):
    correct = total = 0
    for p, t in zip(pred.flatten().tolist(), target.flatten().tolist()):
        if t == ignore:
            continue
        total += 1
        correct += p == t
    return correct / total


@pytest.mark.parametrize("seed,shape,classes", [(0, (2, 5, 7), 3), (1, (4, 16, 16), 6), (2, (1, 3, 3), 2)])
def test_matches_naive_reference_with_ignored_pixels(seed, shape, classes):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(shape[0], classes, *shape[1:], generator=g)
    target = torch.randint(0, classes, shape, generator=g)
    target[torch.rand(shape, generator=g) < 0.3] = 255
    pred = logits.argmax(1)
    expected = naive_accuracy(pred, target, 255)
    assert pixel_accuracy(logits, target) == pytest.approx(expected)
    assert pixel_accuracy(pred, target) == pytest.approx(expected)


def test_closed_form_values():
    target = torch.tensor([[[0, 1], [255, 2]]])
    assert pixel_accuracy(torch.tensor([[[0, 1], [2, 2]]]), target) == 1.0  # ignored pixel is wrong
    assert pixel_accuracy(torch.tensor([[[0, 0], [0, 0]]]), target) == pytest.approx(1 / 3)
    assert correct_and_total(torch.tensor([[[0, 0], [0, 0]]]), target) == (1, 3)
    assert pixel_accuracy(torch.tensor([[[1, 1], [1, 1]]]), target, ignore_index=0) == pytest.approx(1 / 3)


def test_all_ignored_is_nan_and_shape_mismatch_is_clear():
    assert math.isnan(pixel_accuracy(torch.zeros(1, 2, 2), torch.full((1, 2, 2), 255)))
    with pytest.raises(ValueError, match="does not match"):
        pixel_accuracy(torch.zeros(1, 3, 3), torch.zeros(1, 2, 2))
