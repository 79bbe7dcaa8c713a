"""The TrackingNet [41] reader (Section B, "Dataset Creation": "we use the TrackingNet dataset[41] that
consists of 30K video sequences").

Layout (the official download, also used by the sample clips and synthetic videos of ``repro.samples``)::

    <root>/TRAIN_0/frames/<seq>/0.jpg, 1.jpg, ...   frames, 0-based, not zero-padded
    <root>/TRAIN_0/anno/<seq>.txt                   one "x,y,w,h" line per frame (the tracked target)
    ...
    <root>/TRAIN_11/...
    <root>/TEST/frames/<seq>/..., TEST/anno/<seq>.txt  (TEST annotates only the first frame)

A sequence's length is one past its largest frame index, so a frame missing from the middle is a *missing
frame* (listed in ``Sequence.missing``), not a shorter video. Missing and corrupt frames never stop a long
run: readers that go over many frames take a ``SkipLog``, which counts every skipped frame, logs the
first few and gives a summary at the end.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from typing import Sequence as Seq

import cv2
import numpy as np

from ..errors import DatasetLayoutError, ReproError
from ..paths import artifact, require

log = logging.getLogger("repro.data")

TRACKINGNET_SPLITS = tuple(f"TRAIN_{i}" for i in range(12)) + ("TEST",)

LAYOUT = """expected layout (TrackingNet):
  <root>/TRAIN_0/frames/<seq>/0.jpg, 1.jpg, ...   (0-based, not zero-padded)
  <root>/TRAIN_0/anno/<seq>.txt                   (one x,y,w,h line per frame)
  ... TRAIN_1 .. TRAIN_11, TEST"""


class FrameError(ReproError):
    """A frame file is missing or cannot be decoded."""


@dataclass(frozen=True)
class Sequence:
    """One video: ``split``/``seq`` with ``num_frames`` frames (0 .. num_frames-1); ``missing`` lists
    the indices below ``num_frames`` that have no file."""

    split: str
    seq: str
    num_frames: int
    missing: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.split}/{self.seq}"


@dataclass
class SkipLog:
    """Counts skipped frames (missing or corrupt); warns for the first ``max_warnings``, then only counts.

    A long run passes one SkipLog to every reader and prints ``summary()`` at the end.
    """

    max_warnings: int = 10
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def record(self, path: str | os.PathLike, reason: str) -> None:
        self.skipped.append((str(path), reason))
        if len(self.skipped) <= self.max_warnings:
            log.warning("skipping frame %s: %s", path, reason)
        elif len(self.skipped) == self.max_warnings + 1:
            log.warning("further skipped frames are only counted (see the summary at the end)")

    def __len__(self) -> int:
        return len(self.skipped)

    def summary(self) -> str:
        if not self.skipped:
            return "no frame was skipped"
        reasons: dict[str, int] = {}
        for _, reason in self.skipped:
            key = reason.split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        parts = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
        return f"{len(self.skipped)} frame(s) skipped ({parts}); first: {self.skipped[0][0]}"


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as H x W x 3 uint8 RGB; a FrameError if it is missing or cannot be decoded."""
    path = Path(path)
    if not path.is_file():
        raise FrameError(f"missing: {path} does not exist")
    # imdecode on the bytes: cv2.imread would print to stderr and return None for a corrupt file
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise FrameError(f"corrupt: {path} cannot be decoded as an image")
    return np.ascontiguousarray(img[..., ::-1])


class FrameCache:
    """Decoded frames kept in memory, least recently used first out, at most ``max_bytes`` of them (0 = keep
    none). ``read`` returns exactly what ``read_image`` returns (a missing or corrupt file is a FrameError and
    is not kept), so a cache changes the speed of a reader, never its output. Callers must not modify the
    arrays it returns."""

    def __init__(self, max_bytes: int):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes, self.nbytes = int(max_bytes), 0
        self._frames: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def read(self, path: str | os.PathLike) -> np.ndarray:
        key = os.fspath(path)
        img = self._frames.get(key)
        if img is not None:
            self._frames.move_to_end(key)
            return img
        img = read_image(key)
        if img.nbytes <= self.max_bytes:
            self._frames[key] = img
            self.nbytes += img.nbytes
            while self.nbytes > self.max_bytes:
                self.nbytes -= self._frames.popitem(last=False)[1].nbytes
        return img


def _frame_indices(frame_dir: Path) -> list[int]:
    with os.scandir(frame_dir) as it:
        names = [e.name for e in it if e.name.endswith(".jpg")]
    return sorted(int(n[:-4]) for n in names if n[:-4].isdigit())


class TrackingNet:
    """Lists and reads TrackingNet sequences.

    Args:
        root: dataset root holding the split folders (see ``LAYOUT``).
        splits: which splits to use (paper: all of ``TRAIN_0`` .. ``TRAIN_11``, 30K videos).

    A missing root, an unknown split name or a split folder without ``frames/`` is a DatasetLayoutError
    that shows the expected layout.
    """

    def __init__(self, root: str | os.PathLike, splits: Iterable[str] = ("TRAIN_0",)):
        self.root = Path(root).expanduser()
        self.splits = tuple(splits)
        if not self.splits:
            raise DatasetLayoutError("no TrackingNet split was given; pass e.g. splits=('TRAIN_0',)")
        unknown = [s for s in self.splits if s not in TRACKINGNET_SPLITS]
        if unknown:
            raise DatasetLayoutError(f"unknown TrackingNet split(s) {unknown}; valid: {', '.join(TRACKINGNET_SPLITS)}")
        if not self.root.is_dir():
            raise DatasetLayoutError(
                f"TrackingNet root {self.root} does not exist. Set trackingnet_root "
                f"to the folder of the download (or '' for the sample clips).\n{LAYOUT}"
            )
        absent = [s for s in self.splits if not (self.root / s / "frames").is_dir()]
        if absent:
            present = sorted(p.name for p in self.root.iterdir() if p.is_dir())
            raise DatasetLayoutError(
                f"{self.root} has no frames folder for split(s) {absent} (found: "
                f"{present or 'nothing'}); download or extract them, or choose other "
                f"trackingnet_splits.\n{LAYOUT}"
            )
        self._sequences: list[Sequence] | None = None

    # ------------------------------------------------------------------ listing
    def sequences(self) -> list[Sequence]:
        """Every sequence of the chosen splits, sorted by (split, seq); empty frame folders are skipped
        with a warning."""
        if self._sequences is None:
            out = []
            for split in self.splits:
                frames = self.root / split / "frames"
                for seq in sorted(p.name for p in frames.iterdir() if p.is_dir()):
                    idx = _frame_indices(frames / seq)
                    if not idx:
                        log.warning("sequence %s/%s has no frame (*.jpg); skipped", split, seq)
                        continue
                    n = idx[-1] + 1
                    missing = tuple(sorted(set(range(n)) - set(idx))) if len(idx) < n else ()
                    out.append(Sequence(split, seq, n, missing))
            self._sequences = out
        return list(self._sequences)

    def __len__(self) -> int:
        return len(self.sequences())

    def sequence(self, split: str, seq: str) -> Sequence:
        for s in self.sequences():
            if s.split == split and s.seq == seq:
                return s
        raise DatasetLayoutError(f"no sequence {split}/{seq} under {self.root}")

    # ------------------------------------------------------------------ reading
    def frame_path(self, split: str, seq: str, i: int) -> Path:
        return self.root / split / "frames" / seq / f"{int(i)}.jpg"

    def read_frame(self, split: str, seq: str, i: int) -> np.ndarray:
        """Frame ``i`` as H x W x 3 uint8 RGB; FrameError if missing or corrupt."""
        return read_image(self.frame_path(split, seq, i))

    def read_frames(
        self, split: str, seq: str, indices: Seq[int], skips: SkipLog | None = None
    ) -> dict[int, np.ndarray]:
        """{i: frame} for the readable frames among ``indices``; the others are recorded in ``skips``
        (a fresh SkipLog if None) instead of raising."""
        skips = SkipLog() if skips is None else skips
        out = {}
        for i in indices:
            try:
                out[int(i)] = self.read_frame(split, seq, i)
            except FrameError as exc:
                skips.record(self.frame_path(split, seq, i), str(exc))
        return out

    def read_annotation(self, split: str, seq: str) -> np.ndarray:
        """The target box per frame as N x 4 float32 (x, y, w, h); TEST gives only the first row."""
        path = self.root / split / "anno" / f"{seq}.txt"
        if not path.is_file():
            raise DatasetLayoutError(f"annotation {path} does not exist.\n{LAYOUT}")
        rows = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                vals = [float(v) for v in line.replace(" ", "").split(",")]
            except ValueError:
                raise DatasetLayoutError(f"{path}:{n}: expected 'x,y,w,h', got {line!r}") from None
            if len(vals) != 4:
                raise DatasetLayoutError(f"{path}:{n}: expected 4 comma-separated numbers, got {line!r}")
            rows.append(vals)
        return np.asarray(rows, dtype=np.float32).reshape(-1, 4)

    def __repr__(self) -> str:
        return f"TrackingNet(root={str(self.root)!r}, splits={self.splits})"


SOURCES = ("trackingnet", "synthetic")


def open_videos(cfg, source: str = "trackingnet") -> TrackingNet:
    """The videos a config points at.

    ``source="trackingnet"``: ``cfg.video.trackingnet_root`` with ``trackingnet_splits``, or, when the root
    is "" (the smoke default), the real sample clips at ``<cache>/samples/trackingnet``.
    ``source="synthetic"``: the synthetic videos with known object boxes at
    ``<cache>/samples/synthetic_videos`` (same layout plus ``objects/<seq>.npz``), used to measure track
    quality. Sample data that is not built yet is a MissingArtifactError naming the command that builds it.
    """
    if source not in SOURCES:
        raise ReproError(f"unknown video source {source!r}; choose one of {', '.join(SOURCES)}")
    if source == "trackingnet" and cfg.video.trackingnet_root:
        return TrackingNet(cfg.video.trackingnet_root, cfg.video.trackingnet_splits)
    folder = "trackingnet" if source == "trackingnet" else "synthetic_videos"
    root = require(artifact("samples", folder, cache_dir=cfg.run.cache_dir), "samples")
    splits = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name in TRACKINGNET_SPLITS)
    return TrackingNet(root, splits or ("TRAIN_0",))
