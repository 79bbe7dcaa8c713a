"""Device, seeding and progress bars: the few run-time facts every module shares."""

from __future__ import annotations

import contextlib
import os
import random
import sys
from typing import Iterable, Iterator, TypeVar

import numpy as np
import torch
from tqdm import tqdm

from .errors import ConfigError

T = TypeVar("T")


def resolve_device(device: str = "cpu") -> torch.device:
    """ "auto" picks CUDA when present; an explicit "cuda" without a GPU is a clear error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for but CUDA is not available; use device='cpu' or 'auto'")
    return torch.device(device)


def seed_everything(seed: int) -> torch.Generator:
    """Seeds Python, NumPy and torch; returns a torch Generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """Mixed precision on CUDA (bf16 where supported, else fp16); a no-op on CPU, and in float32 with
    ``REPRO_AMP=0`` (to compare, or to rule mixed precision out when a loss turns NaN)."""
    if device.type != "cuda" or os.environ.get("REPRO_AMP") == "0":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def channels_last(device: torch.device) -> bool:
    """Whether models and batches use the channels-last memory format: on CUDA (faster convolutions with
    tensor cores), unless ``REPRO_CHANNELS_LAST=0``."""
    return device.type == "cuda" and os.environ.get("REPRO_CHANNELS_LAST") != "0"


def progress_enabled() -> bool:
    """Progress bars show on a terminal, never inside notebooks (nbval compares outputs) or when
    REPRO_PROGRESS=0."""
    env = os.environ.get("REPRO_PROGRESS")
    if env is not None:
        return env not in ("0", "false", "no")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, **kw) -> Iterator[T]:
    return iter(tqdm(iterable, desc=desc, total=total, disable=not progress_enabled(), **kw))


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to ``n`` inside the block (0 = leave them), restored afterwards."""
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` inside the block (kernels and workers started there inherit it), the
    previous value (or its absence) restored afterwards."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
