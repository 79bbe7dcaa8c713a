"""The frozen-encoder check of Section C: the encoder must not change while the decoders are evaluated.

The part decoders take "as input a single representation" of a frozen encoder (supplement, Section C). As
the official MoCo ``main_lincls.py`` checks its frozen backbone after linear probing, every parameter and
buffer (BatchNorm running statistics included) is copied before the representations are computed and
compared afterwards.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn


def frozen_snapshot(encoder: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter and buffer, to prove later that the encoder did not change."""
    return {k: v.detach().clone() for k, v in encoder.state_dict().items()}


def assert_frozen(encoder: nn.Module, snapshot: Mapping[str, torch.Tensor]) -> None:
    """Raises AssertionError naming the first parameter/buffer that differs from ``snapshot``."""
    state = encoder.state_dict()
    assert state.keys() == snapshot.keys(), "the encoder's parameters changed names"
    for k, v in state.items():
        assert torch.equal(v.cpu(), snapshot[k].cpu()), f"the frozen encoder changed: {k}"
