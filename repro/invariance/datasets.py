"""Trajectory datasets for Section A: samples grouped into local trajectories of one transformation, with
class labels. (Activations with known answers for the chapter's analytic cases: ``analytic``.)

Sources (each returns a ``TrajectoryDataset``):

* ``synthetic_trajectories``: the sample file ``<cache>/samples/trajectories.npz`` (viewpoint-like,
  illumination and occlusion trajectories of synthetic objects; ``repro.samples``).
* ``video_trajectories``: consecutive frames of videos in the TrackingNet layout (the sample clips) as
  temporal trajectories; each video is its own class (as the released code does for ALOI instances).
* ``aloi_trajectories``, ``got10k_trajectories``, ``pascal3d_trajectories``: readers for the datasets the
  paper measured on, in their real layouts, grouped the way the authors' released extraction scripts
  group them (``extract_features/{ALOI,GOT,pascal3d}`` of github.com/senthilps8/demystifyssl).

A dataset keeps images in memory (synthetic) or as file paths with optional crop boxes (real datasets);
``image(i)`` returns the RGB uint8 crop either way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from scipy.io import loadmat

from ..data.layouts import describe
from ..errors import DatasetLayoutError, MissingArtifactError
from ..paths import artifact, require

TRANSFORMATIONS = ("viewpoint", "illumination", "occlusion")


@dataclass(frozen=True)
class TrajectoryDataset:
    """N samples in local trajectories of one transformation.

    name:           short identifier, also part of the feature-cache key ("synthetic-viewpoint", ...)
    transformation: what varies along a trajectory
    trajectory_ids: N int64, the local trajectory T(x) of each sample
    labels:         N int64, index into ``categories`` (constant within a trajectory)
    categories:     class names
    images:         N x H x W x 3 uint8 RGB, or None when the samples are files
    paths:          N image files (when ``images`` is None)
    boxes:          N x 4 crop boxes (x, y, w, h) in pixels, or None for whole images
    """

    name: str
    transformation: str
    trajectory_ids: np.ndarray
    labels: np.ndarray
    categories: tuple[str, ...]
    images: np.ndarray | None = None
    paths: tuple[str, ...] | None = None
    boxes: np.ndarray | None = None
    info: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        n = len(self.trajectory_ids)
        sizes = {"labels": len(self.labels)}
        if self.images is not None:
            sizes["images"] = len(self.images)
        if self.paths is not None:
            sizes["paths"] = len(self.paths)
        if self.boxes is not None:
            sizes["boxes"] = len(self.boxes)
        if (self.images is None) == (self.paths is None):
            raise ValueError("a TrajectoryDataset holds either images or paths")
        bad = {k: v for k, v in sizes.items() if v != n}
        if bad:
            raise ValueError(f"{self.name}: {n} trajectory ids but {bad}")

    def __len__(self) -> int:
        return len(self.trajectory_ids)

    @property
    def num_trajectories(self) -> int:
        return len(np.unique(self.trajectory_ids))

    def image(self, i: int) -> np.ndarray:
        """Sample i as an RGB uint8 array, cropped to its box."""
        img = self.images[i] if self.images is not None else read_rgb(self.paths[i])
        if self.boxes is not None:
            img = crop(img, self.boxes[i])
        return img

    def fingerprint(self) -> str:
        """A content hash: the same samples, grouping and crops give the same key."""
        h = hashlib.sha1()
        for arr in (self.trajectory_ids, self.labels):
            h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
        h.update("\n".join(self.categories).encode())
        if self.images is not None:
            h.update(np.ascontiguousarray(self.images).tobytes())
        else:
            h.update("\n".join(self.paths).encode())
        if self.boxes is not None:
            h.update(np.ascontiguousarray(self.boxes, dtype=np.float64).tobytes())
        return h.hexdigest()


def read_rgb(path: str | Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise DatasetLayoutError(f"image {path} is missing or cannot be decoded; re-download or remove it")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def crop(img: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The (x, y, w, h) box of ``img``, clipped to the image; the whole image if the box is empty or NaN."""
    H, W = img.shape[:2]
    x, y, w, h = (float(v) for v in box)
    if not all(np.isfinite([x, y, w, h])):
        return img
    x0, y0 = int(np.clip(np.floor(x), 0, W - 1)), int(np.clip(np.floor(y), 0, H - 1))
    x1, y1 = int(np.clip(np.ceil(x + w), x0 + 1, W)), int(np.clip(np.ceil(y + h), y0 + 1, H))
    return img[y0:y1, x0:x1]


def _codes(values: Sequence) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels as indices into sorted category names."""
    cats, inverse = np.unique(np.asarray([str(v) for v in values]), return_inverse=True)
    return inverse.astype(np.int64), tuple(cats.tolist())


# --------------------------------------------------------------------------- sample data
def synthetic_trajectories(path: str | Path, transformation: str) -> TrajectoryDataset:
    """The trajectories of one transformation from ``<cache>/samples/trajectories.npz``
    (``images``, ``labels``, ``trajectory_ids``, ``transformations``, ``categories``)."""
    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(f"{path} does not exist; it is made by notebook 00_sample_data (or `repro samples`)")
    with np.load(path) as f:
        missing = {"images", "labels", "trajectory_ids", "transformations", "categories"} - set(f.files)
        if missing:
            raise DatasetLayoutError(f"{path} lacks {sorted(missing)}; rebuild it with `repro samples --force`")
        kinds = f["transformations"].astype(str)
        keep = kinds == transformation
        if not keep.any():
            raise ValueError(f"{path} holds no {transformation!r} trajectories; it holds {sorted(set(kinds.tolist()))}")
        return TrajectoryDataset(
            name=f"synthetic-{transformation}",
            transformation=transformation,
            trajectory_ids=f["trajectory_ids"][keep].astype(np.int64),
            labels=f["labels"][keep].astype(np.int64),
            categories=tuple(f["categories"].astype(str).tolist()),
            images=f["images"][keep],
        )


def synthetic_transformations(path: str | Path) -> tuple[str, ...]:
    """The transformations present in a trajectories file, in the order of ``TRANSFORMATIONS``."""
    with np.load(path) as f:
        present = set(f["transformations"].astype(str).tolist())
    return tuple(t for t in TRANSFORMATIONS if t in present) + tuple(sorted(present - set(TRANSFORMATIONS)))


VIDEO_LAYOUT = """expected layout (TrackingNet):
  <root>/<split>/frames/<seq>/0.jpg, 1.jpg, ...   (0-based, not zero-padded)
  <root>/<split>/anno/<seq>.txt                   (one x,y,w,h line per frame; optional)"""


def video_trajectories(
    root: str | Path, trajectory_len: int, split: str = "TRAIN_0", crop_to_box: bool = True
) -> TrajectoryDataset:
    """Temporal trajectories: consecutive, non-overlapping windows of ``trajectory_len`` frames of each
    video (a shorter last window is dropped), cropped to the annotated box when ``crop_to_box``; each
    video is one class (an instance, as the released code labels ALOI objects)."""
    if trajectory_len < 2:
        raise ValueError(f"trajectory_len must be at least 2, got {trajectory_len}")
    frames_root = Path(root) / split / "frames"
    seqs = sorted(p for p in frames_root.glob("*") if p.is_dir()) if frames_root.is_dir() else []
    if not seqs:
        raise DatasetLayoutError(f"no video under {frames_root}.\n{VIDEO_LAYOUT}")
    paths, boxes, traj, labels = [], [], [], []
    tid = 0
    for v, seq_dir in enumerate(seqs):
        index = sorted(int(p.stem) for p in seq_dir.glob("*.jpg") if p.stem.isdigit())
        anno = Path(root) / split / "anno" / f"{seq_dir.name}.txt"
        seq_boxes = _read_boxes(anno, len(index)) if crop_to_box and anno.is_file() else None
        for w in range(len(index) // trajectory_len):
            for i in index[w * trajectory_len : (w + 1) * trajectory_len]:
                paths.append(str(seq_dir / f"{i}.jpg"))
                boxes.append(seq_boxes[i] if seq_boxes is not None and i < len(seq_boxes) else [np.nan] * 4)
                traj.append(tid)
                labels.append(v)
            tid += 1
    if tid < 2:
        raise DatasetLayoutError(
            f"{frames_root}: fewer than two windows of {trajectory_len} frames; use shorter trajectories or more videos"
        )
    return TrajectoryDataset(
        name=f"video-{Path(root).name}-{split}",
        transformation="temporal",
        trajectory_ids=np.array(traj),
        labels=np.array(labels),
        categories=tuple(p.name for p in seqs),
        paths=tuple(paths),
        boxes=np.array(boxes, dtype=np.float64),
    )


def _read_boxes(path: Path, n: int) -> np.ndarray:
    rows = [line.replace("\t", ",").split(",") for line in path.read_text().splitlines() if line.strip()]
    try:
        return np.array([[float(v) for v in r[:4]] for r in rows], dtype=np.float64).reshape(-1, 4)
    except ValueError:
        raise DatasetLayoutError(f"{path}: expected one 'x,y,w,h' line per frame") from None


# --------------------------------------------------------------------------- ALOI
ALOI = {
    # transformation: (tar folder suffix, folder name of the released README, file pattern)
    "viewpoint": ("view", "ALOI_viewpoint", re.compile(r"^(\d+)_r(\d+)\.png$")),
    "illumination_color": ("col", "ALOI_illumcolor", re.compile(r"^(\d+)_i(\d+)\.png$")),
    "illumination_direction": ("ill", "ALOI_illumdir", re.compile(r"^(\d+)_l(\d)c(\d)\.png$")),
}
# resolutions as the tars name them: aloi_red2_view.tar unpacks to png2/, aloi_red4_view.tar to png4/,
# aloi_view.tar to png/; half resolution first (the released configs resize to 128 x 128 anyway)
ALOI_RESOLUTIONS = (("aloi_red2_", "png2"), ("aloi_red4_", "png4"), ("aloi_", "png"))


def aloi_folders(root: Path, transformation: str) -> list[Path]:
    """Where ``aloi_trajectories`` looks, in order: per resolution <root>/<tar>/<png*>, <root>/<tar> and
    <root>/<png*>; then the README's <root>/ALOI_<...>; then <root> itself."""
    kind, released, _ = ALOI[transformation]
    out = []
    for prefix, png in ALOI_RESOLUTIONS:
        out += [root / f"{prefix}{kind}" / png, root / f"{prefix}{kind}", root / png]
    return out + [root / released, root]


def aloi_trajectories(root: str | Path, transformation: str, max_objects: int | None = None) -> TrajectoryDataset:
    """ALOI [Geusebroek et al. 2005]: one trajectory per object holding all its images of one
    transformation; each object is its own class ("'classes': allinstances" in the released
    extract_generic_ALOI_features.py). Transformations: viewpoint, illumination_color,
    illumination_direction."""
    if transformation not in ALOI:
        raise ValueError(f"unknown ALOI transformation {transformation!r}; choose one of {', '.join(ALOI)}")
    pattern = ALOI[transformation][2]
    root = Path(root)
    folder = next((c for c in aloi_folders(root, transformation) if _aloi_objects(c, pattern)), None)
    if folder is None:
        raise DatasetLayoutError(f"no ALOI {transformation} images under {root}.\n{describe('aloi_root')}")
    objects = _aloi_objects(folder, pattern)[:max_objects]
    paths, traj = [], []
    for o, (obj, files) in enumerate(objects):
        paths += [str(f) for f in files]
        traj += [o] * len(files)
    labels, cats = _codes([objects[t][0] for t in traj])
    return TrajectoryDataset(
        name=f"aloi-{transformation}",
        transformation=transformation,
        trajectory_ids=np.array(traj, dtype=np.int64),
        labels=labels,
        categories=cats,
        paths=tuple(paths),
    )


def _aloi_objects(folder: Path, pattern: re.Pattern) -> list[tuple[str, list[Path]]]:
    if not folder.is_dir():
        return []
    out = []
    for d in sorted((p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)):
        hits = [
            (tuple(int(g) for g in m.groups()[1:]), f)
            for f in d.iterdir()
            if (m := pattern.match(f.name)) and m.group(1) == d.name
        ]
        if hits:
            out.append((d.name, [f for _, f in sorted(hits)]))
    return out


# --------------------------------------------------------------------------- GOT-10k
GOT10K_LAYOUT = """expected layout (GOT-10k train split):
  <root>/train/list.txt                          (optional: the video names, one per line)
  <root>/train/GOT-10k_Train_000001/00000001.jpg, 00000002.jpg, ...   (1-based, 8 digits)
                                    groundtruth.txt   (x,y,w,h per frame)
                                    cover.label       (visible-ratio level 0..8 per frame)
                                    absence.label, cut_by_image.label
                                    meta_info.ini     ("object_class: <class>")
(<root> may also be the train folder itself)"""


def got10k_trajectories(
    root: str | Path, min_cover_range: int = 4, seed: int = 1992, max_videos: int | None = None
) -> TrajectoryDataset:
    """GOT-10k [Huang et al. 2019] occlusion trajectories as the released extract_GOT10k_features.py makes
    them: a video whose occlusion levels (``cover.label``) span less than ``min_cover_range`` is skipped
    ("uniq_covers.max() - uniq_covers.min() < 4"); otherwise one random frame per distinct level (legacy
    NumPy RandomState seeded with 1992, as the script seeds np.random), cropped to its ground-truth box,
    forms the trajectory; the class is ``object_class`` of ``meta_info.ini``."""
    root = Path(root)
    train = root / "train" if (root / "train").is_dir() else root
    listed = train / "list.txt"
    if listed.is_file():
        videos = [train / v.strip() for v in listed.read_text().splitlines() if v.strip()]
    else:
        videos = sorted(p for p in train.glob("GOT-10k_Train_*") if p.is_dir())
    if not videos:
        raise DatasetLayoutError(f"no GOT-10k video under {train}.\n{GOT10K_LAYOUT}")
    if max_videos and len(videos) > max_videos:
        videos = videos[:: len(videos) // max_videos]  # as the released script thins
    rng = np.random.RandomState(seed)
    paths, boxes, traj, classes, covers = [], [], [], [], []
    kept = 0
    for vid in videos:
        needed = [vid / n for n in ("meta_info.ini", "groundtruth.txt", "cover.label")]
        if not all(p.is_file() for p in needed):
            raise DatasetLayoutError(f"{vid} lacks {[p.name for p in needed if not p.is_file()]}.\n{GOT10K_LAYOUT}")
        object_class = _got_class(vid / "meta_info.ini")
        gt = _read_boxes(vid / "groundtruth.txt", 0)
        cover = np.array([int(v) for v in (vid / "cover.label").read_text().split()], dtype=np.int64)
        if len(cover) != len(gt):
            raise DatasetLayoutError(f"{vid}: {len(cover)} cover labels for {len(gt)} boxes")
        levels = np.unique(cover)
        if levels.max() - levels.min() < min_cover_range:
            continue
        for c in levels:
            i = int(rng.choice(np.where(cover == c)[0]))
            paths.append(str(vid / f"{i + 1:08d}.jpg"))
            boxes.append(gt[i])
            traj.append(kept)
            classes.append(object_class)
            covers.append(int(c))
        kept += 1
    if kept < 2:
        raise DatasetLayoutError(
            f"only {kept} GOT-10k videos under {train} span {min_cover_range} or more "
            "occlusion levels; at least two trajectories are needed"
        )
    labels, cats = _codes(classes)
    return TrajectoryDataset(
        name="got10k-occlusion",
        transformation="occlusion",
        trajectory_ids=np.array(traj, dtype=np.int64),
        labels=labels,
        categories=cats,
        paths=tuple(paths),
        boxes=np.array(boxes, dtype=np.float64),
        info={"cover": np.array(covers)},
    )


def _got_class(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.strip().startswith("object_class"):
            return line.split(":", 1)[1].strip().replace(" ", "_")
    raise DatasetLayoutError(f"{path} has no 'object_class: ...' line.\n{GOT10K_LAYOUT}")


# --------------------------------------------------------------------------- PASCAL3D+
PASCAL3D_LAYOUT = """expected layout (PASCAL3D+_release1.1):
  <root>/Annotations/<class>_imagenet/<name>.mat   (MATLAB struct `record`: filename, objects(i).class,
  <root>/Annotations/<class>_pascal/<name>.mat      objects(i).bbox = [x1 y1 x2 y2], objects(i).viewpoint
                                                    with azimuth_coarse / elevation_coarse in degrees)
  <root>/Images/<class>_imagenet/<name>.JPEG
  <root>/Images/<class>_pascal/<name>.jpg"""

PASCAL3D_KINDS = ("instance", "viewpoint+instance")


def _pascal3d_grouping(kind: str, labels: np.ndarray, num_classes: int, az_bin: np.ndarray, el_bin: np.ndarray):
    """Trajectory id of every object (``pascal3d_trajectories``): per (class, azimuth bin, elevation bin) for
    ``"instance"``; per class, the k-th object of every azimuth bin for ``"viewpoint+instance"``."""
    if kind == "instance":
        keys = np.stack([labels, az_bin, el_bin], 1)
        return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)
    traj = np.zeros(len(labels), dtype=np.int64)
    offset = 0
    for c in range(num_classes):
        members = np.where(labels == c)[0]
        rank = np.zeros(len(members), dtype=np.int64)
        for b in np.unique(az_bin[members]):
            in_bin = az_bin[members] == b
            rank[in_bin] = np.arange(in_bin.sum())  # k-th object of its bin
        traj[members] = offset + rank
        offset += int(rank.max()) + 1
    return traj


def pascal3d_trajectories(
    root: str | Path,
    kind: str = "instance",
    subsets: Sequence[str] = ("imagenet", "pascal"),
    classes: Sequence[str] | None = None,
) -> TrajectoryDataset:
    """PASCAL3D+ [Xiang et al. 2014] trajectories as the released extract_pascal3d_features.py groups them,
    with azimuth bins (azimuth mod 180) // 30 and elevation bins (elevation mod 90) // 30:

    * ``"instance"`` (viewpoint constant, instance changes; the script's
      ``pascal3dimnet_viewpointconstant_instance``): all objects of a class in one (azimuth, elevation)
      bin form a trajectory;
    * ``"viewpoint+instance"`` (``pascal3dimnet_viewpointchange``): within a class, the k-th object of each
      azimuth bin forms trajectory k (one object per azimuth bin, all different instances).

    Every object of the folder's class that has a viewpoint is a sample, cropped to its box (the script
    takes object 0 of each ImageNet image and the objects listed in its own ``Image_sets/<cls>_pascal.txt``,
    which the release does not include). Azimuth and elevation are the coarse annotations when present.
    """
    if kind not in PASCAL3D_KINDS:
        raise ValueError(f"unknown PASCAL3D+ trajectory kind {kind!r}; choose one of {PASCAL3D_KINDS}")
    root = Path(root)
    ann_root = root / "Annotations"
    folders = (
        sorted(p for p in ann_root.glob("*_*") if p.is_dir() and p.name.rsplit("_", 1)[1] in subsets)
        if ann_root.is_dir()
        else []
    )
    if classes is not None:
        folders = [f for f in folders if f.name.rsplit("_", 1)[0] in classes]
    if not folders:
        raise DatasetLayoutError(
            f"no annotation folders for subsets {tuple(subsets)} under {ann_root}.\n{PASCAL3D_LAYOUT}"
        )
    samples = []  # (class, path, box, az, el)
    for folder in folders:
        cls, subset = folder.name.rsplit("_", 1)
        for mat in sorted(folder.glob("*.mat")):
            samples += _pascal3d_objects(mat, cls, root / "Images" / folder.name)
    if not samples:
        raise DatasetLayoutError(f"no object with a viewpoint under {ann_root}.\n{PASCAL3D_LAYOUT}")
    labels, cats = _codes([s[0] for s in samples])
    az_bin = np.array([int((s[3] % 180) // 30) for s in samples])
    el_bin = np.array([int((s[4] % 90) // 30) for s in samples])
    traj = _pascal3d_grouping(kind, labels, len(cats), az_bin, el_bin)
    return TrajectoryDataset(
        name=f"pascal3d-{kind.replace('+', '-')}",
        transformation=kind,
        trajectory_ids=traj.astype(np.int64),
        labels=labels,
        categories=cats,
        paths=tuple(s[1] for s in samples),
        boxes=np.array([s[2] for s in samples]),
        info={"azimuth": np.array([s[3] for s in samples]), "elevation": np.array([s[4] for s in samples])},
    )


def _pascal3d_objects(mat: Path, cls: str, image_dir: Path) -> list[tuple]:
    try:
        record = loadmat(str(mat), squeeze_me=True, struct_as_record=False)["record"]
    except Exception as exc:
        raise DatasetLayoutError(
            f"{mat} is not a PASCAL3D+ annotation ({type(exc).__name__}: {exc}).\n{PASCAL3D_LAYOUT}"
        ) from None
    filename = getattr(record, "filename", None) or f"{mat.stem}.JPEG"
    out = []
    for obj in np.atleast_1d(getattr(record, "objects", [])):
        vp = getattr(obj, "viewpoint", None)
        if getattr(obj, "class", None) != cls or vp is None or isinstance(vp, np.ndarray):
            continue  # another class, or no viewpoint
        az = getattr(vp, "azimuth_coarse", getattr(vp, "azimuth", None))
        el = getattr(vp, "elevation_coarse", getattr(vp, "elevation", None))
        if az is None or el is None or np.size(az) != 1 or np.size(el) != 1:
            continue
        x1, y1, x2, y2 = (float(v) for v in np.ravel(obj.bbox)[:4])
        out.append((cls, str(image_dir / filename), [x1, y1, x2 - x1, y2 - y1], float(az), float(el)))
    return out


def measurement_datasets(cfg) -> dict[str, TrajectoryDataset]:
    """The trajectory datasets a run measures on. At paper scale (dataset roots set in the config) the
    paper's: ALOI viewpoint / illumination colour / illumination direction, GOT-10k occlusion,
    PASCAL3D+ instance and viewpoint+instance; each root that is empty is left out. When every root is
    empty, the synthetic trajectories of the sample data, one dataset per transformation."""
    inv = cfg.invariance
    out: dict[str, TrajectoryDataset] = {}
    if inv.aloi_root:
        for t in ALOI:
            out[f"ALOI {t.replace('_', ' ')}"] = aloi_trajectories(inv.aloi_root, t)
    if inv.got10k_root:
        out["GOT-10k occlusion"] = got10k_trajectories(inv.got10k_root)
    if inv.pascal3d_root:
        for kind in PASCAL3D_KINDS:
            out[f"PASCAL3D+ {kind}"] = pascal3d_trajectories(inv.pascal3d_root, kind)
    if out:
        return out
    path = require(artifact("samples", "trajectories.npz", cache_dir=cfg.run.cache_dir), "samples")
    return {t: synthetic_trajectories(path, t) for t in synthetic_transformations(path)}
