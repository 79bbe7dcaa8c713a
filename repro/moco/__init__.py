"""MoCo v2 [10] and Algorithm 1 of the supplement: the model, its loss and its augmentation."""

from .augment import color_augment, geometric_augment, sample_color_params
from .builder import MoCo, build_encoder, encode_patches
from .loss import contrastive_loss, positive_accuracy, view_cosines

__all__ = [
    "MoCo",
    "contrastive_loss",
    "positive_accuracy",
    "view_cosines",
    "build_encoder",
    "encode_patches",
    "geometric_augment",
    "sample_color_params",
    "color_augment",
]
