"""Region proposals: selective search [42] (Section B, "Generating Tracks").

"For each frame, we extract region proposals using the unsupervised method - selective search[42]. We
choose the top 300 region proposals for frames which produce more than 300 regions."

Implementation: OpenCV contrib's ``cv2.ximgproc.segmentation`` selective search, which returns boxes in
its own ranking order (hierarchy level times a random number, as in Uijlings et al.); "top N" is the
first N of that order after removing degenerate boxes.

Parameters (``TrackConfig``):
    proposal_mode: "fast" (default; ``switchToSelectiveSearchFast``) or "quality". The paper does not say.
    proposal_short_side: working resolution: the frame is resized so its shorter side has this many
        pixels (never enlarged; 0 = the frame as it is) and boxes are mapped back to frame pixels. The
        paper does not say; selective search time grows about linearly with the number of pixels.
    max_proposals: N of "the top 300 region proposals" (paper: 300).
    min_box_side: boxes narrower or lower than this (frame pixels) are degenerate and removed, as are
        exact duplicates after mapping back.

Determinism: OpenCV ranks proposals with the C library's ``rand()``, so the *order* (and hence the top N)
changes from call to call unless ``srand`` is seeded; ``selective_search`` seeds it with ``seed`` right
before each call, and ``cv2.setNumThreads(1)`` keeps the calls single-threaded (one process per core
is the parallelism, see ``repro.tracks.pipeline``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import lru_cache

import cv2
import numpy as np

from ..data.trackingnet import FrameError, read_image
from ..errors import ConfigError

PROPOSAL_MODES = ("fast", "quality")


@lru_cache(maxsize=1)
def _libc_srand():
    for name in (None, ctypes.util.find_library("c"), "msvcrt"):
        try:
            return ctypes.CDLL(name).srand
        except (OSError, AttributeError, TypeError):
            continue
    return None


def working_scale(height: int, width: int, short_side: int) -> float:
    """Factor that resizes an H x W frame to the working resolution (<= 1: frames are never enlarged)."""
    if short_side <= 0:
        return 1.0
    return min(1.0, short_side / min(height, width))


def selective_search(
    image: np.ndarray,
    mode: str = "fast",
    short_side: int = 0,
    max_proposals: int = 300,
    min_box_side: int = 1,
    seed: int = 0,
) -> np.ndarray:
    """Selective search boxes of one frame as R x 4 float32 (x1, y1, x2, y2) in frame pixels, R <= max_proposals.

    Args:
        image: H x W x 3 uint8 RGB frame.
        mode: "fast" or "quality".
        short_side: working resolution (shorter side in pixels; 0 = full resolution; never enlarged).
        max_proposals: keep the first (top-ranked) this many boxes (paper: 300).
        min_box_side: remove boxes with a side shorter than this (frame pixels).
        seed: seeds OpenCV's ranking so that the same frame always gives the same boxes.
    """
    if mode not in PROPOSAL_MODES:
        raise ConfigError(f"proposal_mode must be one of {', '.join(PROPOSAL_MODES)}, got {mode!r}")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"selective_search needs an H x W x 3 uint8 RGB image, got {image.shape} {image.dtype}")
    H, W = image.shape[:2]
    s = working_scale(H, W, short_side)
    bgr = np.ascontiguousarray(image[..., ::-1])
    if s < 1.0:
        bgr = cv2.resize(bgr, (max(1, round(W * s)), max(1, round(H * s))), interpolation=cv2.INTER_AREA)
    sx, sy = W / bgr.shape[1], H / bgr.shape[0]  # exact back-mapping factors
    ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    ss.setBaseImage(bgr)
    ss.switchToSelectiveSearchFast() if mode == "fast" else ss.switchToSelectiveSearchQuality()
    srand = _libc_srand()
    if srand is not None:
        srand(int(seed) % 2**32)
    rects = ss.process()  # R x 4 (x, y, w, h), ranked
    rects = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
    boxes = np.stack(
        [rects[:, 0] * sx, rects[:, 1] * sy, (rects[:, 0] + rects[:, 2]) * sx, (rects[:, 1] + rects[:, 3]) * sy], axis=1
    )
    boxes = np.clip(boxes, 0, [W, H, W, H])
    return filter_boxes(boxes, min_box_side, max_proposals)


def filter_boxes(boxes: np.ndarray, min_box_side: float, max_proposals: int) -> np.ndarray:
    """Removes degenerate boxes (a side < min_box_side, or not finite) and later duplicates, keeping the
    order, then keeps the first ``max_proposals``; float32 R x 4."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ok = np.isfinite(boxes).all(axis=1) & (w >= max(min_box_side, 1e-6)) & (h >= max(min_box_side, 1e-6))
    boxes = boxes[ok]
    _, first = np.unique(np.round(boxes, 3), axis=0, return_index=True)
    boxes = boxes[np.sort(first)]
    return boxes[:max_proposals].astype(np.float32)


def proposals_from_config(image: np.ndarray, tcfg, seed: int = 0) -> np.ndarray:
    """``selective_search`` with the parameters of a ``TrackConfig``."""
    return selective_search(
        image, tcfg.proposal_mode, tcfg.proposal_short_side, tcfg.max_proposals, tcfg.min_box_side, seed
    )


def proposal_job(job: tuple) -> tuple[np.ndarray | None, str]:
    """Process-pool task: (frame path, mode, short_side, max_proposals, min_box_side, seed) -> (boxes, "")
    or (None, reason) for a missing or corrupt frame."""
    path, mode, short_side, max_proposals, min_box_side, seed = job
    try:
        image = read_image(path)
    except FrameError as exc:
        return None, str(exc)
    return selective_search(image, mode, short_side, max_proposals, min_box_side, seed), ""


def init_worker() -> None:
    """Process-pool initializer: one OpenCV thread per worker process (the processes are the parallelism)."""
    cv2.setNumThreads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
