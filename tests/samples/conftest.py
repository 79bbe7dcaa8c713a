"""Small renders of the synthetic generators, shared by the tests of ``repro.samples.synthetic`` (made once
per session; each takes well under a second)."""

from __future__ import annotations

import pytest

from repro.samples import synthetic


@pytest.fixture(scope="session")
def synthetic_videos():
    """Three videos (24 frames, 96 px, 3 objects) with their full ground truth."""
    return [synthetic.synthetic_video(seed, 24, 96, 3) for seed in range(3)]


@pytest.fixture(scope="session")
def category_set():
    return synthetic.category_images(0, 6, 30, 64)


@pytest.fixture(scope="session")
def part_set():
    """Every part category (8), at the smallest accepted image size, where parts are smallest."""
    return synthetic.part_objects(0, len(synthetic.PART_CATEGORIES), 8, synthetic.MIN_SIZE)


@pytest.fixture(scope="session")
def trajectory_set():
    return synthetic.transformation_trajectories(0, 6, 2, 6, 48)
