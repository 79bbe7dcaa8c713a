"""Section B data: TrackingNet videos, their temporal chunks and the frame pairs sampled in a chunk."""

from .chunks import (
    PAIR_MODES,
    Chunk,
    chunk_starts,
    frame_pairs,
    list_chunks,
    pairs_at_least,
    sample_frame_pair,
    sequence_chunks,
    track_pairs,
)
from .trackingnet import (
    LAYOUT,
    TRACKINGNET_SPLITS,
    FrameCache,
    FrameError,
    Sequence,
    SkipLog,
    TrackingNet,
    open_videos,
    read_image,
)

__all__ = [
    "Chunk",
    "FrameCache",
    "FrameError",
    "LAYOUT",
    "PAIR_MODES",
    "Sequence",
    "SkipLog",
    "TRACKINGNET_SPLITS",
    "TrackingNet",
    "chunk_starts",
    "frame_pairs",
    "list_chunks",
    "open_videos",
    "pairs_at_least",
    "read_image",
    "sample_frame_pair",
    "sequence_chunks",
    "track_pairs",
]
