"""Activations with known answers for the analytic cases of Section A (the supplement): discriminative
units, whose Goodfellow local rate has a closed form (``expected_goodfellow_local_rate``), and units
invariant on one class only, which the pooled measure mixes by class size and Eq. 3 keeps apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Activations:
    """Synthetic activations ``acts`` (N x n) with ``trajectory_ids`` and ``labels`` (N)."""

    acts: np.ndarray
    trajectory_ids: np.ndarray
    labels: np.ndarray


def discriminative_activations(
    class_sizes: Sequence[int], trajectory_len: int, num_units: int, seed: int = 0
) -> Activations:
    """The supplement's analytic case: every unit is higher on each sample of class 0 than on any other
    sample ("a hidden unit that consistently has higher activations for samples of class y"), in an
    independent random order within class 0 (uniform on (1, 2); other samples on (0, 1)). Trajectories
    are consecutive runs of ``trajectory_len`` samples within a class."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(class_sizes)), class_sizes)
    traj = _runs(labels, trajectory_len)
    acts = rng.uniform(0, 1, (len(labels), num_units))
    acts[labels == 0] += 1
    return Activations(acts, traj, labels)


def expected_goodfellow_local_rate(class_size: int, trajectory_len: int, fired: int) -> float:
    """E[L(i)] of a discriminative unit under Goodfellow's threshold when ``fired`` <= ``class_size``
    samples of its class, a uniformly random subset, fire: for a firing sample each of the other
    |T| - 1 members of its trajectory fires with probability (fired - 1)/(class_size - 1), so
    E[L] = (1 + (|T| - 1)(fired - 1)/(class_size - 1)) / |T|."""
    return (1 + (trajectory_len - 1) * (fired - 1) / (class_size - 1)) / trajectory_len


def class_specific_invariance_activations(
    class_sizes: Sequence[int], trajectory_len: int, num_units: int, invariant_class: int = 0, seed: int = 0
) -> Activations:
    """Units that are perfectly invariant on the trajectories of ``invariant_class`` (one value per
    trajectory) and not at all on the others (one value per sample), with the same marginal distribution
    (uniform on (0, 1)) in every class: no unit is discriminative. Goodfellow's pooled L(i) is then a
    mix of 1 and the non-invariant rate weighted by how many firing samples each class contributes,
    that is by class size; the class-conditional L_y keeps the classes apart."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(class_sizes)), class_sizes)
    traj = _runs(labels, trajectory_len)
    acts = rng.uniform(0, 1, (len(labels), num_units))
    inv = labels == invariant_class
    per_traj = rng.uniform(0, 1, (int(traj.max()) + 1, num_units))
    acts[inv] = per_traj[traj[inv]]
    return Activations(acts, traj, labels)


def _runs(labels: np.ndarray, length: int) -> np.ndarray:
    """Trajectory ids: consecutive runs of ``length`` samples within each class (labels are sorted)."""
    starts = np.r_[0, np.flatnonzero(np.diff(labels)) + 1]
    pos = np.arange(len(labels)) - np.repeat(starts, np.diff(np.r_[starts, len(labels)]))
    key = labels * (len(labels) + 1) + pos // length
    return np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)


__all__ = [
    "Activations",
    "class_specific_invariance_activations",
    "discriminative_activations",
    "expected_goodfellow_local_rate",
]
