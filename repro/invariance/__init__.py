"""Section A: the invariance measure of Goodfellow et al. [28], the supplement's class-conditional version
(Eq. 3) and the released script's variant (``measures``); trajectory datasets (``datasets``); features of
any checkpoint on them (``features``); the comparison of models (``compare``); activations with known
answers for the analytic cases (``analytic``); the chapter's experiments, tables, figures and summary
(``figures``)."""

from .compare import compare_models, rate_readings
from .datasets import (
    TrajectoryDataset,
    aloi_trajectories,
    got10k_trajectories,
    measurement_datasets,
    pascal3d_trajectories,
    synthetic_trajectories,
    video_trajectories,
)
from .features import Features, extract_features
from .measures import (
    InvarianceResult,
    class_conditional_invariance,
    goodfellow_invariance,
    measure_variants,
    released_code_invariance,
)

__all__ = [
    "InvarianceResult",
    "goodfellow_invariance",
    "class_conditional_invariance",
    "released_code_invariance",
    "measure_variants",
    "rate_readings",
    "TrajectoryDataset",
    "synthetic_trajectories",
    "video_trajectories",
    "aloi_trajectories",
    "got10k_trajectories",
    "pascal3d_trajectories",
    "measurement_datasets",
    "Features",
    "extract_features",
    "compare_models",
]
