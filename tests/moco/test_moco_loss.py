"""contrastive_loss against a naive reference and the closed form log(1+K)."""

import math

import pytest
import torch
import torch.nn.functional as F

from repro.moco import contrastive_loss, positive_accuracy, view_cosines


def naive_loss(q, k, queue, t):
    """Eq. 1 one query at a time in float64: -log exp(q.k/t) / (exp(q.k/t) + sum_j exp(q.queue_j/t))."""
    q, k, queue = q.double(), k.double(), queue.double()
    total = 0.0
    for n in range(q.shape[0]):
        pos = math.exp(float(q[n] @ k[n]) / t)
        neg = sum(math.exp(float(q[n] @ queue[:, j]) / t) for j in range(queue.shape[1]))
        total += -math.log(pos / (pos + neg))
    return total / q.shape[0]


@pytest.mark.parametrize("n,c,K,t", [(1, 3, 1, 1.0), (4, 8, 16, 0.2), (7, 16, 33, 0.07)])
def test_loss_matches_naive_reference(n, c, K, t):
    g = torch.Generator().manual_seed(n * 100 + K)
    q = F.normalize(torch.randn(n, c, generator=g), dim=1)
    k = F.normalize(torch.randn(n, c, generator=g), dim=1)
    queue = F.normalize(torch.randn(c, K, generator=g), dim=0)
    loss, logits = contrastive_loss(q, k, queue, t)
    assert logits.shape == (n, 1 + K)
    assert loss.item() == pytest.approx(naive_loss(q, k, queue, t), rel=1e-5)
    # column 0 is the positive, scaled by 1/t
    assert torch.allclose(logits[:, 0], (q * k).sum(1) / t, atol=1e-5)
    assert torch.allclose(logits[:, 1:], q @ queue / t, atol=1e-5)


@pytest.mark.parametrize("K", [1, 7, 4096])
@pytest.mark.parametrize("t", [0.2, 1.0])
def test_identical_keys_give_log_one_plus_K(K, t):
    q = F.normalize(torch.randn(5, 16), dim=1)[:1].repeat(5, 1)
    queue = q[0].unsqueeze(1).repeat(1, K)  # every column equals the query
    loss, logits = contrastive_loss(q, q.clone(), queue, t)
    assert loss.item() == pytest.approx(math.log(1 + K), rel=1e-5)


def test_no_gradient_to_keys_or_queue():
    q = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    k = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    queue = F.normalize(torch.randn(8, 10), dim=0).requires_grad_()
    loss, _ = contrastive_loss(q, k, queue, 0.2)
    loss.backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert k.grad is None and queue.grad is None


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="queue must be CxK"):
        contrastive_loss(torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(5, 3), 0.2)
    with pytest.raises(ValueError, match="q and k"):
        contrastive_loss(torch.zeros(2, 4), torch.zeros(3, 4), torch.zeros(4, 3), 0.2)


def test_positive_accuracy():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    assert positive_accuracy(logits).item() == pytest.approx(0.5)


def test_view_cosines_against_a_loop():
    g = torch.Generator().manual_seed(3)
    q, k = F.normalize(torch.randn(5, 8, generator=g), dim=1), F.normalize(torch.randn(5, 8, generator=g), dim=1)
    queue = F.normalize(torch.randn(8, 7, generator=g), dim=0)
    _, logits = contrastive_loss(q, k, queue, 0.2)
    pos, neg = view_cosines(logits, 0.2)
    naive_pos = sum(float(q[n] @ k[n]) for n in range(5)) / 5
    naive_neg = sum(float(q[n] @ queue[:, j]) for n in range(5) for j in range(7)) / 35
    assert pos.item() == pytest.approx(naive_pos, abs=1e-6)
    assert neg.item() == pytest.approx(naive_neg, abs=1e-6)


def test_view_cosines_of_collapsed_features_are_one():
    """Every image mapped to one vector: the loss is log(1 + K) and both cosines are exactly 1."""
    v = F.normalize(torch.ones(1, 4), dim=1)
    loss, logits = contrastive_loss(v.expand(3, 4), v.expand(3, 4), v.T.expand(4, 6).contiguous(), 0.2)
    assert loss.item() == pytest.approx(math.log(7), abs=1e-5)
    assert [c.item() for c in view_cosines(logits, 0.2)] == pytest.approx([1.0, 1.0], abs=1e-6)
