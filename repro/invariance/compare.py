"""The chapter's comparison of models (Section A): every invariance measure variant of each model
(``repro.train.model_checkpoints``: a random initialisation and the checkpoint of every training mode) on
every trajectory dataset (``compare_models``), from cached features."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from .datasets import TrajectoryDataset
from .features import extract_features
from .measures import measure_variants


def input_size(cfg: Config, dataset: TrajectoryDataset) -> int:
    """The side the images of ``dataset`` are resized to before the encoder: ``aloi_image_size`` /
    ``got10k_image_size`` / ``pascal3d_image_size`` for the real datasets (the authors' released configs:
    128, 128, 224), the training ``image_size`` for every other (the synthetic trajectories)."""
    inv = cfg.invariance
    sizes = {"aloi-": inv.aloi_image_size, "got10k-": inv.got10k_image_size, "pascal3d-": inv.pascal3d_image_size}
    return next((v for prefix, v in sizes.items() if dataset.name.startswith(prefix)), cfg.train.image_size)


def compare_models(cfg: Config, datasets: dict[str, TrajectoryDataset], models: dict[str, Path | None]) -> list[dict]:
    """Every measure variant (``measure_variants``) for every model on every dataset: rows of
    {"model", "dataset", "measure", "value"}. Features come from the cache when present."""
    inv, rows = cfg.invariance, []
    for model, checkpoint in models.items():
        for name, ds in datasets.items():
            f = extract_features(
                ds,
                checkpoint,
                cfg.train.arch,
                input_size(cfg, ds),
                device=cfg.run.device,
                seed=cfg.training_seed(),  # of the random-init model
                cache_dir=cfg.run.cache_dir,
            )
            scores = measure_variants(
                f.acts,
                f.trajectory_ids,
                f.labels,
                inv.goodfellow_firing_rate,
                inv.goodfellow_top_fraction,
                inv.invariance_top_ks,
            )
            rows += [{"model": model, "dataset": name, "measure": m, "value": v} for m, v in scores.items()]
    return rows


__all__ = ["compare_models", "input_size"]
