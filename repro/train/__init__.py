"""Training (Section B, Algorithm 1; MoCo v2 on images; the supervised baseline), checkpoints and data."""

from .checkpoint import (
    init_from_checkpoint,
    load_official_moco,
    load_torchvision_resnet,
    load_training_checkpoint,
    mode_dir,
    model_checkpoints,
    save_checkpoint,
)
from .data import MODES, FramePairDataset, ImageDataset, StepSampler, build_dataset
from .loop import TrainResult, example_views, hardest_negatives, moco_step, read_log, train, train_modes

__all__ = [
    "MODES",
    "FramePairDataset",
    "ImageDataset",
    "StepSampler",
    "TrainResult",
    "build_dataset",
    "example_views",
    "hardest_negatives",
    "init_from_checkpoint",
    "load_official_moco",
    "load_torchvision_resnet",
    "load_training_checkpoint",
    "mode_dir",
    "model_checkpoints",
    "moco_step",
    "read_log",
    "save_checkpoint",
    "train",
    "train_modes",
]
