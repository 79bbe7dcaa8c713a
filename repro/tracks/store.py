"""The on-disk store of region tracks: where a config's tracks live, one file per chunk, the index.

Written by ``repro.tracks.pipeline`` (``repro tracks``); read by notebooks and by ``repro.train.data``
without importing the pipeline.

Output (``tracks_dir(cfg)`` = ``<cache>/tracks/<key>``; the key is a readable prefix plus a hash of every
parameter that changes tracks, so different settings never mix)::

    <cache>/tracks/<key>/index.json                      key, parameters, one entry per finished chunk
    <cache>/tracks/<key>/<split>/<seq>__c<chunk_index>.npz

Each chunk file (``load_tracks``) holds, with M tracks over P frame pairs:
    pairs        P x 2 int64    absolute frame indices (i, j) in the video, i < j
    pair_index   M int64        the pair of each track (index into ``pairs``), tracks of a pair best first
    regions_i    M int32        proposal index of the track's region in frame i (into that frame's proposals)
    regions_j    M int32        same for frame j
    boxes_i      M x 4 float32  x1, y1, x2, y2 in original frame pixels
    boxes_j      M x 4 float32
    log_scores   M float64      natural log of S(z_i^r, z_j^r') (Eq. 4)
    frames       F int64        the chunk's frames that were used (missing/corrupt frames are left out)
    proposals    N x 4 float32  every frame's proposals, concatenated in ``frames`` order
    proposal_offsets F+1 int64  frame n's proposals are proposals[offsets[n]:offsets[n+1]]
    meta         str            JSON: format, version, key, parameters, model, chunk, skipped frames

Size: a track takes 56 bytes. The smoke run keeps ~25 tracks per pair of 100-region frames (quantile 0.9,
one-to-one); at paper scale (300 regions, 210 pairs per chunk in "random" pair mode, 120K chunks) expect
~75 per pair, about 1 MB per chunk and ~100 GB in all (at most 3.5 MB per chunk: one-to-one keeps at most
300 per pair). ``max_tracks_per_pair`` caps it when disk is short (training samples one track per pair).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..data import Chunk
from ..errors import MissingArtifactError
from ..io import save_json, settings_digest
from ..paths import artifact
from ..samples import data_settings

FORMAT = "repro-tracks"
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------- naming
def track_params(cfg: Config, source: str = "trackingnet") -> dict:
    """Every parameter that changes the tracks (hashed into the key)."""
    v, t = cfg.video, cfg.tracks
    if source == "synthetic":
        data, samples = "samples/synthetic_videos", data_settings(cfg, "synthetic_videos")
    else:
        data = v.trackingnet_root or "samples/trackingnet"
        samples = {} if v.trackingnet_root else data_settings(cfg, "videos")  # the sample world they come from
    return dict(
        version=FORMAT_VERSION,
        data=data,
        samples=samples,
        num_chunks=v.num_chunks,
        chunk_len=v.chunk_len,
        pair_gap=v.pair_gap,
        pair_mode=v.pair_mode,
        proposal_mode=t.proposal_mode,
        proposal_short_side=t.proposal_short_side,
        max_proposals=t.max_proposals,
        min_box_side=t.min_box_side,
        track_checkpoint=t.track_checkpoint,
        track_arch=t.track_arch,
        feature_short_side=t.feature_short_side,
        center_features=t.center_features,
        track_quantile=t.track_quantile,
        one_to_one=t.one_to_one,
        max_tracks_per_pair=t.max_tracks_per_pair,
        seed=cfg.run.seed,
    )


def track_key(cfg: Config, source: str = "trackingnet") -> str:
    """``<data>-<arch>-L<chunk_len>k<pair_gap>-<hash>``, e.g. ``samples-resnet18-L24k8-3f9c0a1b2d``."""
    p = track_params(cfg, source)
    digest = settings_digest(p, 10, "sha1")
    data = (
        "synthetic"
        if source == "synthetic"
        else ("samples" if not cfg.video.trackingnet_root else Path(p["data"]).name or "data")
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in data)
    return f"{safe}-{p['track_arch']}-L{p['chunk_len']}k{p['pair_gap']}-{digest}"


def tracks_dir(cfg: Config, source: str = "trackingnet") -> Path:
    """``<cache>/tracks/<key>``: where ``run_tracks`` writes the tracks of this config."""
    return artifact("tracks", track_key(cfg, source), cache_dir=cfg.run.cache_dir)


def chunk_file(out_dir: Path, chunk: Chunk) -> Path:
    return Path(out_dir) / chunk.split / f"{chunk.seq}__c{chunk.chunk_index}.npz"


def load_tracks(path: str | os.PathLike) -> dict:
    """A chunk file as a dict of arrays (module docstring); ``meta`` is parsed from JSON into a dict."""
    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(
            f"track file {path} does not exist; it is made by notebook 02_generating_tracks (or `repro tracks`)"
        )
    with np.load(path, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    out["meta"] = json.loads(str(out["meta"]))
    return out


def frame_proposals(tracks: dict) -> list[np.ndarray]:
    """Each frame's proposals (``proposals`` split at ``proposal_offsets``), in ``frames`` order."""
    offsets = tracks["proposal_offsets"]
    return [tracks["proposals"][offsets[n] : offsets[n + 1]] for n in range(len(tracks["frames"]))]


def widest_pair(tracks: dict) -> tuple[int, int, np.ndarray]:
    """The pair of a chunk file whose frames are furthest apart (the first such): its frames (i, j) and a
    boolean mask of its tracks (best first, as stored)."""
    n = int(np.argmax(tracks["pairs"][:, 1] - tracks["pairs"][:, 0]))
    i, j = tracks["pairs"][n]
    return i, j, tracks["pair_index"] == n


# ---------------------------------------------------------------------------------------------- index
@dataclass(frozen=True)
class StoreIndex:
    """What ``index.json`` of a tracks folder lists: the key and one entry per finished chunk."""

    key: str
    chunks: list[dict]

    @property
    def num_tracks(self) -> int:
        return sum(e["num_tracks"] for e in self.chunks)

    @property
    def num_pairs(self) -> int:
        return sum(e["num_pairs"] for e in self.chunks)


def read_index(out_dir: str | os.PathLike) -> StoreIndex:
    """The index of the tracks in ``out_dir`` (``tracks_dir(cfg)``), as ``run_tracks`` last wrote it."""
    path = Path(out_dir) / "index.json"
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} does not exist; it is made by notebook 02_generating_tracks (or `repro tracks`)"
        )
    index = json.loads(path.read_text())
    return StoreIndex(key=index.get("key", Path(out_dir).name), chunks=list(index["chunks"]))


def write_index(out_dir: Path, params: dict | None = None) -> dict:
    """Rebuilds ``index.json`` from the chunk files present (atomic; safe to run at any time)."""
    out_dir = Path(out_dir)
    entries = []
    for path in sorted(out_dir.glob("*/*__c*.npz")):
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            n_pairs, n_tracks = len(z["pairs"]), len(z["log_scores"])
        params = params or meta.get("params")
        entries.append(
            dict(
                file=str(path.relative_to(out_dir)),
                split=meta["split"],
                seq=meta["seq"],
                chunk_index=meta["chunk_index"],
                start=meta["start"],
                length=meta["length"],
                num_pairs=n_pairs,
                num_tracks=n_tracks,
            )
        )
    index = dict(format=FORMAT, version=FORMAT_VERSION, key=out_dir.name, params=params, chunks=entries)
    if entries or out_dir.exists():
        save_json(index, out_dir / "index.json")
    return index


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "StoreIndex",
    "chunk_file",
    "frame_proposals",
    "load_tracks",
    "read_index",
    "track_key",
    "track_params",
    "tracks_dir",
    "widest_pair",
    "write_index",
]
