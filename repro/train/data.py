"""Training data for the four modes, and a step-indexed sampler that makes resuming exact.

Modes (``MODES``):
  * ``supervised``     labelled images, one augmented view and its label ("ImageNet supervised" row).
  * ``images``         MoCo v2: two augmentations of one image ("ImageNet MoCo v2" row).
  * ``frames``         Frame Temporal Invariance: query and key are frames i < j of one chunk, at least
                       k = ``pair_gap`` apart ("We sample frames that are at least k = 40 frames apart";
                       ``pair_mode="grid"`` samples V_pairs instead), each augmented as MoCo v2.
  * ``frames+tracks``  as ``frames``, plus ``sample_track``: a tracked region pair of the same two frames
                       ("Region Tracker" row). ``patch_input="roi"``: each frame augmented again together
                       with its box (the box's layer3 features are ROI-aligned in the model); ``"crop"``: each
                       box cut out of its frame and augmented as MoCo v2 augments a frame.

Images come from ``<cache>/samples/images.npz`` (``train_images``/``train_labels``) when ``image_root`` is
"" and from an ImageFolder-style directory (``<root>/<class>/<image>``, e.g. ImageNet's train folder)
otherwise. Videos are the chunks of ``repro.data.list_chunks`` and, with tracks, the per-chunk files of
``repro.tracks`` (``tracks_dir(cfg)``; a chunk without tracks above the threshold is left out).

Determinism and resuming: every random choice of a sample (which pair, which track, crops, flips, colour)
comes from a generator seeded by (run seed, step, slot in the global batch), and the items of step s are
positions s*B .. (s+1)*B-1 of an endless stream of per-epoch permutations of the dataset. The data
position of a run is therefore just its step: ``StepSampler(start_step=s)`` yields exactly the batches an
uninterrupted run would have seen from step s on, with any number of loader workers or processes.

Each sample is a dict of tensors: uint8 crops (the geometric part of the augmentation, done here) and the
colour parameters of each view (the colour part runs batched on the training device:
``repro.moco.augment.color_augment``). Its keys (batched by the loader, so each gains a leading N):
  * ``view_q``, ``view_k``    3xSxS uint8: the query and key crops (x_q = aug(x1), x_k = aug(x2));
  * ``color_q``, ``color_k``  the colour parameters of those views (``sample_color_params``);
  * with tracks: ``patch_q``, ``patch_k`` (``"roi"``: the frames cropped again, each around its tracked
    box; ``"crop"``: the boxes' own pixels, augmented), ``patch_color_q``, ``patch_color_k`` (their colour
    parameters) and, with ``"roi"`` only, ``box_q``, ``box_k`` (4 float32, the box (x1, y1, x2, y2) in crop
    pixels);
  * ``supervised``: ``image`` (3xSxS uint8 crop) and ``label`` (int64);
  * ``index`` (the item) and, for videos, ``frame_pair`` (the absolute indices i < j of the two frames).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..config import Config
from ..data import FrameCache, frame_pairs, list_chunks, read_image, sample_frame_pair
from ..data.trackingnet import FrameError
from ..errors import ConfigError, DatasetLayoutError, MissingArtifactError
from ..moco.augment import MOCO_SCALE, cut_box, geometric_augment, sample_color_params
from ..paths import artifact, require
from ..tracks.store import chunk_file, load_tracks, tracks_dir

log = logging.getLogger("repro.train")

MODES = ("supervised", "images", "frames", "frames+tracks")
SUPERVISED_SCALE = (0.08, 1.0)  # torchvision's ImageNet recipe (RandomResizedCrop default)
FRAME_TRIES = 10  # resample a pair whose frames are missing or corrupt
PATCH_INPUTS = ("roi", "crop")  # TrainConfig.patch_input


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"unknown training mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


def sample_rng(seed: int, step: int, slot: int) -> np.random.Generator:
    """The generator of one sample: (run seed, step, slot in the global batch)."""
    return np.random.default_rng([seed, step, slot, 0x5A3])


# --------------------------------------------------------------------------------------------- sampler
class StepSampler(Sampler[list]):
    """Batches of (item index, step, slot) for steps ``start_step .. total_steps-1`` of one process.

    Global batch b of step s holds stream positions s*B .. s*B+B-1, where the stream concatenates a
    fresh permutation of the ``n_items`` items per epoch (seeded by (seed, epoch)); process ``rank`` of
    ``world`` takes its B/world consecutive slots. Datasets smaller than a batch simply span epochs.
    """

    def __init__(
        self,
        n_items: int,
        global_batch: int,
        seed: int,
        total_steps: int,
        start_step: int = 0,
        rank: int = 0,
        world: int = 1,
    ):
        if n_items <= 0:
            raise DatasetLayoutError("the training set is empty; check the data (see the messages above)")
        if global_batch % world:
            raise ConfigError(f"batch_size {global_batch} must be divisible by the number of processes {world}")
        self.n, self.B, self.seed = n_items, global_batch, seed
        self.total, self.start, self.rank, self.world = total_steps, start_step, rank, world
        self.per_rank = global_batch // world
        self._perm: tuple[int, np.ndarray] | None = None

    def _permutation(self, epoch: int) -> np.ndarray:
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (epoch, np.random.default_rng([self.seed, epoch, 0xE70C]).permutation(self.n))
        return self._perm[1]

    def batch(self, step: int) -> list[tuple[int, int, int]]:
        out = []
        for slot in range(self.rank * self.per_rank, (self.rank + 1) * self.per_rank):
            pos = step * self.B + slot
            out.append((int(self._permutation(pos // self.n)[pos % self.n]), step, slot))
        return out

    def __iter__(self) -> Iterator[list]:
        for step in range(self.start, self.total):
            yield self.batch(step)

    def __len__(self) -> int:
        return max(self.total - self.start, 0)


# --------------------------------------------------------------------------------------------- images
class ImageSet:
    """Images and labels: in-memory arrays (sample set) or files of an ImageFolder directory."""

    def __init__(
        self,
        images: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        files: Sequence[str] | None = None,
        categories: Sequence[str] = (),
    ):
        self.images, self.files = images, files
        self.labels = np.asarray(labels, dtype=np.int64)
        self.categories = list(categories)

    def __len__(self) -> int:
        return len(self.labels)

    def image(self, i: int) -> np.ndarray:
        if self.images is not None:
            return self.images[i]
        return read_image(self.files[i])


def image_folder(
    root: str | os.PathLike, what: str, per_class: int = 0, categories: Sequence[str] | None = None
) -> ImageSet:
    """The images of an ImageFolder directory (``<root>/<class>/<image>``), sorted, at most ``per_class`` per
    class (0 = all); ``categories`` fixes the classes and their order (a val folder read with the classes of
    its train folder). ``what`` names the parameter in errors."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetLayoutError(
            f"{what} {root} does not exist; expected an ImageFolder directory "
            "(<root>/<class>/<image>.jpg, e.g. ImageNet's train folder)"
        )
    classes = list(categories) if categories is not None else sorted(p.name for p in root.iterdir() if p.is_dir())
    files, labels = [], []
    exts = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
    for c, name in enumerate(classes):
        found = [
            os.path.join(dirpath, f)
            for dirpath, _, names in sorted(os.walk(root / name))
            for f in sorted(names)
            if f.lower().endswith(exts)
        ]
        found = found[:per_class] if per_class else found
        files += found
        labels += [c] * len(found)
    if not files:
        raise DatasetLayoutError(f"{what} {root} holds no images in class folders; expected <root>/<class>/<image>.jpg")
    return ImageSet(files=files, labels=np.array(labels), categories=classes)


def load_image_set(cfg: Config) -> ImageSet:
    """``image_root`` as an ImageFolder directory, or the sample ``images.npz`` (train split)."""
    root = cfg.train.image_root
    if not root:
        path = require(artifact("samples", "images.npz", cache_dir=cfg.run.cache_dir), "samples")
        with np.load(path) as z:
            return ImageSet(z["train_images"], z["train_labels"], categories=[str(c) for c in z["categories"]])
    return image_folder(root, "image_root")


class ImageDataset(Dataset):
    """``images``: two MoCo v2 views of one image; ``supervised``: one crop + flip and the label."""

    def __init__(self, images: ImageSet, mode: str, image_size: int, seed: int):
        self.set, self.mode, self.size, self.seed = images, check_mode(mode), image_size, seed
        if mode not in ("images", "supervised"):
            raise ConfigError(f"ImageDataset serves 'images' and 'supervised', not {mode!r}")

    def __len__(self) -> int:
        return len(self.set)

    def __getitem__(self, spec: tuple[int, int, int]) -> dict[str, Any]:
        i, step, slot = spec
        rng = sample_rng(self.seed, step, slot)
        img = self.set.image(i)
        if self.mode == "supervised":
            crop, _ = geometric_augment(img, rng, self.size, SUPERVISED_SCALE)
            return {"image": crop, "label": torch.tensor(self.set.labels[i]), "index": torch.tensor(i)}
        view_q, _ = geometric_augment(img, rng, self.size, MOCO_SCALE)
        view_k, _ = geometric_augment(img, rng, self.size, MOCO_SCALE)
        return {
            "view_q": view_q,
            "view_k": view_k,
            "color_q": torch.from_numpy(sample_color_params(rng, self.size)),
            "color_k": torch.from_numpy(sample_color_params(rng, self.size)),
            "index": torch.tensor(i),
        }


# --------------------------------------------------------------------------------------------- videos
@dataclass(frozen=True)
class TrackedChunk:
    """A chunk with its tracks: for each frame pair that has tracks, the boxes of its tracks."""

    chunk: Any  # repro.data.Chunk
    pairs: np.ndarray  # Q x 2 absolute frame indices, pairs with >= 1 track
    boxes_i: tuple[np.ndarray, ...]  # per pair: T_q x 4 (x1, y1, x2, y2) in frame i
    boxes_j: tuple[np.ndarray, ...]  # per pair: T_q x 4 in frame j


def tracked_chunk(chunk, tracks: dict) -> TrackedChunk | None:
    """Group a chunk file's tracks by frame pair (``load_tracks`` format); None if it has no track."""
    pair_index = np.asarray(tracks["pair_index"], dtype=np.int64)
    if pair_index.size == 0:
        return None
    used = np.unique(pair_index)
    pairs = np.asarray(tracks["pairs"], dtype=np.int64)[used]
    bi = tuple(np.asarray(tracks["boxes_i"], np.float32)[pair_index == p] for p in used)
    bj = tuple(np.asarray(tracks["boxes_j"], np.float32)[pair_index == p] for p in used)
    return TrackedChunk(chunk, pairs, bi, bj)


def load_tracked_chunks(cfg: Config, chunks: list) -> list[TrackedChunk]:
    """The tracks of every chunk (``repro.tracks``), leaving out chunks with no track."""
    root = tracks_dir(cfg)
    if not root.is_dir():
        raise MissingArtifactError(
            f"no tracks for this configuration at {root}; they are made by notebook "
            "02_generating_tracks (or `repro tracks` with the same parameters)"
        )
    out, absent = [], []
    for c in chunks:
        path = chunk_file(root, c)
        if not path.is_file():
            absent.append(c.name)
            continue
        tc = tracked_chunk(c, load_tracks(path))
        if tc is not None:
            out.append(tc)
    if absent:
        if len(absent) == len(chunks):
            raise MissingArtifactError(
                f"{root} holds no track file for any of the {len(chunks)} chunks; run "
                "notebook 02_generating_tracks (or `repro tracks`) first"
            )
        log.warning(
            "%d of %d chunks have no track file in %s (first: %s); training uses the others",
            len(absent),
            len(chunks),
            root,
            absent[0],
        )
    if not out:
        raise MissingArtifactError(f"no chunk in {root} has a track above the threshold; nothing to train on")
    return out


class FramePairDataset(Dataset):
    """``frames`` / ``frames+tracks``: a frame pair (and a tracked region pair) of one chunk per item.

    Args:
        chunks: ``repro.data.Chunk`` list (``frames``) or ``TrackedChunk`` list (``frames+tracks``).
        k: minimum frame gap (``pair_gap``; paper: 40). pair_mode: "random" (>= k apart) or "grid" (V_pairs).
        min_visible: ``patch_min_visible`` of the box-aware augmentation (``"roi"``).
        patch_input: ``"roi"`` (frames with their boxes) or ``"crop"`` (the boxes' pixels); see the module
            docstring.
        cache_bytes: decoded frames kept in memory (``frame_cache_mb``; the same samples, read faster).
    """

    def __init__(
        self,
        chunks: list,
        image_size: int,
        seed: int,
        k: int,
        pair_mode: str = "random",
        min_visible: float = 0.5,
        pairs_per_chunk: int = 1,
        cache_bytes: int = 0,
        patch_input: str = "roi",
    ):
        if pairs_per_chunk < 1:
            raise ConfigError(f"pairs_per_chunk must be >= 1, got {pairs_per_chunk}")
        if patch_input not in PATCH_INPUTS:
            raise ConfigError(f"patch_input must be one of {', '.join(PATCH_INPUTS)}, got {patch_input!r}")
        self.patch_input = patch_input
        self.chunks, self.size, self.seed, self.k = chunks, image_size, seed, k
        self.pair_mode, self.min_visible, self.pairs_per_chunk = pair_mode, min_visible, pairs_per_chunk
        self.tracks = bool(chunks) and isinstance(chunks[0], TrackedChunk)
        self.cache = FrameCache(cache_bytes)  # decoded frames (each loader worker keeps its own)

    def __len__(self) -> int:
        """Items of an epoch: each chunk ``pairs_per_chunk`` times (each time a new random pair)."""
        return len(self.chunks) * self.pairs_per_chunk

    def _frame_pair(self, chunk, rng) -> tuple[int, int]:
        if self.pair_mode == "grid":
            grid = frame_pairs(chunk.length, self.k)
            if not grid:
                raise ConfigError(
                    f"V_pairs of a {chunk.length}-frame chunk with k={self.k} is empty; "
                    "lower pair_gap or use pair_mode='random'"
                )
            i, j = grid[int(rng.integers(len(grid)))]
        else:
            i, j = sample_frame_pair(chunk.length, self.k, rng)
        return chunk.start + i, chunk.start + j

    def _read(self, chunk, i: int) -> np.ndarray:
        return self.cache.read(chunk.frame_path(i))  # absolute frame i (not frame_paths: it builds every path)

    def __getitem__(self, spec: tuple[int, int, int]) -> dict[str, Any]:
        idx, step, slot = spec
        rng = sample_rng(self.seed, step, slot)
        item = self.chunks[idx % len(self.chunks)]
        chunk = item.chunk if self.tracks else item
        for attempt in range(FRAME_TRIES):
            if self.tracks:
                q = int(rng.integers(len(item.pairs)))  # a frame pair that has tracks
                i, j = (int(v) for v in item.pairs[q])
                track = int(rng.integers(len(item.boxes_i[q])))  # sample_track: one of its tracks
                box_i, box_j = item.boxes_i[q][track], item.boxes_j[q][track]
            else:
                i, j = self._frame_pair(chunk, rng)
            try:
                x1, x2 = self._read(chunk, i), self._read(chunk, j)
                break
            except FrameError as exc:
                log.warning("skipping frame pair (%d, %d) of %s: %s", i, j, chunk.name, exc)
        else:
            raise DatasetLayoutError(
                f"{FRAME_TRIES} frame pairs of chunk {chunk.name} could not be read; check its frames"
            )
        out = {}
        out["view_q"], _ = geometric_augment(x1, rng, self.size, MOCO_SCALE)  # x_q = aug(x1)
        out["view_k"], _ = geometric_augment(x2, rng, self.size, MOCO_SCALE)  # x_k = aug(x2)
        out["color_q"] = torch.from_numpy(sample_color_params(rng, self.size))
        out["color_k"] = torch.from_numpy(sample_color_params(rng, self.size))
        if self.tracks and self.patch_input == "crop":  # x1_patch, x2_patch: the tracked boxes, aug(x1_patch)
            out["patch_q"], _ = geometric_augment(cut_box(x1, box_i), rng, self.size, MOCO_SCALE)
            out["patch_k"], _ = geometric_augment(cut_box(x2, box_j), rng, self.size, MOCO_SCALE)
        elif self.tracks:  # x1_patch, x2_patch: the frames augmented again, each with its tracked box
            out["patch_q"], box_q = geometric_augment(x1, rng, self.size, MOCO_SCALE, box_i, self.min_visible)
            out["patch_k"], box_k = geometric_augment(x2, rng, self.size, MOCO_SCALE, box_j, self.min_visible)
            out["box_q"], out["box_k"] = torch.from_numpy(box_q), torch.from_numpy(box_k)
        if self.tracks:
            out["patch_color_q"] = torch.from_numpy(sample_color_params(rng, self.size))
            out["patch_color_k"] = torch.from_numpy(sample_color_params(rng, self.size))
        out["index"] = torch.tensor(idx % len(self.chunks))  # the chunk (the same video)
        out["frame_pair"] = torch.tensor([i, j])
        return out


# --------------------------------------------------------------------------------------------- entry
def build_dataset(cfg: Config, mode: str) -> Dataset:
    """The dataset of a training mode (see the module docstring)."""
    check_mode(mode)
    tc, seed = cfg.train, cfg.training_seed()
    if mode in ("images", "supervised"):
        return ImageDataset(load_image_set(cfg), mode, tc.image_size, seed)
    chunks = list_chunks(cfg)
    if not chunks:
        raise DatasetLayoutError(
            f"no video gives a chunk of chunk_len={cfg.video.chunk_len} frames; lower chunk_len or check the video root"
        )
    if mode == "frames+tracks":
        chunks = load_tracked_chunks(cfg, chunks)
    return FramePairDataset(
        chunks,
        tc.image_size,
        seed,
        cfg.video.pair_gap,
        cfg.video.pair_mode,
        tc.patch_min_visible,
        tc.pairs_per_chunk,
        cfg.run.frame_cache_mb << 20,
        tc.patch_input,
    )


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)  # workers decode and crop; the main process owns the cores for compute


def build_loader(dataset: Dataset, sampler: StepSampler, num_workers: int = 0, pin_memory: bool = False) -> DataLoader:
    """A DataLoader over ``sampler``'s batches (the sampler carries the data position)."""
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=num_workers,
        pin_memory=pin_memory,
        worker_init_fn=_worker_init if num_workers else None,
        generator=torch.Generator().manual_seed(0),  # leaves the global RNG untouched
        persistent_workers=False,
        prefetch_factor=4 if num_workers else None,
    )
