"""The paper's claims about which training makes a representation invariant to what, tested on this
repository's models with the class-conditional measure (Eq. 3) and a paired bootstrap over trajectories.

Main paper (Sections 4-5) and supplement: MoCo trained on images with aggressive augmentation is strongly
invariant to occlusion (random crops occlude) but less to viewpoint and illumination, which augmentations
do not produce; learning from frames of videos ("Frame Temporal Invariance") raises viewpoint and
illumination invariance, and region tracks raise it further. Each claim is a difference of scores on one
transformation's trajectories, ``better - worse``: it *holds* when the whole 95% interval (a paired bootstrap
over trajectories, stratified by class) is above zero, is *reversed* when it is below, and is *not resolved*
otherwise.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config
from ..models import RANDOM_INIT
from .compare import model_features
from .datasets import TrajectoryDataset
from .measures import class_conditional_invariance

DRAWS = 300
# (transformation, better, worse): the comparisons the paper's claims make
CLAIMS = (
    ("occlusion", "images", RANDOM_INIT),
    ("viewpoint", "frames", "images"),
    ("illumination", "frames", "images"),
    ("viewpoint", "frames+tracks", "frames"),
)


@dataclass(frozen=True)
class Claim:
    transformation: str
    better: str
    worse: str
    difference: float  # score(better) - score(worse), class-conditional at top_k
    low: float
    high: float

    @property
    def verdict(self) -> str:
        return "holds" if self.low > 0 else "reversed" if self.high < 0 else "not resolved"


def difference_on(acts_a, acts_b, labels, groups: list[np.ndarray], pick, top_k: int) -> float:
    """Class-conditional score of ``acts_a`` minus that of ``acts_b`` on the trajectories ``pick`` (indices
    into ``groups``, the sample indices of each trajectory; a trajectory picked twice counts as two)."""
    idx = np.concatenate([groups[p] for p in pick])
    new_ids = np.repeat(np.arange(len(pick)), [len(groups[p]) for p in pick])
    return (
        class_conditional_invariance(acts_a[idx], new_ids, labels[idx], top_k).score
        - class_conditional_invariance(acts_b[idx], new_ids, labels[idx], top_k).score
    )


def bootstrap_draws(
    acts_a, acts_b, trajectory_ids, labels, top_k: int, draws: int = DRAWS, seed: int = 0, stratify: bool = True
) -> tuple[float, np.ndarray]:
    """``difference_on`` all trajectories, and on ``draws`` resamples of them with replacement (``stratify``:
    within each class; see ``paired_trajectory_bootstrap``). The resamples are drawn first, from one generator,
    and scored on torch's number of threads, so the numbers do not depend on that number."""
    tids = np.asarray(trajectory_ids)
    labels = np.asarray(labels)
    groups = [np.flatnonzero(tids == t) for t in np.unique(tids)]
    strata = np.array([labels[g[0]] for g in groups]) if stratify else np.zeros(len(groups), np.int64)
    members = [np.flatnonzero(strata == y) for y in np.unique(strata)]
    point = difference_on(acts_a, acts_b, labels, groups, np.arange(len(groups)), top_k)
    rng = np.random.default_rng(seed)
    picks = [np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members]) for _ in range(draws)]
    with ThreadPoolExecutor(max(1, torch.get_num_threads())) as pool:  # the sorts and torch ops release the GIL
        out = list(pool.map(lambda pick: difference_on(acts_a, acts_b, labels, groups, pick, top_k), picks))
    return point, np.array(out)


def paired_trajectory_bootstrap(
    acts_a,
    acts_b,
    trajectory_ids,
    labels,
    top_k: int,
    draws: int = DRAWS,
    seed: int = 0,
    level: float = 0.95,
    stratify: bool = True,
) -> tuple[float, float, float]:
    """Class-conditional score of ``acts_a`` minus that of ``acts_b`` (N x n each, same samples) and its
    percentile interval: each draw resamples whole trajectories with replacement (a trajectory drawn twice
    counts as two) and scores both representations on the same draw (``bootstrap_draws``).

    ``stratify`` (default): each class's trajectories are resampled among themselves, so every draw keeps the
    design's trajectories per class, and with them P(y) and the class thresholds of Eq. 3. Resampling all
    trajectories together (``stratify=False``, the first method here) lets the class sizes vary from draw to
    draw; on synthetic activations with a known answer (``benchmarks/bootstrap_coverage.py``,
    ``benchmarks/RESULTS.md``) its 95% interval was about 1.6 times too wide (coverage 1.00), the stratified
    one covered the answer 0.95-0.99 of the time.
    """
    point, out = bootstrap_draws(acts_a, acts_b, trajectory_ids, labels, top_k, draws, seed, stratify)
    lo, hi = np.quantile(out, [(1 - level) / 2, (1 + level) / 2])
    return float(point), float(lo), float(hi)


def test_claims(cfg: Config, datasets: dict[str, TrajectoryDataset], models: dict, draws: int = DRAWS) -> list[Claim]:
    """Every claim of ``CLAIMS`` whose transformation and models are present, at the largest K of
    ``invariance_top_ks`` (features from the cache of ``compare_models``)."""
    top_k = max(cfg.invariance.invariance_top_ks)
    out = []
    for transformation, better, worse in CLAIMS:
        ds = datasets.get(transformation)
        if ds is None or better not in models or worse not in models:
            continue
        a, b = (model_features(cfg, ds, models[m]) for m in (better, worse))
        diff = paired_trajectory_bootstrap(
            np.asarray(a.acts), np.asarray(b.acts), a.trajectory_ids, a.labels, top_k, draws, seed=cfg.run.seed
        )
        out.append(Claim(transformation, better, worse, *diff))
    return out


test_claims.__test__ = False  # a library function, not a pytest test
__all__ = ["CLAIMS", "Claim", "bootstrap_draws", "difference_on", "paired_trajectory_bootstrap", "test_claims"]
