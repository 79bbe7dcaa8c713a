"""``train(cfg, mode)``: Algorithm 1 (``frames``, ``frames+tracks``), MoCo v2 (``images``) and supervised
training, on one CPU process or on many GPUs under ``torchrun``.

Hyperparameters (``cfg.train``; paper: "the same hyper-parameters as MOCOv2 [10]"): SGD with momentum
``sgd_momentum`` (0.9) and weight decay ``weight_decay`` (1e-4), learning rate ``lr`` (0.03 for batch 256),
cosine schedule ``cosine`` (MoCo v2: ``lr * 0.5 * (1 + cos(pi * epoch / epochs))``, set once per epoch as
in the official ``adjust_learning_rate``; with ``train_steps`` > 0 it is set per step over the steps),
``epochs`` (200) or ``train_steps`` (``supervised``: at most ``supervised_steps`` when set), batch
``batch_size`` (256; the *global* batch, split across processes as the official code does), queue
``queue_size`` K (65536), momentum ``moco_momentum`` m (0.999), temperature ``temperature`` T (0.2).
``supervised`` uses ``supervised_lr`` (torchvision's ImageNet recipe: 0.1 at batch 256) with the same
optimiser and schedule.

One step of Algorithm 1 (``moco_step``): colour augmentation of the loaded crops on the device, the loss
(``MoCo.forward``: frame pair, plus patch pair with tracks and ``0.5*loss + 0.5*loss_patch``), backward,
SGD step of the query encoder, momentum update of the key encoder, enqueue of the frame keys, then of the
patch keys. See ``repro.moco.builder`` for the order of these steps versus the official MoCo code.

Distributed (``torchrun --nproc_per_node G -m repro.train.cli ...``): one process per GPU (or CPU
process with the gloo backend), DistributedDataParallel on the query encoder's gradients, keys gathered
from every process before they are enqueued, MoCo's shuffled BatchNorm for the key encoder (or SyncBN with
``sync_bn``). Rank 0 writes checkpoints and logs.

Resuming: a checkpoint at ``<out_dir>/checkpoint.pt`` (written every ``checkpoint_every`` steps and at the
end) holds everything the next step depends on, and the data position is the step
(``repro.train.data.StepSampler``), so a run killed at any moment and restarted continues exactly: on CPU,
the final weights equal those of an uninterrupted run (a test kills a run with SIGKILL).
"""

from __future__ import annotations

import csv
import logging
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from ..config import Config
from ..errors import ConfigError, ReproError
from ..io import atomic_path
from ..moco import MoCo
from ..moco.augment import color_augment
from ..models import build_resnet, denormalize, read_checkpoint
from ..runtime import autocast, channels_last, progress, resolve_device, seed_everything, torch_threads
from .checkpoint import (
    init_from_checkpoint,
    load_model_state,
    load_training_checkpoint,
    mode_dir,
    save_checkpoint,
    set_rng_state,
)
from .data import StepSampler, build_dataset, build_loader, check_mode
from .monitor import KnnMonitor

log = logging.getLogger("repro.train")

LOG_FIELDS = (
    "step",
    "epoch",
    "lr",
    "loss",
    "loss_frame",
    "loss_patch",
    "acc",
    "acc_patch",
    "queue_age",
    "pos_cos",
    "neg_cos",
)
MONITOR_FIELDS = ("step", "knn_top1")


# --------------------------------------------------------------------------------------------- setup
@dataclass
class ProcessGroup:
    """This process's place in a (torchrun) run: its ``rank`` among ``world`` processes, its GPU index on
    the node (``local_rank``), and whether ``train`` created the process group (and so destroys it)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_kind: str) -> ProcessGroup:
    """torchrun's environment -> a process group (nccl on CUDA, gloo on CPU); one process: nothing."""
    if dist.is_available() and dist.is_initialized():
        return ProcessGroup(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return ProcessGroup()
    backend = "nccl" if device_kind == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return ProcessGroup(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)), True)


def build_model(cfg: Config, mode: str, num_classes: int = 0) -> nn.Module:
    """``MoCo`` for the contrastive modes, a torchvision ResNet classifier for ``supervised``."""
    tc = cfg.train
    if mode == "supervised":
        return build_resnet(tc.arch, num_classes=num_classes)
    return MoCo(
        tc.arch,
        dim=tc.feature_dim,
        K=tc.queue_size,
        m=tc.moco_momentum,
        T=tc.temperature,
        mlp=tc.mlp,
        roi_size=tc.patch_roi_size,
        shuffle_bn=tc.shuffle_bn and not tc.sync_bn,
        bn_splits=tc.bn_splits,
    )


def fixed_steps(cfg: Config, mode: str) -> int:
    """The fixed step count of ``mode``: ``train_steps``, for ``supervised`` at most ``supervised_steps``
    when that is set; 0 = ``epochs`` passes over the training set (paper: 200 epochs)."""
    tc = cfg.train
    if mode != "supervised" or tc.supervised_steps <= 0:
        return tc.train_steps
    return min(tc.supervised_steps, tc.train_steps) if tc.train_steps > 0 else tc.supervised_steps


def total_steps(cfg: Config, n_items: int, mode: str) -> tuple[int, float]:
    """(number of steps, steps per epoch) of ``mode``: ``fixed_steps``, or ``epochs`` passes over the items."""
    tc = cfg.train
    per_epoch = n_items / tc.batch_size
    if (steps := fixed_steps(cfg, mode)) > 0:
        return steps, per_epoch
    if n_items < tc.batch_size:
        raise ConfigError(
            f"the training set has {n_items} items, fewer than batch_size={tc.batch_size}; "
            "lower batch_size or set train_steps"
        )
    return tc.epochs * (n_items // tc.batch_size), float(n_items // tc.batch_size)


def learning_rate(schedule: dict, step: int) -> float:
    """MoCo v2's cosine schedule (per epoch with ``epochs``, per step with ``train_steps``), or constant."""
    base = schedule["base_lr"]
    if not schedule["cosine"]:
        return base
    if schedule["by_epoch"]:
        epoch = int(step // schedule["steps_per_epoch"])
        return base * 0.5 * (1.0 + math.cos(math.pi * epoch / schedule["epochs"]))
    return base * 0.5 * (1.0 + math.cos(math.pi * step / schedule["total_steps"]))


# --------------------------------------------------------------------------------------------- steps
def _to(batch: dict, key: str, device: torch.device) -> torch.Tensor:
    return batch[key].to(device, non_blocking=True)


def _views(batch: dict, image: str, color: str, device: torch.device) -> torch.Tensor:
    """uint8 crops -> colour-augmented, normalised views on the device; float input is taken as final."""
    x = _to(batch, image, device)
    if x.dtype == torch.uint8:
        x = color_augment(x, _to(batch, color, device))  # x: Nx3xSxS float
    return x.contiguous(memory_format=torch.channels_last) if channels_last(device) else x


def moco_step(
    model: nn.Module,
    moco: MoCo,
    optimizer: torch.optim.Optimizer,
    batch: dict,
    device: torch.device,
    step: int,
    scaler: Any = None,
) -> dict[str, float]:
    """One step of Algorithm 1 on a loaded batch; returns its scalars.

    ``model`` is ``moco`` or its DistributedDataParallel wrapper (the forward goes through it so that
    gradients are averaged across processes).
    """
    x_q, x_k = _views(batch, "view_q", "color_q", device), _views(batch, "view_k", "color_k", device)
    tracks = "patch_q" in batch
    patches = {}
    if tracks:  # x1_patch, x2_patch = sample_track(x1, x2): frames with their boxes, or the boxes cut out
        patches = dict(
            patch_q=_views(batch, "patch_q", "patch_color_q", device),
            patch_k=_views(batch, "patch_k", "patch_color_k", device),
        )
        if "box_q" in batch:  # patch_input "roi"
            patches.update(boxes_q=_to(batch, "box_q", device), boxes_k=_to(batch, "box_k", device))
    with autocast(device):
        out = model(x_q, x_k, **patches)  # loss = 0.5*loss + 0.5*loss_patch with tracks
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None and scaler.is_enabled():
        scaler.scale(out["loss"]).backward()
        scaler.step(optimizer)  # SGD update: query network
        scaler.update()
    else:
        out["loss"].backward()
        optimizer.step()  # SGD update: query network
    moco.momentum_update()  # momentum update: key network
    moco.enqueue(out["k"], step)  # enqueue the current minibatch, dequeue the earliest
    if tracks:
        moco.enqueue(out["k_patch"], step)  # second enqueue: the patch keys
    stats = {k: out[k] for k in ("loss_frame", "acc", "pos_cos", "neg_cos")}
    stats["loss"] = out["loss"].detach()
    if tracks:
        stats.update(loss_patch=out["loss_patch"], acc_patch=out["acc_patch"])
    return {k: float(v) for k, v in stats.items()}


def supervised_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, batch: dict, device: torch.device, scaler: Any = None
) -> dict[str, float]:
    """One cross-entropy SGD step of the ``supervised`` baseline (crop + flip, normalised)."""
    x = color_augment(_to(batch, "image", device), None)
    if channels_last(device):
        x = x.contiguous(memory_format=torch.channels_last)
    y = _to(batch, "label", device)
    with autocast(device):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None and scaler.is_enabled():
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    acc = (logits.detach().argmax(1) == y).float().mean()
    return {"loss": float(loss.detach()), "acc": float(acc)}


# --------------------------------------------------------------------------------------------- logging
class ScalarLog:
    """Scalars per step to ``<name>.csv`` (rows after the resumed step are dropped) and TensorBoard
    (``<out_dir>/tensorboard``, tags ``<name>/<field>``): ``log`` for the training step, ``monitor`` for
    the kNN monitor."""

    def __init__(
        self,
        out_dir: Path,
        start_step: int,
        tensorboard: bool = True,
        name: str = "log",
        fields: tuple[str, ...] = LOG_FIELDS,
    ):
        self.path, self.fields, self.tag = out_dir / f"{name}.csv", fields, "train" if name == "log" else name
        rows = read_log_rows(self.path) if start_step > 0 else []
        rows = [r for r in rows if int(float(r["step"])) <= start_step]
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fields)
            w.writeheader()
            w.writerows(rows)
        self.fh = open(self.path, "a", newline="")
        self.writer = csv.DictWriter(self.fh, fields)
        self.tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(out_dir / "tensorboard"), purge_step=start_step + 1, filename_suffix=f".{name}")

    def write(self, row: dict[str, float]) -> None:
        self.writer.writerow({k: (f"{row[k]:.6g}" if k in row else "") for k in self.fields})
        self.fh.flush()
        if self.tb is not None:
            for k, v in row.items():
                if k not in ("step", "epoch"):
                    self.tb.add_scalar(f"{self.tag}/{k}", v, int(row["step"]))

    def close(self) -> None:
        self.fh.close()
        if self.tb is not None:
            self.tb.close()


def read_log_rows(path: str | os.PathLike) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def read_log(path: str | os.PathLike, fields: tuple[str, ...] = LOG_FIELDS) -> dict[str, np.ndarray]:
    """``log.csv`` (or ``knn.csv`` with ``MONITOR_FIELDS``) as arrays per column (empty entries are NaN)."""
    rows = read_log_rows(path)
    return {k: np.array([float(r[k]) if r.get(k) not in (None, "") else np.nan for r in rows]) for k in fields}


# --------------------------------------------------------------------------------------------- train
@dataclass
class TrainResult:
    mode: str
    checkpoint: Path
    log: Path
    total_steps: int
    start_step: int  # where this call started (0, or the resumed checkpoint's step)
    steps_run: int  # steps this call ran
    last: dict[str, float] = field(default_factory=dict)  # scalars of the last step run
    seconds: float = 0.0


@dataclass
class _Run:
    """Everything one call of ``train`` sets up before its first step (``_set_up``, ``_resume``)."""

    cfg: Config
    mode: str
    device: torch.device
    procs: ProcessGroup
    out_dir: Path
    ckpt_path: Path
    dataset: Any
    steps: int
    per_epoch: float
    schedule: dict
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scaler: Any


def train(
    cfg: Config,
    mode: str,
    out_dir: str | os.PathLike | None = None,
    resume: bool = True,
    tensorboard: bool = True,
    stop_after: int | None = None,
) -> TrainResult:
    """Train ``mode`` under ``cfg``; writes ``checkpoint.pt`` and ``log.csv`` (+ ``tensorboard/``) to
    ``out_dir`` (default ``<cache>/checkpoints/<mode>``).

    Args:
        resume: continue from ``out_dir/checkpoint.pt`` if present (an unreadable or mismatched one is a
            CheckpointError, never a silent fresh start); False starts over and overwrites it.
        stop_after: run at most this many steps in this call (a checkpoint is written where it stops).
    A run whose checkpoint is already at the last step returns at once.
    """
    check_mode(mode)
    device = resolve_device(cfg.run.device)
    procs = setup_distributed(device.type)
    try:
        with torch_threads(cfg.run.train_threads):
            return _train(cfg, mode, device, procs, out_dir, resume, tensorboard, stop_after)
    finally:
        if procs.owns_group:
            dist.destroy_process_group()


def _train(cfg, mode, device, procs: ProcessGroup, out_dir, resume, tensorboard, stop_after) -> TrainResult:
    run = _set_up(cfg, mode, device, procs, out_dir)
    start = _resume(run) if resume and run.ckpt_path.exists() else _initialise(run)
    result = TrainResult(mode, run.ckpt_path, run.out_dir / "log.csv", run.steps, start, 0)
    if start >= run.steps:
        return result
    end = run.steps if stop_after is None else min(run.steps, start + stop_after)
    net, moco = _place_model(run)
    sampler = StepSampler(
        len(run.dataset), cfg.train.batch_size, cfg.training_seed(), end, start, procs.rank, procs.world
    )
    loader = build_loader(run.dataset, sampler, cfg.run.num_workers, pin_memory=run.device.type == "cuda")
    logger = ScalarLog(run.out_dir, start, tensorboard) if procs.main else None
    monitor, knn_log = _knn_monitor(run, start, tensorboard)
    encoder = run.model if moco is None else moco.encoder_q
    if monitor is not None and start == 0:
        knn_log.write({"step": 0, "knn_top1": monitor(encoder)})  # the random initialisation
    run.model.train()
    t0 = time.perf_counter()
    try:
        step = start
        for batch in progress(loader, desc=f"train {mode}", total=end, initial=start):
            result.last = _train_step(run, net, moco, batch, step)
            step += 1
            if logger is not None:
                logger.write(result.last)
            if monitor is not None and (step % cfg.train.knn_every == 0 or step == run.steps):
                knn_log.write({"step": step, "knn_top1": monitor(encoder)})
            if step % cfg.train.checkpoint_every == 0 or step == end:
                _checkpoint(run, moco, step)
        result.steps_run = step - start
    finally:
        for log_ in (logger, knn_log):
            if log_ is not None:
                log_.close()
    result.seconds = time.perf_counter() - t0
    return result


def _set_up(cfg: Config, mode: str, device: torch.device, procs: ProcessGroup, out_dir) -> _Run:
    """The device of this process, the data, the schedule, and a freshly initialised model and optimiser."""
    tc = cfg.train
    if device.type == "cuda" and procs.world > 1:
        device = torch.device("cuda", procs.local_rank)
        torch.cuda.set_device(device)
    if tc.sync_bn and (procs.world == 1 or device.type != "cuda"):
        raise ConfigError(
            "sync_bn needs several CUDA processes (torchrun on GPUs); use shuffle_bn on CPU or with one process"
        )
    out_dir = Path(out_dir) if out_dir else mode_dir(cfg, mode)

    seed_everything(cfg.training_seed())  # same initial weights in every process
    dataset = build_dataset(cfg, mode)
    n_classes = len(dataset.set.categories) if mode == "supervised" else 0
    steps, per_epoch = total_steps(cfg, len(dataset), mode)
    schedule = {
        "base_lr": tc.supervised_lr if mode == "supervised" else tc.lr,
        "cosine": tc.cosine,
        "total_steps": steps,
        "steps_per_epoch": per_epoch,
        "epochs": tc.epochs,
        "by_epoch": fixed_steps(cfg, mode) <= 0,
    }
    model = build_model(cfg, mode, n_classes)
    if isinstance(model, MoCo) and procs.world == 1 and tc.bn_splits <= 1 and procs.main:
        log.warning(
            "MoCo with one process and bn_splits=%d: BatchNorm is not shuffled, so the query and its "
            "key share batch statistics (MoCo, Sec. 3.3: the model can 'cheat' the task); set "
            "bn_splits > 1 (e.g. 8) or train on several processes with torchrun",
            tc.bn_splits,
        )
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=schedule["base_lr"],
        momentum=tc.sgd_momentum,
        weight_decay=tc.weight_decay,
    )
    use_fp16 = device.type == "cuda" and not torch.cuda.is_bf16_supported()
    scaler = torch.amp.GradScaler("cuda", enabled=use_fp16) if device.type == "cuda" else None
    return _Run(
        cfg,
        mode,
        device,
        procs,
        out_dir,
        out_dir / "checkpoint.pt",
        dataset,
        steps,
        per_epoch,
        schedule,
        model,
        optimizer,
        scaler,
    )


def _knn_monitor(run: _Run, start: int, tensorboard: bool) -> tuple[KnnMonitor | None, ScalarLog | None]:
    """The ``KnnMonitor`` and its log (``knn.csv`` + TensorBoard ``monitor/knn_top1``) on the main process
    when ``knn_every`` > 0, else (None, None)."""
    if run.cfg.train.knn_every <= 0 or not run.procs.main:
        return None, None
    monitor = KnnMonitor.from_config(run.cfg)
    return monitor, ScalarLog(run.out_dir, start, tensorboard, name="knn", fields=MONITOR_FIELDS)


def _resume(run: _Run) -> int:
    """Loads ``run.ckpt_path`` (weights, optimiser, scaler, queue ages, RNG); returns its step."""
    state = load_training_checkpoint(run.ckpt_path, run.cfg, run.mode)
    load_model_state(run.model, state["model"], f"checkpoint {run.ckpt_path}")
    run.optimizer.load_state_dict(state["optimizer"])
    if run.scaler is not None and state.get("scaler"):
        run.scaler.load_state_dict(state["scaler"])
    if isinstance(run.model, MoCo) and state.get("queue_step") is not None:
        run.model.queue_step.copy_(state["queue_step"])
    set_rng_state(state["rng"])
    if state.get("world_size", 1) != run.procs.world and run.procs.main:
        log.warning(
            "resuming a %d-process run with %d processes: training continues, but not "
            "bit-for-bit as the original would have",
            state.get("world_size", 1),
            run.procs.world,
        )
    return int(state["step"])


def _initialise(run: _Run) -> int:
    """A fresh start (step 0), from ``init_checkpoint``'s weights if one is set."""
    if run.cfg.train.init_checkpoint:
        what = init_from_checkpoint(run.cfg.train.init_checkpoint, run.model, run.mode)
        if run.procs.main:
            log.info("initialised %s", what)
    return 0


def _place_model(run: _Run) -> tuple[nn.Module, MoCo | None]:
    """Model and optimiser state on the device (SyncBN, compile, DDP as configured): (net to call, MoCo)."""
    model, device, tc = run.model, run.device, run.cfg.train
    model.to(device)
    for state in run.optimizer.state.values():  # a resumed optimizer's buffers follow the model
        for k, v in state.items():
            if torch.is_tensor(v):
                state[k] = v.to(device)
    if channels_last(device):
        model.to(memory_format=torch.channels_last)
    moco = model if isinstance(model, MoCo) else None
    if moco is not None and tc.sync_bn:
        moco.encoder_q = nn.SyncBatchNorm.convert_sync_batchnorm(moco.encoder_q)
        moco.encoder_k = nn.SyncBatchNorm.convert_sync_batchnorm(moco.encoder_k)
    if tc.compile_model:
        for enc in [moco.encoder_q, moco.encoder_k] if moco is not None else [model]:
            for child in enc.children():
                child.compile()
    net = model
    if run.procs.world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    return net, moco


def _train_step(run: _Run, net: nn.Module, moco: MoCo | None, batch: dict, step: int) -> dict[str, float]:
    """Step ``step`` (0-based) at its learning rate; returns its log row (``step`` is then ``step + 1``)."""
    lr = learning_rate(run.schedule, step)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    if moco is not None:
        row = moco_step(net, moco, run.optimizer, batch, run.device, step, run.scaler)
        row["queue_age"] = moco.queue_age(step)
    else:
        row = supervised_step(net, run.optimizer, batch, run.device, run.scaler)
    row.update(step=step + 1, epoch=(step + 1) / run.per_epoch, lr=lr)
    if not all(math.isfinite(row[k]) for k in ("loss",)):
        raise FloatingPointError(f"the loss is {row['loss']} at step {step + 1}; lower lr")
    return row


def _checkpoint(run: _Run, moco: MoCo | None, step: int) -> None:
    """Rank 0 writes the checkpoint of ``step``; every process waits for it."""
    if run.procs.main:
        save_checkpoint(
            run.ckpt_path,
            cfg=run.cfg,
            mode=run.mode,
            model=run.model,
            optimizer=run.optimizer,
            schedule=run.schedule,
            step=step,
            world_size=run.procs.world,
            scaler=run.scaler,
            queue_step=None if moco is None else moco.queue_step,
        )
    if run.procs.world > 1:
        dist.barrier()


# a step's time relative to images at the smoke settings (benchmarks/bench_train_procs.py: 157, 81, 59-65, 32 ms)
MODE_COST = {"frames+tracks": 2.6, "frames": 1.3, "images": 1.0, "supervised": 0.5}


def train_modes(cfg: Config, modes: tuple[str, ...] | None = None, **kw) -> dict[str, TrainResult]:
    """``train`` for each of ``modes`` (default ``cfg.train.modes``): ``train_procs`` of them at once, each
    in a (spawned) process of its own, the costliest first (``MODE_COST``); one at a time in this process
    with ``train_procs`` = 1. A model's numbers do not depend on which process trains it or beside what."""
    modes = tuple(modes or cfg.train.modes)
    workers = min(cfg.run.train_procs, len(modes))
    if workers <= 1:
        return {m: train(cfg, m, **kw) for m in modes}
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        longest_first = sorted(modes, key=lambda m: MODE_COST.get(m, 1.0), reverse=True)
        futures = {m: pool.submit(train, cfg, m, **kw) for m in longest_first}
        return {m: futures[m].result() for m in modes}
    except BrokenProcessPool as e:
        raise ReproError(
            "a training process ended abruptly (killed, out of memory, or it could not start): called from a "
            "script, guard the call with `if __name__ == '__main__':` (each process imports the script); or "
            "set train_procs=1 to train in this process. Finished checkpoints are kept; a rerun resumes"
        ) from e
    finally:
        pool.shutdown(cancel_futures=True)  # after an error the running ones finish (checkpointed), no new ones


# --------------------------------------------------------------------------------------------- inspect
def batch_at(cfg: Config, mode: str, step: int = 0) -> dict:
    """The (loaded, not yet colour-augmented) batch that step ``step`` of a run trains on (keys: see
    ``repro.train.data``)."""
    dataset = build_dataset(cfg, mode)
    sampler = StepSampler(len(dataset), cfg.train.batch_size, cfg.training_seed(), step + 1, step)
    return next(iter(build_loader(dataset, sampler)))


def example_views(cfg: Config, mode: str, n: int = 4) -> dict[str, Any]:
    """The first ``n`` samples of a run's first batch as training sees them (augmented, in [0, 1], Nx3xSxS):
    ``query``/``key`` (or ``image`` for supervised) and, with tracks, ``patch_query``/``patch_key`` with
    their boxes (Nx4 pixels; with ``patch_input="crop"`` the whole patch image)."""
    check_mode(mode)
    b = {k: v[:n] for k, v in batch_at(cfg, mode).items()}
    if mode == "supervised":
        return {"image": denormalize(color_augment(b["image"], None)), "label": b["label"]}
    out = {
        "query": denormalize(color_augment(b["view_q"], b["color_q"])),
        "key": denormalize(color_augment(b["view_k"], b["color_k"])),
    }
    if "patch_q" in b:
        whole = torch.tensor([0.0, 0.0, b["patch_q"].shape[-1], b["patch_q"].shape[-2]]).expand(len(b["patch_q"]), 4)
        out.update(
            patch_query=denormalize(color_augment(b["patch_q"], b["patch_color_q"])),
            box_query=b.get("box_q", whole),
            patch_key=denormalize(color_augment(b["patch_k"], b["patch_color_k"])),
            box_key=b.get("box_k", whole),
        )
    if "frame_pair" in b:
        out["frames"] = b["frame_pair"]
    return out


@torch.no_grad()
def hardest_negatives(
    cfg: Config, mode: str, checkpoint: str | os.PathLike, n_queries: int = 4, step: int = 0
) -> dict[str, Any]:
    """Queries of one batch with their positive key and hardest in-batch negative, for figures.

    Uses the trained query and key encoders of ``checkpoint`` (eval mode) on the batch of ``step``
    (default: the first batch); negatives are the batch's other keys (their images are at hand, unlike
    the queue's). Returns the de-normalised views (Nx3xSxS in [0, 1]) of the queries, positives and
    hardest negatives, with the similarities.
    """
    check_mode(mode)
    if mode == "supervised":
        raise ConfigError("hardest_negatives needs a contrastive mode (images, frames, frames+tracks)")
    model = build_model(cfg, mode)
    load_model_state(model, read_checkpoint(checkpoint)["model"], f"checkpoint {checkpoint}")
    model.eval()
    batch = batch_at(cfg, mode, step)
    dev = torch.device("cpu")
    x_q, x_k = _views(batch, "view_q", "color_q", dev), _views(batch, "view_k", "color_k", dev)
    q, k = model.embed(model.encoder_q, x_q), model.embed(model.encoder_k, x_k)  # NxC each
    sim = q @ k.T  # sim: NxN
    same = batch["index"].view(-1, 1) == batch["index"].view(1, -1)  # same item: not a negative
    neg = sim.masked_fill(same, -math.inf).argmax(dim=1)
    sel = torch.arange(min(n_queries, len(q)))
    return {
        "query": denormalize(x_q[sel]),
        "positive": denormalize(x_k[sel]),
        "negative": denormalize(x_k[neg[sel]]),
        "sim_positive": sim[sel, sel].numpy(),
        "sim_negative": sim[sel, neg[sel]].numpy(),
        "positive_rank": (sim[sel] > sim[sel, sel].unsqueeze(1)).sum(1).numpy(),
    }
