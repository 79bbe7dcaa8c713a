"""Section B, "Generating Tracks": region tracks between the two frames of a pair.

``score``     Eq. 4-5: region_similarities, track_scores, log_track_scores (and the chain over many j)
``features``  f(z): ROI-align of proposal boxes on ResNet layer 3 (stride 16)
``extract``   tracks of a pair: scores above a threshold, best first, optional one-to-one matching
``proposals`` selective search region proposals of a frame
``store``     the on-disk tracks: one file per chunk (``load_tracks``), the index, the key of a config
``pipeline``  the resumable job: proposals -> features -> scores -> tracks per chunk, sharded, in processes
``cli``       ``repro tracks``
``quality``   precision/recall against synthetic ground truth, with a random-pairs baseline
"""

from .extract import extract_tracks
from .pipeline import run_tracks
from .score import log_track_score_chain, log_track_scores, region_similarities, track_scores
from .store import load_tracks, tracks_dir

__all__ = [
    "extract_tracks",
    "load_tracks",
    "log_track_score_chain",
    "log_track_scores",
    "region_similarities",
    "run_tracks",
    "track_scores",
    "tracks_dir",
]
