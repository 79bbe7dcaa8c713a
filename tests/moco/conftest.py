"""Fixtures for the MoCo tests: a tiny MoCo and small fixed batches."""

import pytest
import torch

from repro.moco import MoCo


def tiny_moco(K=64, dim=16, m=0.9, T=0.2, roi_size=2, seed=0, arch="resnet18"):
    torch.manual_seed(seed)
    return MoCo(arch, dim=dim, K=K, m=m, T=T, mlp=True, roi_size=roi_size)


@pytest.fixture
def make_moco():
    return tiny_moco


@pytest.fixture
def moco():
    return tiny_moco()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(8, 3, 32, 32, generator=g)
    return x, (x + 0.05 * torch.randn(8, 3, 32, 32, generator=g)).clamp(0, 1)


@pytest.fixture(autouse=True)
def _tiny_models_on_one_thread(one_torch_thread):
    """Every test here runs tiny models: on one torch thread (see ``one_torch_thread`` in tests/conftest.py)."""
