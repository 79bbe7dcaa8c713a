"""``repro tracks``: region tracks for every chunk of a video dataset (Section B, "Generating Tracks").

Per video: selective search proposals for the frames of its unfinished chunks, layer-3 ROI features of the
proposals, then per chunk the Eq. 4-5 log scores for its frame pairs and the tracks above the threshold,
written to one file per chunk. With ``workers`` > 0 on CPU, each Dask worker process does all of this for
one video at a time (one thread each: the job scales with processes); on CUDA a process pool runs selective
search only and the main process computes the features on the GPU. ``workers=0`` does everything in-process.

Output: one file per chunk and an index, in the format of ``store`` (``tracks_dir(cfg)``, ``load_tracks``).

Robustness: a file is written atomically (temporary file, then rename), so it is either complete or
absent; a rerun skips chunks whose file exists, so a killed run loses at most the chunks in flight. Missing
or corrupt frames are skipped with a counted warning (the chain of Eq. 4 then steps over them) and
summarised at the end.

Scale-out: on CPUs the tasks (the unfinished chunks of one video) run on a Dask cluster (``distributed``):
by default a local cluster of ``track_workers`` single-threaded worker processes on this machine, or, with
``scheduler`` (``--scheduler tcp://host:8786``), the workers of a cluster started with ``dask scheduler`` and
``dask worker`` on many machines sharing the output folder. A worker writes the files of its task itself,
so a worker that dies loses only the chunks in flight; Dask reruns its task on another worker. Dask rather
than Ray: on this 2-core machine a local Dask cluster starts in 1.2 s against Ray's 4.0 s and installs 24 MB
against 240 MB, and at seconds to minutes per task their per-task overheads (2 ms and 1 ms) do not matter
(``benchmarks/RESULTS.md``). Videos can also be dealt round-robin to independent shards (``--shard-index i
--num-shards n``, one per machine), or, under ``torchrun``, to ranks (``RANK``/``WORLD_SIZE``; each rank uses
GPU ``LOCAL_RANK``, its proposals from a local process pool). Every shard rewrites ``index.json`` from the
files present when it finishes; after a multi-machine run, ``repro tracks --reindex`` (or any rerun, which
skips everything) makes it complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from distributed import Client, LocalCluster, as_completed
from tqdm import tqdm

from ..config import Config
from ..data import Chunk, SkipLog, TrackingNet, list_chunks, open_videos, track_pairs
from ..errors import ConfigError
from ..io import save_npz
from ..runtime import progress, progress_enabled, resolve_device, torch_threads
from .extract import extract_tracks
from .features import Layer3, load_layer3, region_features
from .proposals import PROPOSAL_MODES, init_worker, proposal_job
from .score import log_track_score_chain, region_similarities
from .store import FORMAT, FORMAT_VERSION, chunk_file, track_params, tracks_dir, write_index

log = logging.getLogger("repro.tracks")

FEATURE_BATCH = 8  # frames per backbone forward pass (and in memory at once)


# ---------------------------------------------------------------------------------------------- proposals
def iter_proposals(paths: Iterable[str], cfg: Config, workers: int = 0) -> Iterator[tuple[np.ndarray | None, str]]:
    """Selective search of each frame path, in order; ``workers`` > 0 uses that many processes ("spawn",
    one OpenCV thread each)."""
    t = cfg.tracks
    jobs = (
        (str(p), t.proposal_mode, t.proposal_short_side, t.max_proposals, t.min_box_side, cfg.run.seed) for p in paths
    )
    if workers <= 0:
        yield from map(proposal_job, jobs)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=init_worker) as pool:
        yield from pool.imap(proposal_job, jobs, chunksize=2)


# ---------------------------------------------------------------------------------------------- one chunk
def chunk_pair_scores(
    chunk: Chunk, boxes: dict[int, np.ndarray], feats: dict[int, torch.Tensor], k: int, mode: str, center: bool = False
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yields (i, j, log S(i->j)) for the chunk's frame pairs whose two frames are available, i < j absolute.

    Frames without proposals or features (missing/corrupt) are left out of the chain: the similarity
    matrices link consecutive *available* frames, and 1/(j-i) of the identity counts the steps taken.
    """
    avail = [t for t in chunk.frames if t in boxes and t in feats]
    pos = {t: n for n, t in enumerate(avail)}
    M = region_similarities([feats[t] for t in avail], center)  # M_n: R_n x R_{n+1}
    targets: dict[int, list[int]] = defaultdict(list)
    for i, j in chunk.pairs(k, mode):
        if i in pos and j in pos:
            targets[i].append(j)
    for i in sorted(targets):
        for pj, logS in log_track_score_chain(M, pos[i], [pos[j] for j in targets[i]]):
            yield i, avail[pj], logS  # logS: R_i x R_j


def chunk_tracks(
    chunk: Chunk, boxes: dict[int, np.ndarray], feats: dict[int, torch.Tensor], cfg: Config
) -> dict[str, np.ndarray]:
    """The arrays of one chunk file (without ``meta``)."""
    t = cfg.tracks
    pairs, pair_index, ri, rj, scores = [], [], [], [], []
    for i, j, logS in chunk_pair_scores(
        chunk, boxes, feats, cfg.video.pair_gap, cfg.video.pair_mode, t.center_features
    ):
        r, r2, s = extract_tracks(
            logS, quantile=t.track_quantile, one_to_one=t.one_to_one, max_tracks=t.max_tracks_per_pair or None
        )
        pair_index.append(np.full(len(r), len(pairs), np.int64))
        pairs.append((i, j))
        ri.append(r), rj.append(r2), scores.append(s)
    frames = [f for f in chunk.frames if f in boxes and f in feats]
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
    ri, rj = cat(ri, np.int32), cat(rj, np.int32)
    pair_index = cat(pair_index, np.int64)
    pairs_arr = np.asarray(pairs, np.int64).reshape(-1, 2)
    bi = np.zeros((len(ri), 4), np.float32)
    bj = np.zeros((len(rj), 4), np.float32)
    for n, (i, j) in enumerate(pairs_arr.tolist()):
        sel = pair_index == n
        bi[sel], bj[sel] = boxes[i][ri[sel]], boxes[j][rj[sel]]
    counts = [len(boxes[f]) for f in frames]
    return dict(
        pairs=pairs_arr,
        pair_index=pair_index,
        regions_i=ri,
        regions_j=rj,
        boxes_i=bi,
        boxes_j=bj,
        log_scores=cat(scores, np.float64),
        frames=np.asarray(frames, np.int64),
        proposals=np.concatenate([boxes[f] for f in frames]).astype(np.float32)
        if frames
        else np.zeros((0, 4), np.float32),
        proposal_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------- the job
@dataclass
class TrackRun:
    """What a run did."""

    out_dir: Path
    chunks_total: int = 0  # chunks of this shard
    chunks_written: int = 0
    chunks_existing: int = 0  # skipped because their file exists (resume)
    tracks_written: int = 0
    frames_processed: int = 0
    seconds: float = 0.0
    skips: SkipLog = field(default_factory=SkipLog)

    def summary(self) -> str:
        return (
            f"{self.chunks_written} chunk(s) written ({self.tracks_written} tracks), "
            f"{self.chunks_existing} already done, of {self.chunks_total} in this shard; "
            f"{self.skips.summary()}; tracks in {self.out_dir}"
        )


def shard_from_env() -> tuple[int, int]:
    """(rank, world size) under torchrun, else (0, 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    rank = int(os.environ.get("RANK", "0") or 0)
    return (rank, world) if world > 1 else (0, 1)


def shard_chunks(chunks: list[Chunk], shard_index: int, num_shards: int) -> list[Chunk]:
    """The chunks of the videos dealt to this shard (videos round-robin in sorted order)."""
    if num_shards < 1 or not 0 <= shard_index < num_shards:
        raise ConfigError(f"need 0 <= shard_index < num_shards, got {shard_index} and {num_shards}")
    videos = sorted({(c.split, c.seq) for c in chunks})
    mine = {v for n, v in enumerate(videos) if n % num_shards == shard_index}
    return [c for c in chunks if (c.split, c.seq) in mine]


def _device_for_rank(cfg: Config) -> torch.device:
    device = resolve_device(cfg.run.device)
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return device


def check_config(cfg: Config) -> None:
    """Bad track parameters fail before any work starts, with the parameter's name."""
    t = cfg.tracks
    track_pairs(cfg.video.chunk_len, cfg.video.pair_gap, cfg.video.pair_mode)  # pair_mode
    if t.proposal_mode not in PROPOSAL_MODES:
        raise ConfigError(f"proposal_mode must be one of {', '.join(PROPOSAL_MODES)}, got {t.proposal_mode!r}")
    if not 0.0 <= t.track_quantile <= 1.0:
        raise ConfigError(f"track_quantile must lie in [0, 1], got {t.track_quantile}")
    if t.max_proposals < 1:
        raise ConfigError(f"max_proposals must be >= 1, got {t.max_proposals}")
    for name in ("proposal_short_side", "feature_short_side", "min_box_side", "max_tracks_per_pair"):
        if getattr(t, name) < 0:
            raise ConfigError(f"{name} must be >= 0, got {getattr(t, name)}")


def run_tracks(
    cfg: Config,
    source: str = "trackingnet",
    shard_index: int | None = None,
    num_shards: int | None = None,
    workers: int | None = None,
    limit: int = 0,
    dataset: TrackingNet | None = None,
    out_dir: Path | None = None,
    max_chunks: int = 0,
    scheduler: str | None = None,
) -> TrackRun:
    """Generates and writes the tracks of every unfinished chunk of this shard (module docstring).

    Args:
        cfg: the configuration (video, tracks and run sections).
        source: "trackingnet" (the config's dataset, or the sample clips) or "synthetic".
        shard_index, num_shards: this shard; default from torchrun's RANK/WORLD_SIZE, else 0 of 1.
        workers: worker processes (default ``cfg.tracks.track_workers``; 0 = all in this process).
        limit: only the first ``limit`` videos of the shard (0 = all).
        dataset, out_dir: override the config's dataset and output folder (tests, notebooks).
        max_chunks: stop after writing this many chunks (0 = no limit); a way to run in slices.
        scheduler: a Dask scheduler address to run the tasks on (default ``cfg.tracks.scheduler``; "" = a
            local cluster of ``workers`` processes when ``workers`` > 0).
    """
    start_time = time.perf_counter()
    if shard_index is None or num_shards is None:
        shard_index, num_shards = shard_from_env()
    workers = cfg.tracks.track_workers if workers is None else workers
    scheduler = cfg.tracks.scheduler if scheduler is None else scheduler
    dataset = open_videos(cfg, source) if dataset is None else dataset
    out_dir = Path(out_dir) if out_dir is not None else tracks_dir(cfg, source)
    check_config(cfg)
    chunks = shard_chunks(list_chunks(cfg, dataset), shard_index, num_shards)
    if limit:
        keep = set(sorted({(c.split, c.seq) for c in chunks})[:limit])
        chunks = [c for c in chunks if (c.split, c.seq) in keep]
    run = TrackRun(out_dir=out_dir, chunks_total=len(chunks))
    todo = [c for c in chunks if not chunk_file(out_dir, c).exists()]
    run.chunks_existing, todo = len(chunks) - len(todo), todo[: max_chunks or None]
    params = track_params(cfg, source)
    key = out_dir.name
    if todo:
        device = _device_for_rank(cfg)
        tasks = chunk_tasks(todo)
        if (workers > 0 or scheduler) and device.type == "cpu":
            with dask_client(workers, scheduler) as client:
                _run_task_cluster(run, cfg, dataset, tasks, out_dir, key, params, client)
        else:
            layer3 = load_layer3(cfg.tracks.track_checkpoint, cfg.tracks.track_arch, cfg.run.seed, device)
            regions = iter_task_regions(dataset, tasks, cfg, layer3, device, workers, run.skips)
            for task, boxes, feats in progress(regions, desc="tracks", total=len(tasks)):
                run.frames_processed += len(feats)
                for c in tasks[task]:
                    _write_chunk(chunk_file(out_dir, c), c, boxes, feats, cfg, key, params, run)
    write_index(out_dir, params)
    run.seconds = time.perf_counter() - start_time
    if len(run.skips):
        log.warning("%s", run.skips.summary())
    return run


def chunk_tasks(chunks: list[Chunk]) -> dict[tuple[str, str, int], list[Chunk]]:
    """Chunks grouped into tasks, what a worker does in one go: the chunks of a video that share frames (they
    overlap when the video is shorter than num_chunks * chunk_len) form one task, so shared frames are
    processed once; other chunks are tasks of their own. Key: (split, seq, first chunk index)."""
    tasks: dict[tuple[str, str, int], list[Chunk]] = {}
    last: Chunk | None = None
    for c in sorted(chunks, key=lambda c: (c.split, c.seq, c.start, c.chunk_index)):
        if last is not None and (last.split, last.seq) == (c.split, c.seq) and c.start < last.start + last.length:
            tasks[next(reversed(tasks))].append(c)
        else:
            tasks[(c.split, c.seq, c.chunk_index)] = [c]
        last = c
    return tasks


# On CPU a worker process does all the work of a task (proposals, features on one thread, scores, files), so
# the job scales with processes; on a GPU the workers only run selective search and this process computes
# the features (iter_task_regions with workers > 0).
_WORKER: dict = {}


def _worker_layer3(checkpoint: str, arch: str, seed: int) -> Layer3:
    """The track feature model of this worker process, loaded once (with the worker's one thread and the
    seeded selective search of ``init_worker``)."""
    if _WORKER.get("model") != (checkpoint, arch, seed):
        init_worker()
        torch.set_num_threads(1)
        _WORKER["model"], _WORKER["layer3"] = (checkpoint, arch, seed), load_layer3(checkpoint, arch, seed, "cpu")
    return _WORKER["layer3"]


def _run_task(job: tuple) -> tuple[int, int, int, list]:
    """One task on a worker: the regions of one video's unfinished chunks, and each chunk's file written
    atomically there (so a lost worker loses only the chunks of its task in flight)."""
    cfg, root, splits, chunks, out_dir, key, params = job
    t = cfg.tracks
    layer3 = _worker_layer3(t.track_checkpoint, t.track_arch, cfg.run.seed)
    if _WORKER.get("data") != (root, splits):
        _WORKER["data"], _WORKER["dataset"] = (root, splits), TrackingNet(root, splits)
    run = TrackRun(out_dir=out_dir, skips=SkipLog(max_warnings=3))
    for _, boxes, feats in iter_task_regions(
        _WORKER["dataset"], {0: chunks}, cfg, layer3, torch.device("cpu"), 0, run.skips
    ):
        run.frames_processed += len(feats)
        for c in chunks:
            _write_chunk(chunk_file(out_dir, c), c, boxes, feats, cfg, key, params, run)
    return run.chunks_written, run.tracks_written, run.frames_processed, run.skips.skipped


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str = "") -> Iterator[Client]:
    """A Dask client: of the cluster at ``scheduler`` (an address, e.g. ``tcp://host:8786``, whose workers
    run ``dask worker``), else of a local cluster of ``workers`` single-threaded worker processes."""
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    before = dict(os.environ)  # a local cluster's nannies set OMP_NUM_THREADS=1 etc. in this process too,
    try:  # which every later process (a notebook kernel, a training run) would inherit
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    finally:
        os.environ.clear()
        os.environ.update(before)


def _run_task_cluster(
    run: TrackRun, cfg: Config, dataset: TrackingNet, tasks: dict, out_dir: Path, key: str, params: dict, client: Client
) -> None:
    """Every task on the Dask cluster of ``client``; a worker that dies has its tasks rerun elsewhere (Dask
    reschedules them), and a progress bar counts chunks as their tasks finish."""
    jobs = [(cfg, dataset.root, dataset.splits, chunks, out_dir, key, params) for chunks in tasks.values()]
    futures = {client.submit(_run_task, job, pure=False): len(job[3]) for job in jobs}
    with tqdm(total=sum(futures.values()), desc="tracks (chunks)", disable=not progress_enabled()) as bar:
        for future in as_completed(futures):
            written, tracks, frames, skipped = future.result()
            run.chunks_written += written
            run.tracks_written += tracks
            run.frames_processed += frames
            run.skips.skipped.extend(skipped)
            bar.update(futures[future])


def iter_task_regions(
    dataset: TrackingNet, tasks: dict, cfg: Config, layer3: Layer3, device: torch.device, workers: int, skips: SkipLog
) -> Iterator[tuple[object, dict[int, np.ndarray], dict[int, torch.Tensor]]]:
    """For each task (``tasks``: key -> chunks of one video, in order): ``(key, {frame: proposals R x 4},
    {frame: features R x C})`` over the frames of its chunks. Proposals of all tasks stream from one pool of
    ``workers`` processes (0: in this process), so the workers run ahead while this process computes
    features; unreadable frames are recorded in ``skips``.

    On CPU the features are computed on one thread: the thread count changes the order of float32 sums, and
    tracks must not depend on how many workers a run had (a resumed run may have had another number)."""
    work = []
    for task, chunks in tasks.items():
        split, seq = chunks[0].split, chunks[0].seq
        missing = sorted({m for c in chunks for m in c.missing})
        for m in missing:
            skips.record(dataset.frame_path(split, seq, m), "missing: no file")
        work.append((task, split, seq, sorted({f for c in chunks for f in c.frames} - set(missing))))
    paths = (dataset.frame_path(split, seq, f) for _, split, seq, frames in work for f in frames)
    results = iter_proposals(paths, cfg, workers)
    try:
        for task, split, seq, frames in work:
            boxes: dict[int, np.ndarray] = {}
            for f in frames:
                b, err = next(results)
                if b is None:
                    skips.record(dataset.frame_path(split, seq, f), err)
                else:
                    boxes[f] = b
            feats: dict[int, torch.Tensor] = {}
            readable = sorted(boxes)
            for b0 in range(0, len(readable), FEATURE_BATCH):  # a batch of frames in memory at a time
                images = dataset.read_frames(split, seq, readable[b0 : b0 + FEATURE_BATCH], skips)
                order = sorted(images)
                with torch_threads(1) if device.type == "cpu" else contextlib.nullcontext():
                    feats.update(
                        zip(
                            order,
                            region_features(
                                layer3,
                                [images[f] for f in order],
                                [boxes[f] for f in order],
                                feature_short_side=cfg.tracks.feature_short_side,
                                batch_size=FEATURE_BATCH,
                                device=device,
                            ),
                        )
                    )
            yield task, {f: boxes[f] for f in sorted(feats)}, feats
    finally:
        results.close()  # stops the worker pool


def _write_chunk(
    path: Path, c: Chunk, boxes: dict, feats: dict, cfg: Config, key: str, params: dict, run: TrackRun
) -> None:
    arrays = chunk_tracks(c, boxes, feats, cfg)
    meta = dict(
        format=FORMAT,
        version=FORMAT_VERSION,
        key=key,
        params=params,
        model=dict(
            checkpoint=cfg.tracks.track_checkpoint,
            arch=cfg.tracks.track_arch,
            layer="layer3",
            stride=16,
            pooling="roi_align 7x7, mean",
        ),
        split=c.split,
        seq=c.seq,
        chunk_index=c.chunk_index,
        start=c.start,
        length=c.length,
        num_frames=c.num_frames,
        skipped_frames=[f for f in c.frames if f not in feats],
    )
    save_npz(path, meta=np.asarray(json.dumps(meta, sort_keys=True)), **arrays)
    run.chunks_written += 1
    run.tracks_written += len(arrays["log_scores"])


__all__ = [
    "TrackRun",
    "check_config",
    "chunk_pair_scores",
    "chunk_tasks",
    "chunk_tracks",
    "iter_task_regions",
    "run_tracks",
    "shard_chunks",
]
