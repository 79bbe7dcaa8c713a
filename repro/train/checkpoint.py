"""Training checkpoints (atomic, exactly resumable) and loaders for external checkpoints.

This repository's checkpoint (``torch.save`` of a dict, written atomically by ``repro.io.save_torch``)::

    format      "repro"                      (repro.models.checkpoint_format recognises it)
    version     1
    arch, mode  e.g. "resnet50", "frames+tracks"
    model       state_dict: MoCo's (encoder_q.*, encoder_k.*, queue, queue_ptr) or, for "supervised",
                a torchvision ResNet's (conv1.weight ... fc.bias)
    queue_step  K int64 (MoCo modes): step at which each queue column was written (for the queue age)
    optimizer   SGD state (momentum buffers)
    scaler      GradScaler state (fp16 autocast on CUDA without bf16), or None
    schedule    {"base_lr", "cosine", "total_steps", "steps_per_epoch", "epochs", "by_epoch"}
    step        number of finished steps = the data position (``repro.train.data.StepSampler``)
    rng         Python, NumPy, torch CPU (and CUDA) generator states
    config      the run's flat configuration (``Config.flat()``), checked on resume
    world_size  number of processes that trained it

``repro.models.load_backbone`` reads the backbone out of ``model`` for the other chapters.

Loaders for external weights assert exactly which keys are left out (as the official MoCo
``main_lincls.py`` does: ``assert set(msg.missing_keys) == {"fc.weight", "fc.bias"}``), so a wrong or
partial file is an error, never a silent start from random weights.
"""

from __future__ import annotations

import dataclasses
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import Config
from ..errors import CheckpointError, MissingArtifactError
from ..io import save_torch
from ..models import RANDOM_INIT, backbone_state_dict, checkpoint_format, read_checkpoint, supervised_row
from ..paths import artifact, require
from ..samples import DATA_FIELDS

FORMAT = "repro"
VERSION = 1
REQUIRED = ("format", "version", "arch", "mode", "model", "optimizer", "schedule", "step", "rng", "config")
# settings that may change between a run and its resumption (they do not change what is computed;
# train_threads only the order of float sums; knn_every only how often the monitor reads the encoder)
RESUME_FREE = {
    "checkpoint_every",
    "knn_every",
    "modes",
    "compile_model",
    "num_workers",
    "frame_cache_mb",
    "train_procs",
    "train_threads",
    "device",
    "cache_dir",
}


# ------------------------------------------------------------------------------------------ RNG states
def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------------------------ this repo's
ADDED_LATER = {"train_seed": 0, "supervised_steps": 0, "patch_input": "roi"}  # newer than some checkpoints:
# their value then
SUPERVISED_ONLY = {"supervised_lr", "supervised_steps"}  # change nothing that a contrastive mode computes
TRACKS_ONLY = {"patch_input", "patch_roi_size", "patch_min_visible"}  # nor these what a mode without tracks does


def resume_keys(cfg: Config, mode: str) -> dict[str, Any]:
    """The settings a checkpoint must share with the run that resumes it."""
    flat = cfg.flat()
    keys = [f for f in _section_fields(cfg, "train")] + ["seed"]
    if mode.startswith("frames"):
        keys += _section_fields(cfg, "video")
        if not cfg.video.trackingnet_root:
            keys += DATA_FIELDS["videos"]  # the sample world's videos
    elif not cfg.train.image_root:
        keys += DATA_FIELDS["images"]  # the sample world's stills
    if mode == "frames+tracks":
        keys += _section_fields(cfg, "tracks")
    free = RESUME_FREE | (set() if mode == "supervised" else SUPERVISED_ONLY)
    free |= set() if mode == "frames+tracks" else TRACKS_ONLY
    return {k: flat[k] for k in keys if k not in free}


def _section_fields(cfg: Config, section: str) -> list[str]:
    return [f.name for f in dataclasses.fields(getattr(cfg, section))]


def save_checkpoint(
    path: str | os.PathLike,
    *,
    cfg: Config,
    mode: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: dict,
    step: int,
    world_size: int = 1,
    scaler: Any = None,
    queue_step: torch.Tensor | None = None,
) -> None:
    """Writes the checkpoint atomically (complete under its final name, or absent)."""
    obj = {
        "format": FORMAT,
        "version": VERSION,
        "arch": cfg.train.arch,
        "mode": mode,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "queue_step": None if queue_step is None else queue_step.detach().cpu(),
        "optimizer": optimizer.state_dict(),
        "scaler": None if scaler is None else scaler.state_dict(),
        "schedule": dict(schedule),
        "step": int(step),
        "rng": rng_state(),
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.flat().items()},
        "world_size": int(world_size),
    }
    save_torch(obj, path)


def load_training_checkpoint(path: str | os.PathLike, cfg: Config, mode: str) -> dict:
    """A checkpoint to resume ``mode`` under ``cfg``; a CheckpointError names any mismatch and the fix."""
    path = Path(path)
    fresh = f"delete {path} (or pass a fresh output folder) to start over"
    obj = read_checkpoint(path)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a training checkpoint of this repository (no format '{FORMAT}'); {fresh}")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise CheckpointError(f"{path} is incomplete: it lacks {', '.join(missing)}; {fresh}")
    if obj["version"] != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {obj['version']}, this code writes {VERSION}; {fresh}")
    if obj["mode"] != mode or obj["arch"] != cfg.train.arch:
        raise CheckpointError(
            f"{path} holds a {obj['arch']} trained in mode {obj['mode']!r}, but this run "
            f"trains a {cfg.train.arch} in mode {mode!r}; {fresh}"
        )
    saved = obj["config"]
    differ = []
    for k, v in resume_keys(cfg, mode).items():
        old = saved.get(k, ADDED_LATER.get(k, "<absent>"))
        old = tuple(old) if isinstance(old, list) else old
        if old != v:
            differ.append(f"{k}: checkpoint {old!r}, now {v!r}")
    if differ:
        raise CheckpointError(
            f"{path} was written with different settings, so resuming would not continue "
            "the same run:\n  " + "\n  ".join(differ) + f"\nRestore those settings to resume, or {fresh}"
        )
    return obj


def load_model_state(model: nn.Module, state: dict, source: str) -> None:
    """``load_state_dict`` (strict) with a CheckpointError that lists the differing keys."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shape = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or shape:
        raise CheckpointError(
            f"{source} does not match the model: missing {missing[:5]}, unexpected "
            f"{unexpected[:5]}, wrong shape {shape[:5]} ({len(missing)}, {len(unexpected)}, "
            f"{len(shape)} in all); was it written for another arch, feature_dim, "
            "queue_size or mlp setting?"
        )
    model.load_state_dict(state)


# ------------------------------------------------------------------------------------------ external
def load_official_moco(path: str | os.PathLike, model: nn.Module) -> None:
    """The official MoCo v2 release (``moco_v2_800ep_pretrain.pth.tar``) into a ``MoCo`` module.

    The release's ``state_dict`` keys are ``module.encoder_q.*``, ``module.encoder_k.*``,
    ``module.queue`` and ``module.queue_ptr``; without the DistributedDataParallel ``module.`` prefix they
    are exactly this module's, so every key must load: nothing missing, nothing left over.
    """
    obj = read_checkpoint(path)
    if checkpoint_format(obj) != "moco":
        raise CheckpointError(
            f"{path} is not an official MoCo checkpoint (state_dict with "
            f"module.encoder_q.*); it is a {checkpoint_format(obj)} checkpoint"
        )
    state = {k.removeprefix("module."): v for k, v in obj["state_dict"].items()}
    load_model_state(model, state, f"official MoCo checkpoint {path}")


def head_keys(encoder: nn.Module) -> set[str]:
    """The state_dict keys of an encoder's ``fc`` (classifier or MoCo projection head)."""
    return {f"fc.{k}" for k in encoder.fc.state_dict()}


def load_into_encoder(encoder: nn.Module, backbone: dict[str, torch.Tensor], source: str) -> None:
    """Backbone weights (no ``fc``) into a ResNet whose ``fc`` stays as initialised; asserts that the
    keys left out are exactly those of ``fc``."""
    backbone = {k: v for k, v in backbone.items() if not k.startswith("fc.")}
    try:
        msg = encoder.load_state_dict(backbone, strict=False)
    except RuntimeError as exc:
        raise CheckpointError(f"{source} does not fit the encoder: {str(exc).splitlines()[-1].strip()}") from None
    if set(msg.missing_keys) != head_keys(encoder) or msg.unexpected_keys:
        raise CheckpointError(
            f"{source} does not fit the encoder: missing {sorted(msg.missing_keys)[:5]} "
            f"(expected exactly the head {sorted(head_keys(encoder))}), unexpected "
            f"{sorted(msg.unexpected_keys)[:5]}"
        )


def load_torchvision_resnet(path: str | os.PathLike, encoder: nn.Module) -> None:
    """A torchvision ResNet ``state_dict`` file (e.g. ``resnet50-0676ba61.pth``) into a ResNet encoder;
    only its ``fc`` (classifier or MoCo head) may be left out."""
    obj = read_checkpoint(path)
    if checkpoint_format(obj) != "torchvision":
        raise CheckpointError(f"{path} is not a torchvision ResNet state_dict (conv1.weight ... fc.bias)")
    load_into_encoder(encoder, {k.removeprefix("module."): v for k, v in obj.items()}, f"torchvision file {path}")


def init_from_checkpoint(path: str | os.PathLike, model: nn.Module, mode: str) -> str:
    """Initialise a fresh model from ``init_checkpoint`` (any known format); returns what was loaded.

    MoCo modes: an official MoCo or repro MoCo checkpoint loads whole (encoders, queue); a torchvision
    file or a supervised repro checkpoint loads the backbone into both encoders (heads stay random).
    ``supervised``: the backbone of any format; the classifier stays random.
    """
    obj = read_checkpoint(path)
    fmt = checkpoint_format(obj)
    if mode != "supervised":
        if fmt == "moco" or (fmt == "repro" and obj.get("mode") != "supervised"):
            state = (
                obj["model"] if fmt == "repro" else {k.removeprefix("module."): v for k, v in obj["state_dict"].items()}
            )
            load_model_state(model, state, f"init_checkpoint {path}")
            return f"MoCo model from {path}"
        backbone = backbone_state_dict(obj)
        load_into_encoder(model.encoder_q, backbone, f"init_checkpoint {path}")
        load_into_encoder(model.encoder_k, backbone, f"init_checkpoint {path}")
        model.encoder_k.fc.load_state_dict(model.encoder_q.fc.state_dict())  # f_k.params = f_q.params
        return f"backbone from {path} into both encoders"
    load_into_encoder(model, backbone_state_dict(obj), f"init_checkpoint {path}")
    return f"backbone from {path}"


def mode_dir(cfg: Config, mode: str) -> Path:
    """Where training mode ``mode`` writes its checkpoints and logs: ``<cache>/checkpoints/<mode>``, or
    ``<cache>/checkpoints/train_seed<N>/<mode>`` for a retraining with ``train_seed`` N (``repro seeds``)."""
    seed = cfg.train.train_seed
    return artifact("checkpoints", *([f"train_seed{seed}"] if seed else []), mode, cache_dir=cfg.run.cache_dir)


def model_checkpoints(cfg: Config) -> dict[str, Path | None]:
    """The models every chapter after training compares, under the names of ``results.json``: the seeded
    random initialisation (``RANDOM_INIT``, None), the checkpoint of every mode of ``cfg.train.modes``
    (``<cache>/checkpoints/<mode>/checkpoint.pt``) and ``supervised_weights`` as the "supervised" row when
    that mode is not trained (``repro.models.supervised_row``). A missing checkpoint is a
    MissingArtifactError naming notebook 03_training."""
    out: dict[str, Path | None] = {RANDOM_INIT: None}
    for mode in cfg.train.modes:
        try:
            out[mode] = require(mode_dir(cfg, mode) / "checkpoint.pt", "checkpoints")
        except MissingArtifactError as exc:
            raise MissingArtifactError(f"the checkpoint of training mode {mode!r} is missing: {exc}") from None
    out.update({name: Path(p) for name, p in supervised_row(cfg.train.modes, cfg.train.supervised_weights).items()})
    return out
