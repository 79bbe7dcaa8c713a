"""The contrastive loss of Algorithm 1 (Eq. 1 of the main text, InfoNCE as in MoCo [10]).

Algorithm 1, lines 12-20::

    l_pos = bmm(q.view(N,1,C), k.view(N,C,1))     # positive logits: Nx1
    l_neg = mm(q.view(N,C), queue.view(C,K))      # negative logits: NxK
    logits = cat([l_pos, l_neg], dim=1)           # logits: Nx(1+K)
    labels = zeros(N)                             # positives are the 0-th
    loss = CrossEntropyLoss(logits/t, labels)

A pure function: the queue and the encoders live in ``repro.moco.builder.MoCo``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def contrastive_loss(q: Tensor, k: Tensor, queue: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
    """InfoNCE loss of queries against their positive key and the queue of negatives.

    Args:
        q: queries, NxC, L2-normalised (gradients flow through them).
        k: positive keys, NxC, L2-normalised; treated as constants (Algorithm 1: "no gradient to keys").
        queue: negative keys, CxK, columns L2-normalised (the dictionary of Algorithm 1).
        temperature: t of Algorithm 1 (MoCo v2: 0.2).

    Returns:
        (loss, logits): the mean cross-entropy against label 0 (a scalar) and the temperature-scaled
        logits, Nx(1+K) with the positive in column 0 (as the official MoCo ``forward`` returns them).
        Computed in at least float32 whatever the input dtype (autocast), so that logits/t stay accurate.
    """
    if q.ndim != 2 or k.shape != q.shape:
        raise ValueError(f"q and k must both be NxC, got {tuple(q.shape)} and {tuple(k.shape)}")
    if queue.ndim != 2 or queue.shape[0] != q.shape[1]:
        raise ValueError(f"queue must be CxK with C={q.shape[1]}, got {tuple(queue.shape)}")
    dtype = torch.promote_types(q.dtype, torch.float32)  # float32 under autocast, float64 kept
    q, k, queue = q.to(dtype), k.detach().to(dtype), queue.detach().to(dtype)
    l_pos = torch.einsum("nc,nc->n", q, k).unsqueeze(-1)  # positive logits: Nx1
    l_neg = torch.einsum("nc,ck->nk", q, queue)  # negative logits: NxK
    logits = torch.cat([l_pos, l_neg], dim=1) / temperature  # logits: Nx(1+K)
    labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)  # positives are 0-th
    return F.cross_entropy(logits, labels), logits


def positive_accuracy(logits: Tensor) -> Tensor:
    """Fraction of queries whose positive logit (column 0) is the largest: MoCo's "acc@1"."""
    return (logits.argmax(dim=1) == 0).float().mean()


def view_cosines(logits: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
    """(mean cosine of a query with its positive key, mean cosine of a query with the queue's negatives)
    from the temperature-scaled logits Nx(1+K) of ``contrastive_loss``.

    Not in the paper: they read a run as alignment and uniformity do (Wang & Isola, ICML 2020). The loss
    sees only their gap divided by the temperature; both near 1 means the features have collapsed into a
    narrow cone (every image looks alike), which a falling ``acc`` alone does not distinguish from hard
    negatives.
    """
    cos = logits.detach().float() * temperature  # cos: Nx(1+K)
    return cos[:, 0].mean(), cos[:, 1:].mean()
