"""Temporal chunks of a video and the frame pairs sampled inside a chunk (Section B).

"Dataset Creation ... from each video we extract 4 temporal chunks of 60 consecutive frames such that the
chunks are maximally spaced apart in time. Each chunk is considered a separate video for all training
purposes."

"Sampling Frames: Training the Frame Temporal Invariance model requires sampling pairs of frames that are
temporally separated V_pairs = {(z_i, z_{i+k}) | z in V, i in N(z), i mod k = 0}. We sample frames that
are at least k = 40 frames apart."

Frame indices are 0-based throughout (TrackingNet's file names are 0-based). With 1-based indices V_pairs
would be empty for 60-frame chunks and k = 40 (i = 40 is the only multiple of k and 80 > 60), so the
0-based reading is the one under which the definition is usable: it gives the single pair (0, 40).

The two sentences of "Sampling Frames" describe two different sets, so both are here:
  * ``frame_pairs`` — V_pairs exactly: {(i, i+k) : i mod k = 0, i+k < chunk_len}  (``pair_mode="grid"``);
  * ``pairs_at_least`` / ``sample_frame_pair`` — every (i, j) with j - i >= k, sampled uniformly
    (``pair_mode="random"``, the smoke and paper default because it is what "We sample frames that are at
    least k = 40 frames apart" says and it gives training many more distinct pairs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .trackingnet import Sequence, TrackingNet, open_videos

log = logging.getLogger("repro.data")

PAIR_MODES = ("random", "grid")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def chunk_starts(num_frames: int, num_chunks: int = 4, chunk_len: int = 60) -> list[int]:
    """Start frames of the ``num_chunks`` maximally spaced chunks of ``chunk_len`` consecutive frames.

        start_c = round(c * (num_frames - chunk_len) / (num_chunks - 1)),   c = 0 .. num_chunks-1

    so the first chunk starts at frame 0, the last ends at the last frame, and the gaps between chunks
    differ by at most one frame. ``round`` is round-half-up in exact integer arithmetic (Python's
    ``round`` rounds halves to even, which would make the spacing depend on parity).

    Edge cases:
      * ``num_frames < chunk_len``: no chunk fits; returns ``[]`` (``list_chunks`` reports such videos).
      * ``chunk_len <= num_frames < num_chunks * chunk_len``: the chunks overlap (for ``num_frames ==
        chunk_len`` all of them are the whole video). They are kept, as the text asks for 4 chunks per
        video, so every video contributes the same number of chunks to training.
      * ``num_chunks == 1``: the formula is 0/0; the single chunk starts at frame 0 (its c = 0 value).

    Paper values: num_chunks = 4, chunk_len = 60 ("4 temporal chunks of 60 consecutive frames").
    """
    num_frames = _check_int("num_frames", num_frames, 0)
    num_chunks = _check_int("num_chunks", num_chunks, 1)
    chunk_len = _check_int("chunk_len", chunk_len, 1)
    if num_frames < chunk_len:
        return []
    if num_chunks == 1:
        return [0]
    span, d = num_frames - chunk_len, num_chunks - 1
    return [(2 * c * span + d) // (2 * d) for c in range(num_chunks)]


def frame_pairs(chunk_len: int = 60, k: int = 40) -> list[tuple[int, int]]:
    """V_pairs of one chunk: {(i, i + k) : 0 <= i, i mod k = 0, i + k < chunk_len}, 0-based within the chunk.

    For the paper's chunk_len = 60, k = 40 this is [(0, 40)].
    """
    chunk_len = _check_int("chunk_len", chunk_len, 1)
    k = _check_int("k", k, 1)
    return [(i, i + k) for i in range(0, chunk_len, k) if i + k < chunk_len]


def pairs_at_least(chunk_len: int = 60, k: int = 40) -> list[tuple[int, int]]:
    """Every ordered pair (i, j), 0 <= i < j < chunk_len, with j - i >= k: the support of
    ``sample_frame_pair``; (chunk_len - k)(chunk_len - k + 1)/2 pairs (210 for 60 and 40)."""
    chunk_len = _check_int("chunk_len", chunk_len, 1)
    k = _check_int("k", k, 1)
    return [(i, j) for i in range(chunk_len) for j in range(i + k, chunk_len)]


def sample_frame_pair(
    chunk_len: int = 60, k: int = 40, rng: np.random.Generator | int | None = None
) -> tuple[int, int]:
    """One pair (i, j) drawn uniformly from ``pairs_at_least(chunk_len, k)`` ("We sample frames that are at
    least k = 40 frames apart"); i < j. ``rng`` is a numpy Generator or a seed."""
    chunk_len = _check_int("chunk_len", chunk_len, 1)
    k = _check_int("k", k, 1)
    if k > chunk_len - 1:
        raise ConfigError(
            f"no two frames of a {chunk_len}-frame chunk are k={k} apart; choose "
            f"pair_gap <= chunk_len - 1 = {chunk_len - 1}"
        )
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = chunk_len - k  # number of admissible i; start i admits n - i partners
    idx = int(rng.integers(n * (n + 1) // 2))
    # pairs are laid out by i: the block of i has n - i entries
    i = 0
    while idx >= n - i:
        idx -= n - i
        i += 1
    return i, i + k + idx


def track_pairs(chunk_len: int, k: int, mode: str) -> list[tuple[int, int]]:
    """The pairs a chunk needs tracks for: V_pairs (``"grid"``) or every pair >= k apart (``"random"``)."""
    if mode not in PAIR_MODES:
        raise ConfigError(f"pair_mode must be one of {', '.join(PAIR_MODES)}, got {mode!r}")
    return frame_pairs(chunk_len, k) if mode == "grid" else pairs_at_least(chunk_len, k)


@dataclass(frozen=True)
class Chunk:
    """``length`` consecutive frames ``start .. start+length-1`` of video ``split/seq`` (absolute, 0-based
    frame indices); ``chunk_index`` is c of ``chunk_starts``. ``missing`` are the chunk's frames with no
    file (readers skip them). Frame paths are computed from ``frame_dir`` on demand, so the 120K chunks of
    TrackingNet stay small in memory."""

    split: str
    seq: str
    chunk_index: int
    start: int
    length: int
    frame_dir: Path  # <root>/<split>/frames/<seq>
    num_frames: int  # of the whole video
    missing: tuple[int, ...] = ()

    @property
    def frames(self) -> range:
        return range(self.start, self.start + self.length)

    def frame_path(self, i: int) -> Path:
        """Path of absolute frame ``i``."""
        return self.frame_dir / f"{int(i)}.jpg"

    @property
    def frame_paths(self) -> tuple[Path, ...]:
        """Paths of the chunk's frames, in order (``frame_paths[i - start]`` is frame i)."""
        return tuple(self.frame_path(i) for i in self.frames)

    @property
    def name(self) -> str:
        return f"{self.split}/{self.seq}__c{self.chunk_index}"

    def pairs(self, k: int, mode: str = "random") -> list[tuple[int, int]]:
        """``track_pairs`` of this chunk as absolute frame indices."""
        return [(self.start + i, self.start + j) for i, j in track_pairs(self.length, k, mode)]


def sequence_chunks(dataset: TrackingNet, sequence: Sequence, num_chunks: int, chunk_len: int) -> list[Chunk]:
    out = []
    frame_dir = dataset.frame_path(sequence.split, sequence.seq, 0).parent
    for c, s in enumerate(chunk_starts(sequence.num_frames, num_chunks, chunk_len)):
        missing = tuple(i for i in sequence.missing if s <= i < s + chunk_len)
        out.append(Chunk(sequence.split, sequence.seq, c, s, chunk_len, frame_dir, sequence.num_frames, missing))
    return out


def list_chunks(cfg, dataset: TrackingNet | None = None, source: str = "trackingnet") -> list[Chunk]:
    """Every chunk of every video of the config's dataset (``open_videos(cfg, source)`` unless given),
    in (split, seq, chunk_index) order; videos shorter than ``chunk_len`` give none and are reported."""
    v = cfg.video
    dataset = open_videos(cfg, source) if dataset is None else dataset
    chunks, short = [], []
    for s in dataset.sequences():
        cs = sequence_chunks(dataset, s, v.num_chunks, v.chunk_len)
        chunks.extend(cs)
        if not cs:
            short.append(s)
    if short:
        names = ", ".join(f"{s.name} ({s.num_frames})" for s in short[:5])
        log.warning(
            "%d video(s) shorter than chunk_len=%d frames give no chunk: %s%s",
            len(short),
            v.chunk_len,
            names,
            " ..." if len(short) > 5 else "",
        )
    return chunks
