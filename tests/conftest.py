"""Shared fixtures. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
import torch

from repro.config import Config


def pytest_addoption(parser):
    parser.addoption(
        "--fresh-results",
        default=None,
        metavar="DIR",
        help="chapter results of a fresh execution (make test passes <test cache>/results)",
    )


@pytest.fixture
def fresh_results(request):
    """The folder of a fresh run's chapter results; the test needing it is reported as skipped, with the
    command that provides it, when pytest was not given one."""
    folder = request.config.getoption("--fresh-results")
    if folder is None:
        pytest.skip(
            "needs a fresh execution of every chapter: `make test` runs it (or pytest "
            "--fresh-results <cache>/results -m fresh_run after nbval)"
        )
    return folder


class _BrokenPool:
    """A ProcessPoolExecutor whose processes all die at once."""

    def __init__(self, *args, **kwargs):
        pass

    def submit(self, *args, **kwargs):
        future = Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future

    def shutdown(self, **kwargs):
        pass


@pytest.fixture
def broken_pool():
    """The class of a process pool whose processes all die at once (monkeypatch it over ProcessPoolExecutor)."""
    return _BrokenPool


@pytest.fixture
def one_torch_thread():
    """Tiny models run fastest on one thread, and two OpenMP threads on a busy 2-core machine wait on
    each other (5-10x slower); restored after each test. Areas of tiny models use it in every test."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """An empty cache folder, used through $REPRO_CACHE so nothing touches the real cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("REPRO_CACHE", str(cache))
    return cache


@pytest.fixture
def tiny_samples_cfg() -> Config:
    """Sample sizes small enough to build in a second or two."""
    return Config.smoke().replace(
        sample_clips=("carphone_pristine",),
        sample_max_side=64,
        synthetic_videos=1,
        synthetic_video_frames=6,
        synthetic_video_size=48,
        synthetic_categories=6,
        instances_per_category=3,
        train_instances=2,
        images_per_instance=2,
        heldout_images_per_instance=1,
        synthetic_image_size=32,
        world_videos=2,
        world_video_frames=6,
        world_video_size=48,
        part_objects_per_category=4,
        trajectories_per_category=1,
        trajectory_len=3,
    )
