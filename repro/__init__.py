"""Reproduction of the supplement of Purushwalkam & Gupta, "Demystifying Contrastive Self-Supervised
Learning: Invariances, Augmentations and Dataset Biases" (NeurIPS 2020)."""

from .config import Config
from .errors import ReproError

__all__ = ["Config", "ReproError"]
__version__ = "0.1.0"
