"""Synthetic sample data with known ground truth, deterministic by seed (numpy + OpenCV, one core).

The supplement's experiments use TrackingNet (Section B), ALOI / GOT-10k / PASCAL3D+ trajectories
(Section A) and Pascal-Parts (Section C). The ``smoke`` preset replaces them with four small generated
sets whose true answers are known by construction:

  (a) ``synthetic_video``              textured objects moving, scaling, turning and occluding each other
                                       (fixed depth order) over a slowly panning textured background;
                                       per-frame boxes of every object and visibility flags (stand-in for
                                       TrackingNet videos) -> ``SyntheticVideo``;
  (b) ``category_images``              one shape family per category (``SYNTHETIC_CATEGORIES``) with random
                                       pose, scale, position, colour, texture and background (supervised /
                                       image MoCo) -> ``CategoryImages``;
  (c) ``part_objects``                 composite objects with named parts and a part-id mask
                                       (``PART_CATEGORIES``; stand-in for Pascal-Parts) -> ``PartObjects``;
  (d) ``transformation_trajectories``  one object instance of a (b) category under a smooth "viewpoint",
                                       "illumination" or "occlusion" transformation (stand-in for the ALOI /
                                       GOT-10k / PASCAL3D+ trajectories of the invariance measure, Eq. 3)
                                       -> a dict of arrays.

How objects are drawn. Every shape is a list of polygons in *local* coordinates (inside
[-EXTENT, EXTENT]^2; a hole is a polygon filled with 0). A pose is an affine map local -> pixels
(centre, scale in pixels per local unit, in-plane angle, anisotropic squash, mirror). The ground-truth
mask is the polygon rasterised with ``cv2.fillPoly`` at the pose (sub-pixel vertices, no anti-aliasing),
and the pixels of that mask - and only those - take the object's texture, which is a sprite in local
coordinates warped with the same pose. So an object keeps its appearance while it moves, and masks,
boxes and images agree exactly.

Each generator returns its images together with their full ground truth, including what only the tests
use (masks, backgrounds); ``repro.samples.build_samples`` stores the parts the chapters read. Everything
draws from one ``np.random.default_rng(seed)``: the same arguments give bitwise identical arrays on one
machine (numpy's transcendental functions may differ in the last bit across CPUs, so compare rounded
statistics across machines).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import ConfigError
from . import textures as tx

EXTENT = 1.25  # every shape lies inside [-EXTENT, EXTENT]^2 in local coordinates
_SHIFT = 4  # fillPoly's fixed-point bits: vertices at 1/16 pixel
VISIBLE_MIN_FRACTION = 0.1  # (a) an object is "visible" when >= 10% of its full area shows in the frame
MIN_SIZE = 32  # smallest image / frame side the generators accept
TRANSFORMATIONS = ("viewpoint", "illumination", "occlusion")

Ops = list  # [(points K x 2 float64 in local coordinates, fill value 1 or 0 for a hole), ...]


# ----------------------------------------------------------------------------- geometry
def _ellipse(cx, cy, ax, ay, n=48, t0=0.0, t1=2 * np.pi):
    t = np.linspace(t0, t1, n, endpoint=(t1 - t0) < 2 * np.pi - 1e-9)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], 1)


def _rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def _regular(n, r, rot):
    t = rot + 2 * np.pi * np.arange(n) / n
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _star(n, r_out, r_in):
    t = -np.pi / 2 + np.pi * np.arange(2 * n) / n
    r = np.where(np.arange(2 * n) % 2 == 0, r_out, r_in)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _poly(*pts):
    return np.array(pts, np.float64)


def _heart():
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([x / 15.0, (y - 1.5) / 15.0], 1)


# (b)/(d) categories: one shape family each (y points down, as in images). The first six are the most
# distinct at 64 px, so ``num_categories=6`` (the smoke default) uses them.
SHAPES: dict[str, Ops] = {
    "disk": [(_ellipse(0, 0, 1.0, 1.0), 1)],
    "square": [(_rect(-0.85, -0.85, 0.85, 0.85), 1)],
    "triangle": [(_regular(3, 1.2, -np.pi / 2) + [0, 0.15], 1)],
    "star": [(_star(5, 1.2, 0.5), 1)],
    "cross": [
        (
            _poly(
                [-0.3, -1.05],
                [0.3, -1.05],
                [0.3, -0.3],
                [1.05, -0.3],
                [1.05, 0.3],
                [0.3, 0.3],
                [0.3, 1.05],
                [-0.3, 1.05],
                [-0.3, 0.3],
                [-1.05, 0.3],
                [-1.05, -0.3],
                [-0.3, -0.3],
            ),
            1,
        )
    ],
    "ring": [(_ellipse(0, 0, 1.05, 1.05), 1), (_ellipse(0, 0, 0.55, 0.55), 0)],
    "crescent": [(_ellipse(0, 0, 1.05, 1.05), 1), (_ellipse(0.5, -0.1, 0.85, 0.85), 0)],
    "hexagon": [(_regular(6, 1.0, 0.0), 1)],
    "arrow": [(_poly([-1.1, -0.3], [0.15, -0.3], [0.15, -0.8], [1.15, 0], [0.15, 0.8], [0.15, 0.3], [-1.1, 0.3]), 1)],
    "heart": [(_heart(), 1)],
}
SYNTHETIC_CATEGORIES = tuple(SHAPES)

# (c) part-annotated categories: {category: ((part name, ops), ...)} in drawing order; a later part is
# drawn over an earlier one, and part id p (1-based) is the p-th entry.
PARTS: dict[str, tuple[tuple[str, Ops], ...]] = {
    "figure": (
        ("legs", [(_rect(-0.34, 0.2, -0.07, 1.1), 1), (_rect(0.07, 0.2, 0.34, 1.1), 1)]),
        ("torso", [(_rect(-0.4, -0.45, 0.4, 0.35), 1)]),
        (
            "arms",
            [
                (_poly([-0.42, -0.45], [-0.62, -0.4], [-0.78, 0.3], [-0.56, 0.34], [-0.42, -0.1]), 1),
                (_poly([0.42, -0.45], [0.62, -0.4], [0.78, 0.3], [0.56, 0.34], [0.42, -0.1]), 1),
            ],
        ),
        ("head", [(_ellipse(0, -0.76, 0.28, 0.3), 1)]),
    ),
    "car": (
        (
            "body",
            [
                (
                    _poly(
                        [-1.1, 0.45],
                        [-1.1, -0.1],
                        [-0.6, -0.12],
                        [-0.35, -0.58],
                        [0.45, -0.58],
                        [0.72, -0.12],
                        [1.1, -0.08],
                        [1.1, 0.45],
                    ),
                    1,
                )
            ],
        ),
        (
            "windows",
            [
                (_poly([-0.5, -0.16], [-0.3, -0.48], [-0.02, -0.48], [-0.02, -0.16]), 1),
                (_poly([0.1, -0.16], [0.1, -0.48], [0.4, -0.48], [0.6, -0.16]), 1),
            ],
        ),
        ("wheels", [(_ellipse(-0.6, 0.45, 0.3, 0.3), 1), (_ellipse(0.6, 0.45, 0.3, 0.3), 1)]),
    ),
    "house": (
        ("walls", [(_rect(-0.72, -0.2, 0.72, 1.0), 1)]),
        ("roof", [(_poly([-0.98, -0.12], [0, -1.05], [0.98, -0.12]), 1)]),
        ("door", [(_rect(-0.2, 0.38, 0.2, 1.0), 1)]),
        ("windows", [(_rect(-0.58, 0.02, -0.28, 0.32), 1), (_rect(0.28, 0.02, 0.58, 0.32), 1)]),
    ),
    "plant": (
        ("stem", [(_rect(-0.08, -0.55, 0.08, 0.5), 1)]),
        (
            "leaves",
            [
                (_ellipse(-0.4, -0.2, 0.4, 0.18), 1),
                (_ellipse(0.4, -0.45, 0.4, 0.18), 1),
                (_ellipse(0, -0.88, 0.18, 0.3), 1),
            ],
        ),
        ("pot", [(_poly([-0.52, 0.42], [0.52, 0.42], [0.4, 1.1], [-0.4, 1.1]), 1)]),
    ),
    "airplane": (
        ("wings", [(_poly([0, -0.3], [1.15, 0.2], [1.15, 0.42], [0, 0.2], [-1.15, 0.42], [-1.15, 0.2]), 1)]),
        ("engines", [(_ellipse(-0.6, 0.28, 0.13, 0.26), 1), (_ellipse(0.6, 0.28, 0.13, 0.26), 1)]),
        ("tail", [(_poly([0, 0.62], [0.5, 0.95], [0.5, 1.08], [0, 0.92], [-0.5, 1.08], [-0.5, 0.95]), 1)]),
        ("fuselage", [(_ellipse(0, 0, 0.2, 1.12), 1)]),
    ),
    "fish": (
        ("tail", [(_poly([0.55, 0], [1.15, -0.55], [1.15, 0.55]), 1)]),
        (
            "fins",
            [(_poly([-0.25, -0.3], [0.3, -0.3], [0.1, -0.78]), 1), (_poly([-0.1, 0.3], [0.3, 0.3], [0.2, 0.68]), 1)],
        ),
        ("body", [(_ellipse(0, 0, 0.78, 0.44), 1)]),
        ("eye", [(_ellipse(-0.45, -0.08, 0.13, 0.13), 1)]),
    ),
    "mushroom": (
        ("stem", [(_poly([-0.22, -0.1], [0.22, -0.1], [0.3, 1.05], [-0.3, 1.05]), 1)]),
        ("cap", [(_ellipse(0, 0.05, 1.0, 0.85, t0=np.pi, t1=2 * np.pi, n=40), 1)]),
        (
            "spots",
            [
                (_ellipse(-0.5, -0.2, 0.15, 0.15), 1),
                (_ellipse(0.05, -0.5, 0.16, 0.16), 1),
                (_ellipse(0.5, -0.18, 0.14, 0.14), 1),
            ],
        ),
    ),
    "rocket": (
        (
            "fins",
            [(_poly([-0.28, 0.3], [-0.7, 1.05], [-0.28, 0.9]), 1), (_poly([0.28, 0.3], [0.7, 1.05], [0.28, 0.9]), 1)],
        ),
        ("body", [(_rect(-0.3, -0.45, 0.3, 0.95), 1)]),
        ("nose", [(_poly([-0.3, -0.45], [0.3, -0.45], [0, -1.12]), 1)]),
        ("window", [(_ellipse(0, 0.05, 0.17, 0.17), 1)]),
    ),
}
PART_CATEGORIES: dict[str, tuple[str, ...]] = {c: tuple(n for n, _ in parts) for c, parts in PARTS.items()}


def _pose(center, scale: float, angle: float = 0.0, aspect=(1.0, 1.0), flip: bool = False) -> np.ndarray:
    """2 x 3 affine map local -> pixel: ``x_pix = center + scale * R(angle) @ diag(aspect) @ x_local``
    (a mirror flips local x first). ``aspect[0] < 1`` squashes the object like an out-of-plane turn."""
    c, s = np.cos(angle), np.sin(angle)
    lin = scale * np.array([[c, -s], [s, c]]) @ np.diag([aspect[0] * (-1.0 if flip else 1.0), aspect[1]])
    return np.concatenate([lin, np.asarray(center, np.float64).reshape(2, 1)], 1)


def _transform(pts: np.ndarray, A: np.ndarray) -> np.ndarray:
    return pts @ A[:, :2].T + A[:, 2]  # pts: K x 2 pixels


def raster(ops: Ops, A: np.ndarray, height: int, width: int, offset: int = 0) -> np.ndarray:
    """The mask (H x W bool) of the polygons ``ops`` at pose ``A`` (pixel centres at integers);
    ``offset`` shifts the pose by that many pixels right and down (for padded canvases)."""
    mask = np.zeros((height, width), np.uint8)
    for pts, value in ops:
        p = np.round((_transform(pts, A) + offset) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, [p], int(value), cv2.LINE_8, _SHIFT)
    return mask.astype(bool)


def _outline(ops: Ops) -> np.ndarray:
    return np.concatenate([pts for pts, value in ops if value])


def _extent(ops: Ops, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max pixel coordinates (x, y) of the filled polygons at pose ``A``."""
    p = _transform(_outline(ops), A)
    return p.min(0), p.max(0)


def _sprite_size(max_scale: float) -> int:
    """Side of a texture sprite covering [-EXTENT, EXTENT]^2 at ~1 sprite pixel per frame pixel."""
    return int(np.clip(np.ceil(2 * EXTENT * max_scale) + 1, 8, 1024))


def _warp(sprite: np.ndarray, A: np.ndarray, height: int, width: int) -> np.ndarray:
    """The sprite (S x S x 3, covering [-EXTENT, EXTENT]^2 in local coordinates) seen at pose ``A``."""
    S = sprite.shape[0]
    k = 2 * EXTENT / (S - 1)  # local units per sprite pixel
    lin = A[:, :2] * k
    M = np.concatenate([lin, (A[:, 2] - A[:, :2] @ [EXTENT, EXTENT]).reshape(2, 1)], 1)
    return cv2.warpAffine(sprite, M, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _paint(canvas: np.ndarray, mask: np.ndarray, sprite: np.ndarray, A: np.ndarray) -> None:
    """Writes the sprite's pixels at pose ``A`` into ``canvas`` where ``mask`` is set (in place)."""
    if mask.any():
        canvas[mask] = _warp(sprite, A, *canvas.shape[:2])[mask]


def _fit(ops: Ops, A: np.ndarray, size: int, rng: np.random.Generator, margin: float = 1.0) -> np.ndarray:
    """``A`` with a centre drawn uniformly among those that keep the whole shape inside the image
    (shrinking the shape by 10% steps when it cannot fit)."""
    A = A.copy()
    A[:, 2] = 0
    while True:
        lo, hi = _extent(ops, A)
        cmin, cmax = margin - lo, size - 1 - margin - hi
        if np.all(cmin <= cmax):
            A[:, 2] = rng.uniform(cmin, cmax)
            return A
        A[:, :2] *= 0.9


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- argument checks
def _check_int(name: str, value, lo: int, hi: int | None = None, fix: str = "") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ConfigError(f"{name} must be {bound}, got {value}" + (f"; {fix}" if fix else ""))
    return int(value)


def _check_common(seed, size, num_categories=None, per_category=None, available=None):
    _check_int("seed", seed, 0, fix="seeds are non-negative integers")
    _check_int("size", size, MIN_SIZE, 4096, fix=f"shapes and parts need at least {MIN_SIZE} pixels")
    if num_categories is not None:
        _check_int(
            "num_categories",
            num_categories,
            1,
            len(available),
            fix=f"there are {len(available)} synthetic categories: {', '.join(available)}",
        )
    if per_category is not None:
        _check_int("per_category", per_category, 1)


# ----------------------------------------------------------------------------- (a) videos
@dataclass
class SyntheticVideo:
    """A rendered video and its full ground truth (T frames, M objects, S = size)."""

    frames: np.ndarray  # T x S x S x 3 uint8 RGB
    boxes: np.ndarray  # T x M x 4 float32 (x, y, w, h) of each full object, clipped to the frame
    visible: np.ndarray  # T x M bool: visible_fraction >= min_visible_fraction
    visible_fraction: np.ndarray  # T x M float32: unoccluded in-frame pixels / full-object pixels
    masks: np.ndarray  # T x M x S x S bool: each object's full (amodal) mask inside the frame
    labels: np.ndarray  # T x S x S int8: index of the object seen at each pixel, -1 = background
    backgrounds: np.ndarray  # T x S x S x 3 uint8: the frames without objects
    shapes: list  # M shape names (from SYNTHETIC_CATEGORIES)
    order: np.ndarray  # M drawing order, back to front (order[-1] occludes every other)


@dataclass
class _VideoScene:
    """Everything random about a video: background texture and its pan, each object's shape, pose per
    frame and texture sprite, and the depth order."""

    bg_tex: np.ndarray
    pan_max: int
    pan: np.ndarray
    u: np.ndarray
    shapes: list
    poses: np.ndarray
    sprites: list
    order: np.ndarray


def _video_scene(rng: np.random.Generator, T: int, M: int, size: int) -> _VideoScene:
    """Draws a video's scene from ``rng`` (see ``synthetic_video`` for what is drawn)."""
    u = np.arange(T) / max(T - 1, 1)  # time in [0, 1]

    # background: a texture larger than the frame, panned by up to 6% of the frame over the video
    pan_max = int(np.ceil(0.06 * size)) + 1
    bg_tex = tx.background(rng, size + 2 * pan_max, size + 2 * pan_max)
    a = rng.uniform(0, 2 * np.pi)
    pan = rng.uniform(0.02, 0.06) * size * np.array([np.cos(a), np.sin(a)])

    shapes = [SYNTHETIC_CATEGORIES[i] for i in rng.choice(len(SHAPES), M, replace=False)]
    kinds = [tx.TEXTURE_KINDS[i] for i in rng.permutation(len(tx.TEXTURE_KINDS))]
    kinds = (kinds * (M // len(kinds) + 1))[:M]  # distinct while M <= 8
    poses = np.zeros((T, M, 2, 3))  # per frame, per object
    max_scale = 0.0
    for m in range(M):
        r = rng.uniform(0.09, 0.15) * size  # pixels per local unit
        scale = r * np.exp(
            rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * u + rng.uniform(0, 2 * np.pi))
        )
        p0 = rng.uniform(0.15, 0.85, 2) * size
        p1 = np.clip(size - p0 + rng.normal(0, 0.08 * size, 2), 0.12 * size, 0.88 * size)
        d = p1 - p0
        perp = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-6)
        wiggle = rng.uniform(0, 0.05) * size * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * u + rng.uniform(0, 2 * np.pi))
        centre = np.clip(p0 + d * u[:, None] + perp * wiggle[:, None], 0.1 * size, 0.9 * size)
        angle = rng.uniform(0, 2 * np.pi) + rng.uniform(-np.pi / 2, np.pi / 2) * u
        aspect, flip = (1.0, rng.uniform(0.8, 1.2)), bool(rng.random() < 0.5)
        for t in range(T):
            poses[t, m] = _pose(centre[t], scale[t], angle[t], aspect, flip)
        max_scale = max(max_scale, float(scale.max() * 1.2))
    S = _sprite_size(max_scale)
    bg_mean = bg_tex.reshape(-1, 3).mean(0)
    sprites = tx.distinct_textures(
        rng,
        M,
        S,
        S,
        avoid=[bg_mean],
        min_dist=80.0,
        kinds=kinds,
        saturation=(0.55, 1.0),
        value=(0.5, 1.0),
        contrast=0.35,
    )
    order = rng.permutation(M)  # back to front
    return _VideoScene(bg_tex, pan_max, pan, u, shapes, poses, sprites, order)


def _draw_video(sc: _VideoScene, T: int, M: int, size: int):
    """The frames of a scene with their ground truth: (frames, backgrounds, masks, labels, visible fraction)."""
    pad = size // 2 + 1
    frames = np.zeros((T, size, size, 3), np.uint8)
    backgrounds = np.zeros_like(frames)
    masks = np.zeros((T, M, size, size), bool)
    labels = np.full((T, size, size), -1, np.int8)
    frac = np.zeros((T, M), np.float32)
    for t in range(T):
        dx, dy = sc.pan * sc.u[t]
        shift = np.array([[1, 0, -sc.pan_max - dx], [0, 1, -sc.pan_max - dy]])
        canvas = cv2.warpAffine(sc.bg_tex, shift, (size, size), flags=cv2.INTER_LINEAR)
        backgrounds[t] = _to_uint8(canvas)
        canvas = backgrounds[t].astype(np.float32)
        full = np.zeros(M)
        for m in sc.order:
            padded = raster(SHAPES[sc.shapes[m]], sc.poses[t, m], size + 2 * pad, size + 2 * pad, offset=pad)
            full[m] = padded.sum()
            masks[t, m] = padded[pad : pad + size, pad : pad + size]
            _paint(canvas, masks[t, m], sc.sprites[m], sc.poses[t, m])
            labels[t][masks[t, m]] = m
        frames[t] = _to_uint8(canvas)
        for m in range(M):
            frac[t, m] = (labels[t] == m).sum() / max(full[m], 1.0)
    return frames, backgrounds, masks, labels, frac


def synthetic_video(
    seed: int, num_frames: int, size: int, num_objects: int = 3, min_visible_fraction: float = VISIBLE_MIN_FRACTION
) -> SyntheticVideo:
    """(a) A video of ``num_objects`` textured objects over a textured, slowly panning background.

    Objects: distinct shapes (``SYNTHETIC_CATEGORIES``, no repeats), distinct texture families and mean
    colours at least ~80 apart in RGB (so each is identifiable by appearance). Each moves smoothly along a
    line that crosses the frame (start and end points mirrored through the centre, plus a sinusoidal
    wiggle), scales smoothly (x0.7 to x1.35), turns in-plane (up to 90 degrees over the video) and keeps
    its appearance (the texture moves with it). The depth order is fixed per video and paths cross near
    the middle of the video, so objects occlude each other. Object centres stay in [0.1, 0.9] * size, so
    an object is never wholly out of frame (the generator handles that case anyway).

    Ground truth, exact by construction (see the module docstring):
      * ``masks[t, m]``: the pixels of object m's full shape inside the frame, whether occluded or not;
      * ``boxes[t, m]``: (x, y, w, h) = (min col, min row, max col - min col + 1, max row - min row + 1)
        of ``masks[t, m]``, i.e. the full object's extent clipped to the frame (all zero if it is
        entirely outside);
      * ``labels[t]``: the object drawn at each pixel (the front-most whose mask covers it), -1 elsewhere;
        ``frames`` equal ``backgrounds`` exactly where ``labels == -1``;
      * ``visible_fraction[t, m]`` = (labels[t] == m).sum() / (pixels of the full shape, counted on a
        canvas padded by size/2 on every side) and ``visible = visible_fraction >= min_visible_fraction``
        (default 0.1): False when the object is (almost) fully occluded or out of frame.
    """
    _check_common(seed, size)
    T = _check_int("num_frames", num_frames, 1)
    M = _check_int(
        "num_objects", num_objects, 1, len(SHAPES), fix=f"objects have distinct shapes and there are {len(SHAPES)}"
    )
    if not 0.0 < float(min_visible_fraction) <= 1.0:
        raise ConfigError(f"min_visible_fraction must be in (0, 1], got {min_visible_fraction}")
    rng = np.random.default_rng(seed)
    scene = _video_scene(rng, T, M, size)
    frames, backgrounds, masks, labels, frac = _draw_video(scene, T, M, size)
    boxes = np.zeros((T, M, 4), np.float32)
    for t in range(T):
        for m in range(M):
            boxes[t, m] = mask_box(masks[t, m])
    return SyntheticVideo(
        frames, boxes, frac >= min_visible_fraction, frac, masks, labels, backgrounds, scene.shapes, scene.order
    )


def mask_box(mask: np.ndarray) -> np.ndarray:
    """(x, y, w, h) float32 of a boolean mask's pixels (inclusive extent); zeros for an empty mask."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if len(rows) == 0:
        return np.zeros(4, np.float32)
    return np.array([cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1], np.float32)


# ----------------------------------------------------------------------------- (b) category images
@dataclass
class CategoryImages:
    images: np.ndarray  # N x S x S x 3 uint8
    labels: np.ndarray  # N int64, image i has label i % C
    categories: list  # C names (SYNTHETIC_CATEGORIES[:C])
    masks: np.ndarray  # N x S x S bool: the object's pixels
    backgrounds: np.ndarray  # N x S x S x 3 uint8: the images without the object


def _object_instance(rng: np.random.Generator, size: int, scale_range=(0.2, 0.34)):
    """Background, texture sprite and pose parameters of one (b)/(d) object instance."""
    bg = tx.background(rng, size, size)
    scale = rng.uniform(*scale_range) * size
    angle = rng.uniform(0, 2 * np.pi)
    aspect, flip = (1.0, rng.uniform(0.8, 1.25)), bool(rng.random() < 0.5)
    S = _sprite_size(scale * 1.4)
    (sprite,) = tx.distinct_textures(rng, 1, S, S, avoid=[bg.reshape(-1, 3).mean(0)], min_dist=60.0)
    return bg, sprite, scale, angle, aspect, flip


def category_images(seed: int, num_categories: int, per_category: int, size: int) -> CategoryImages:
    """(b) Object-category images: category c is the shape family ``SYNTHETIC_CATEGORIES[c]``.

    Per image, independently of the category: a random textured background, the object's texture family
    and colours (mean at least ~60 RGB from the background's mean), in-plane angle (any), scale (0.2 to
    0.34 of the image side per local unit, so the object spans about 40% to 80% of the image), a squash
    of 0.8-1.25 along one axis, a mirror, and a position. So the category is carried by shape only:
    colour and texture carry no information about it.

    Ground truth: ``labels[i] = i % num_categories`` (every prefix is balanced), ``masks[i]`` is the
    object's shape at its pose and lies wholly inside the image, and ``images`` equal ``backgrounds``
    outside ``masks``.
    """
    _check_common(seed, size, num_categories, per_category, SYNTHETIC_CATEGORIES)
    rng = np.random.default_rng(seed)
    C, N = num_categories, num_categories * per_category
    labels = np.arange(N, dtype=np.int64) % C
    images = np.zeros((N, size, size, 3), np.uint8)
    backgrounds = np.zeros_like(images)
    masks = np.zeros((N, size, size), bool)
    for i in range(N):
        ops = SHAPES[SYNTHETIC_CATEGORIES[labels[i]]]
        bg, sprite, scale, angle, aspect, flip = _object_instance(rng, size)
        A = _fit(ops, _pose((0, 0), scale, angle, aspect, flip), size, rng)
        backgrounds[i] = _to_uint8(bg)
        canvas = backgrounds[i].astype(np.float32)
        masks[i] = raster(ops, A, size, size)
        _paint(canvas, masks[i], sprite, A)
        images[i] = _to_uint8(canvas)
    return CategoryImages(images, labels, list(SYNTHETIC_CATEGORIES[:C]), masks, backgrounds)


# ----------------------------------------------------------------------------- (c) part objects
@dataclass
class PartObjects:
    images: np.ndarray  # N x S x S x 3 uint8
    masks: np.ndarray  # N x S x S uint8 part id (0 = background, p = part_names[label][p - 1])
    labels: np.ndarray  # N int64, image i has label i % C
    categories: list  # C names (list(PART_CATEGORIES)[:C])
    part_names: list  # C lists of part names
    backgrounds: np.ndarray  # N x S x S x 3 uint8: the images without the object


def part_objects(seed: int, num_categories: int, per_category: int, size: int) -> PartObjects:
    """(c) Part-annotated objects: category c is ``list(PART_CATEGORIES)[c]``, a composite of 3-4 named
    parts (e.g. figure = legs, torso, arms, head; car = body, windows, wheels).

    Per image: a random textured background; every part gets its own texture (random family) whose mean
    colour is at least ~70 RGB from the background's and from the other parts' (so parts are visible and
    separable); a random pose (angle within +-30 degrees of upright, scale 0.26-0.38 of the image side
    per local unit, squash 0.85-1.15, mirror, position).

    Ground truth: ``masks[i]`` holds part id p (1-based, ``part_names[label][p - 1]``) on every pixel of
    the object and 0 elsewhere; a pixel belongs to exactly one part (later parts in ``PARTS`` are drawn
    over earlier ones); the whole object lies inside the image; every part of the category is present
    (at the sizes accepted, >= 4 pixels each, checked by the tests); ``labels[i] = i % num_categories``;
    ``images`` equal ``backgrounds`` where ``masks == 0``.
    """
    cats = tuple(PARTS)
    _check_common(seed, size, num_categories, per_category, cats)
    rng = np.random.default_rng(seed)
    C, N = num_categories, num_categories * per_category
    labels = np.arange(N, dtype=np.int64) % C
    images = np.zeros((N, size, size, 3), np.uint8)
    backgrounds = np.zeros_like(images)
    masks = np.zeros((N, size, size), np.uint8)
    for i in range(N):
        parts = PARTS[cats[labels[i]]]
        bg = tx.background(rng, size, size)
        scale = rng.uniform(0.26, 0.38) * size
        A = _pose(
            (0, 0), scale, rng.uniform(-np.pi / 6, np.pi / 6), (1.0, rng.uniform(0.85, 1.15)), bool(rng.random() < 0.5)
        )
        A = _fit([op for _, ops in parts for op in ops], A, size, rng)
        S = _sprite_size(scale * 1.2)
        sprites = tx.distinct_textures(
            rng, len(parts), S, S, avoid=[bg.reshape(-1, 3).mean(0)], min_dist=70.0, contrast=0.22
        )
        backgrounds[i] = _to_uint8(bg)
        label_map = np.zeros((size, size), np.uint8)
        for p, (_, ops) in enumerate(parts):
            label_map[raster(ops, A, size, size)] = p + 1
        canvas = backgrounds[i].astype(np.float32)
        for p in range(len(parts)):
            _paint(canvas, label_map == p + 1, sprites[p], A)
        images[i], masks[i] = _to_uint8(canvas), label_map
    return PartObjects(images, masks, labels, list(cats[:C]), [list(PART_CATEGORIES[c]) for c in cats[:C]], backgrounds)


# ----------------------------------------------------------------------------- (d) trajectories
def _viewpoint(rng, ops, sprite, bg, scale, angle, aspect, flip, L, size):
    """L images of the object under a smooth viewpoint-like change: in-plane turn of 30-90 degrees,
    out-of-plane squash cos(phi) with phi 0 -> 45-65 degrees (and a matching darkening of the face),
    scale x0.75-1.3, drift up to 8% of the image. The whole path stays inside the image."""
    u = np.arange(L) / (L - 1)
    turn = rng.choice([-1, 1]) * rng.uniform(np.pi / 6, np.pi / 2)
    phi = rng.uniform(np.pi / 4, np.radians(65)) * u
    zoom = np.exp(np.log(rng.uniform(0.75, 1.3)) * u)
    drift = rng.uniform(-0.08, 0.08, 2) * size
    while True:
        As = [
            _pose(drift * u[k], scale * zoom[k], angle + turn * u[k], (aspect[0] * np.cos(phi[k]), aspect[1]), flip)
            for k in range(L)
        ]
        ext = [_extent(ops, A) for A in As]
        cmin = np.max([1 - lo for lo, _ in ext], 0)
        cmax = np.min([size - 2 - hi for _, hi in ext], 0)
        if np.all(cmin <= cmax):
            break
        scale *= 0.9
    c0 = rng.uniform(cmin, cmax)
    images, masks = [], []
    for k, A in enumerate(As):
        A[:, 2] += c0
        canvas = bg.copy()
        mask = raster(ops, A, size, size)
        _paint(canvas, mask, sprite * np.float32(0.7 + 0.3 * np.cos(phi[k])), A)
        images.append(_to_uint8(canvas))
        masks.append(mask)
    return images, masks, np.zeros(L, np.float32)


def _illumination(rng, base, mask, L, size):
    """L relightings of one image: brightness b0 -> b1 (one of them 1.1-1.35, the other 0.45-0.7), colour
    temperature warm <-> cool (red/blue gains 1 +- tau, tau up to 0.25), and a directional gradient
    (+-30-60% across the image) whose direction turns by 90-180 degrees."""
    u = np.arange(L) / (L - 1)
    b0, b1 = rng.uniform(1.1, 1.35), rng.uniform(0.45, 0.7)
    if rng.random() < 0.5:
        b0, b1 = b1, b0
    tau1 = rng.choice([-1, 1]) * rng.uniform(0.12, 0.25)
    g, gamma0 = rng.uniform(0.3, 0.6), rng.uniform(0, 2 * np.pi)
    dgamma = rng.choice([-1, 1]) * rng.uniform(np.pi / 2, np.pi)
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) - (size - 1) / 2) / size
    images = []
    for k in range(L):
        tau = -tau1 + 2 * tau1 * u[k]
        gains = np.array([1 + tau, 1.0, 1 - tau], np.float32) * np.float32(b0 + (b1 - b0) * u[k])
        gam = gamma0 + dgamma * u[k]
        ramp = 1 + g * (xx * np.float32(np.cos(gam)) + yy * np.float32(np.sin(gam)))  # S x S
        images.append(_to_uint8(base.astype(np.float32) * ramp[..., None] * gains))
    return images, [mask] * L, np.zeros(L, np.float32)


def _occlusion(rng, base, mask, L, size, occluder_mean_avoid):
    """L images of one image with a textured bar sliding over the object from a random direction: at step
    k the bar covers the object pixels whose projection on the direction is below the
    round(f_max * k / (L - 1) * area)-th smallest, f_max in [0.6, 0.85]. The bar is wider than the object,
    so its trailing edge never uncovers it; the covered fraction grows with k (strictly, when
    f_max * area / (L - 1) >= 1 pixel)."""
    beta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    proj = xx * np.cos(beta) + yy * np.sin(beta)  # S x S
    v = np.sort(proj[mask])
    n = len(v)
    width = (v[-1] - v[0]) * rng.uniform(1.05, 1.3) + 2.0
    f_max = rng.uniform(0.6, 0.85)
    (occ,) = tx.distinct_textures(rng, 1, size, size, avoid=occluder_mean_avoid, min_dist=60.0)
    images, fracs = [], np.zeros(L, np.float32)
    for k in range(L):
        m = int(round(f_max * k / (L - 1) * n))
        thr = v[0] - 0.5 if m == 0 else (v[m - 1] + v[m]) / 2 if m < n else v[-1] + 0.5
        bar = (proj < thr) & (proj > thr - width)
        img = base.copy()
        img[bar] = _to_uint8(occ[bar])
        images.append(img)
        fracs[k] = (bar & mask).sum() / n
    return images, [mask] * L, fracs


def _check_transformations(transformations) -> tuple[str, ...]:
    if isinstance(transformations, str):
        transformations = (transformations,)
    transformations = tuple(transformations)
    bad = [t for t in transformations if t not in TRANSFORMATIONS]
    if not transformations or bad or len(set(transformations)) != len(transformations):
        raise ConfigError(
            f"transformations must be distinct names among {', '.join(TRANSFORMATIONS)}, got {transformations!r}"
        )
    return transformations


def _instance_trajectories(rng, ops, size: int, L: int, transformations):
    """One object instance (drawn as in (b)) and its trajectories: [(kind, (images, masks, occluded
    fractions)), ...] in the order of ``transformations``."""
    bg, sprite, scale, angle, aspect, flip = _object_instance(rng, size, (0.17, 0.24))
    bg = _to_uint8(bg).astype(np.float32)
    A = _fit(ops, _pose((0, 0), scale, angle, aspect, flip), size, rng)
    mask = raster(ops, A, size, size)
    canvas = bg.copy()
    _paint(canvas, mask, sprite, A)
    base = _to_uint8(canvas)
    out = []
    for kind in transformations:
        if kind == "viewpoint":
            out.append((kind, _viewpoint(rng, ops, sprite, bg, scale, angle, aspect, flip, L, size)))
        elif kind == "illumination":
            out.append((kind, _illumination(rng, base, mask, L, size)))
        else:
            avoid = [base[mask].mean(0), bg.reshape(-1, 3).mean(0)]
            out.append((kind, _occlusion(rng, base, mask, L, size, avoid)))
    return out


def transformation_trajectories(
    seed: int, num_categories: int, per_category: int, trajectory_len: int, size: int, transformations=TRANSFORMATIONS
) -> dict:
    """(d) Transformation trajectories: for each category c (``SYNTHETIC_CATEGORIES[c]``, the same shapes
    and labels as (b)) and each of ``per_category`` object instances (background, texture, colours and
    pose drawn as in (b)), one trajectory of ``trajectory_len`` images per transformation:

      * "viewpoint": in-plane turn, out-of-plane squash with shading, scale change and drift (smooth, the
        object stays wholly inside the image);
      * "illumination": brightness, colour temperature and a turning directional gradient, applied to the
        whole image (the object's mask does not change);
      * "occlusion": a textured bar covering a growing fraction (0 at step 0, up to 0.6-0.85) of the
        object, which does not move.

    Returns a dict: ``images`` N x S x S x 3 uint8; ``labels`` N int64 (constant within a trajectory);
    ``trajectory_ids`` N int64 (0, 1, ... unique per trajectory across all transformations, each
    trajectory contiguous, ordered category -> instance -> transformation -> step); ``transformations``
    N str; ``categories`` list[str]; ``steps`` N int64 (position in the trajectory); ``occluded_fraction``
    N float32 (fraction of the object's pixels under the occluder; 0 outside "occlusion"); ``masks``
    N x S x S bool (the object's full shape, occluded or not). N = C * per_category * len(transformations)
    * trajectory_len. The three trajectories of an instance share its appearance and background.
    """
    _check_common(seed, size, num_categories, per_category, SYNTHETIC_CATEGORIES)
    L = _check_int("trajectory_len", trajectory_len, 2, fix="a trajectory needs at least two images")
    transformations = _check_transformations(transformations)
    rng = np.random.default_rng(seed)
    trajectories = [
        (c, kind, imgs, masks, fr)
        for c in range(num_categories)
        for _ in range(per_category)
        for kind, (imgs, masks, fr) in _instance_trajectories(
            rng, SHAPES[SYNTHETIC_CATEGORIES[c]], size, L, transformations
        )
    ]
    return stack_trajectories(trajectories, SYNTHETIC_CATEGORIES[:num_categories])


def stack_trajectories(trajectories, categories) -> dict:
    """The arrays of a trajectories file (see ``transformation_trajectories``) from its trajectories in order,
    each (label, transformation, L images, L masks, L occluded fractions); trajectory ids are 0, 1, ..."""
    lengths = [len(t[2]) for t in trajectories]
    return {
        "images": np.stack([img for t in trajectories for img in t[2]]),
        "labels": np.repeat([t[0] for t in trajectories], lengths).astype(np.int64),
        "trajectory_ids": np.repeat(np.arange(len(trajectories)), lengths).astype(np.int64),
        "transformations": np.array([t[1] for t, n in zip(trajectories, lengths) for _ in range(n)], dtype=str),
        "categories": list(categories),
        "steps": np.concatenate([np.arange(n) for n in lengths]).astype(np.int64),
        "occluded_fraction": np.concatenate([np.asarray(t[4], np.float32) for t in trajectories]),
        "masks": np.stack([m for t in trajectories for m in t[3]]),
    }


__all__ = [
    "SYNTHETIC_CATEGORIES",
    "PART_CATEGORIES",
    "TRANSFORMATIONS",
    "VISIBLE_MIN_FRACTION",
    "SHAPES",
    "PARTS",
    "synthetic_video",
    "category_images",
    "part_objects",
    "transformation_trajectories",
    "stack_trajectories",
    "mask_box",
    "raster",
    "SyntheticVideo",
    "CategoryImages",
    "PartObjects",
]
