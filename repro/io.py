"""Atomic writes: a file appears complete under its final name or not at all (temporary file in the same
folder, fsync, then ``os.replace``), so a killed job never leaves a half-written artifact behind."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; on success it is renamed to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_torch(obj: Any, path: str | os.PathLike) -> None:
    import torch  # here: repro.io (and repro.lockfile, which `make lock` runs) must not need torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def save_json(obj: Any, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks (checkpoints can be several GB)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def settings_digest(settings: Any, length: int, algorithm: str = "sha256") -> str:
    """The first ``length`` hex digits of the hash of ``settings`` written as JSON with sorted keys: the
    cache key of an artifact that depends on exactly these settings (tracks: SHA-1, 10 digits; part crops:
    SHA-256, 12 digits, as their folders have always been named)."""
    return hashlib.new(algorithm, json.dumps(settings, sort_keys=True).encode()).hexdigest()[:length]
