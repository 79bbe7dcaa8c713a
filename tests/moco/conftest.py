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
def one_torch_thread():
    """Tiny models run fastest on one thread, and two OpenMP threads on a busy 2-core machine wait on
    each other (5-10x slower); restored after each test."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
