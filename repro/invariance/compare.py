"""The chapter's comparison of models (Section A): every invariance measure variant of each model
(``repro.train.model_checkpoints``: a random initialisation and the checkpoint of every training mode) on
every trajectory dataset (``compare_models``), from cached features."""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import Config
from .datasets import TrajectoryDataset
from .features import extract_features
from .measures import class_conditional_invariance, measure_variants


def input_size(cfg: Config, dataset: TrajectoryDataset) -> int:
    """The side the images of ``dataset`` are resized to before the encoder: ``aloi_image_size`` /
    ``got10k_image_size`` / ``pascal3d_image_size`` for the real datasets (the authors' released configs:
    128, 128, 224), the training ``image_size`` for every other (the synthetic trajectories)."""
    inv = cfg.invariance
    sizes = {"aloi-": inv.aloi_image_size, "got10k-": inv.got10k_image_size, "pascal3d-": inv.pascal3d_image_size}
    return next((v for prefix, v in sizes.items() if dataset.name.startswith(prefix)), cfg.train.image_size)


def model_features(cfg: Config, dataset: TrajectoryDataset, checkpoint: Path | None):
    """The features of one model on one dataset (``extract_features``, cached)."""
    return extract_features(
        dataset,
        checkpoint,
        cfg.train.arch,
        input_size(cfg, dataset),
        device=cfg.run.device,
        seed=cfg.training_seed(),  # of the random-init model
        cache_dir=cfg.run.cache_dir,
    )


def compare_models(cfg: Config, datasets: dict[str, TrajectoryDataset], models: dict[str, Path | None]) -> list[dict]:
    """Every measure variant (``measure_variants``) for every model on every dataset: rows of
    {"model", "dataset", "measure", "value"}. Features come from the cache when present."""
    inv, rows = cfg.invariance, []
    for model, checkpoint in models.items():
        for name, ds in datasets.items():
            f = model_features(cfg, ds, checkpoint)
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


def rate_readings(
    cfg: Config, datasets: dict[str, TrajectoryDataset], models: dict[str, Path | None], top_k: int
) -> list[dict]:
    """The class-conditional score (K = ``top_k``) under both readings of G_y (``global_rate``; "nominal" is the
    default), and the share of the realised reading's top units that fire on fewer than half of P(y)'s samples
    (ties at the threshold): rows of {"model", "dataset", "realised", "nominal", "sparse"}."""
    rows = []
    for model, checkpoint in models.items():
        for name, ds in datasets.items():
            f = model_features(cfg, ds, checkpoint)
            realised = class_conditional_invariance(f.acts, f.trajectory_ids, f.labels, top_k, global_rate="realised")
            nominal = class_conditional_invariance(f.acts, f.trajectory_ids, f.labels, top_k, global_rate="nominal")
            prior = torch.bincount(torch.as_tensor(f.labels)).to(torch.float64) / len(f.labels)  # P(y): C
            G = torch.gather(realised.global_rates, 1, realised.top_units)  # realised G_y of its top units: C x K
            sparse = float((G < prior[torch.as_tensor(realised.classes)][:, None] / 2).to(torch.float64).mean())
            rows.append(
                {
                    "model": model,
                    "dataset": name,
                    "realised": realised.score,
                    "nominal": nominal.score,
                    "sparse": sparse,
                }
            )
    return rows


__all__ = ["compare_models", "input_size", "model_features", "rate_readings"]
