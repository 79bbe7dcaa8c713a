"""The synthetic world of the ``smoke`` preset: categories with instances, seen as stills, in videos and
along the transformation trajectories of Section A. One world feeds every chapter, so one encoder is
measured on what it was trained on.

Design (written from the paper's hypotheses before any model was compared on it; see chapter 00):

* **Categories and instances.** A category is a shape family (``WORLD_CATEGORIES``, the first
  ``num_categories`` of these eight ``synthetic.SHAPES``). An instance is one member of the family: its outline is
  the family's polygons under a smooth radial deformation (harmonics 2 and 3, amplitude up to
  ``DEFORM``) and a stretch of its proportions (``PROPORTION``); it has one texture family
  (``OBJECT_KINDS``) and one colour from a shared palette (``PALETTE_HUES``). Texture and colour
  are drawn independently of the category from small pools, so many instances of every category share
  them: they can tell two images apart only weakly and the category not at all. What tells instances
  apart, and survives MoCo's crops and colour jitter, is the outline, which is organised by category.
  That is the condition under which instance discrimination can learn categories.
* **Nuisances.** Objects stand before a plain backdrop (``BACKDROP``, black: a studio, as product photos
  and many of ImageNet's object-centric images show them); position, in-plane angle and scale are drawn per
  image. A backdrop with any pattern or light gradient tells every still apart through every crop and
  colour jitter, so instance discrimination learns the backdrop instead of the object: issue 11's probes
  (``benchmarks/RESULTS.md``) found exactly that with the first world's textured backgrounds. Occluders
  keep textures of their own (``occluder_pool``).
* **The paper's transformations occur**: *viewpoint* is an out-of-plane turn (a squash by cos(phi) along
  an axis of the object, phi up to ``MAX_TILT``, with matching shading, so the appearance changes, not
  only the position), plus in-plane turns; *illumination* is brightness, colour temperature and a
  directional gradient; *occlusion* is an occluder (a textured bar) passing over the object; *scale*
  changes in videos. Stills show each instance at a random viewpoint and illumination (as ImageNet shows
  objects), but two augmented views of one still share them; the frames of a video show the same
  instance under a changing viewpoint, illumination, scale and occlusion. This is the contrast the paper
  draws between ``images`` and ``frames`` (Section B): only the videos *show* viewpoint and illumination
  change to the contrastive objective.
* **Pace** (set after a measurement, see chapter 00 and ``benchmarks/RESULTS.md``): a video shows the share
  ``pace`` of its view trajectory (``world_video``); at the first pace (1.0) the two frames of a positive
  pair often showed the object from very different sides and ``frames`` did not learn; the smoke world
  uses 0.5 (``world_video_pace``).
* **Splits.** Of each category's instances, the first ``train_instances`` appear in training stills and
  in videos; the rest are held out: the held-out stills (the kNN and linear-probe test set) and the
  trajectories of Section A show only held-out instances, so every measure is of generalisation to new
  instances of known categories.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from ..io import save_npz
from . import synthetic as sy
from . import textures as tx
from .clips import write_trackingnet_sequence

WORLD_CATEGORIES = (
    "disk",
    "square",
    "triangle",
    "star",
    "cross",
    "ring",
    "crescent",
    "arrow",
)  # most distinct at 64 px
PALETTE_HUES = (0.0, 0.3, 0.55, 0.8)  # shared colour palette (hues) of object textures
OBJECT_KINDS = ("stripes", "dots", "checker")  # shared texture families of objects
MAX_ROLL = np.radians(25)  # stills and trajectories: objects roughly upright
BACKDROP = 0.0  # grey level of the plain backdrop (0-255): black, so no relighting shows on it
OCCLUDERS = 4  # shared pool of occluder textures
OCCLUDER_KINDS = ("blobs", "gradient", "waves", "stripes")  # coarse: a passing thing, not an identity
DEFORM = 0.12  # max amplitude of an instance's radial harmonics
PROPORTION = (0.75, 1.3)  # an instance's stretch along its local x axis
TEXTURE_CONTRAST = 0.25  # two-tone contrast of object textures
OCCLUDER_CONTRAST = 0.12  # and of occluder textures
STILL_LIGHTING = True  # stills under a random illumination each
MAX_TILT = np.radians(70)  # largest out-of-plane turn (viewpoint)
WORLD_TRANSFORMATIONS = ("viewpoint", "illumination", "occlusion", "instance")


@dataclass(frozen=True)
class Instance:
    """One object of the world: its category, its outline (polygons in local coordinates) and look."""

    category: int
    ops: list  # [(K x 2 float64 local points, fill 1 or 0), ...]: the deformed outline
    texture: str  # texture family (OBJECT_KINDS)
    hue: float  # palette hue
    sprite: np.ndarray  # S x S x 3 float32 texture over [-EXTENT, EXTENT]^2


@dataclass(frozen=True)
class View:
    """How an instance is seen: out-of-plane tilt ``phi`` about axis ``psi``, in-plane ``angle``, ``scale``
    (pixels per local unit) and illumination (``brightness``, colour temperature ``tau``, gradient
    strength ``ramp`` in direction ``ramp_angle``)."""

    angle: float = 0.0
    phi: float = 0.0
    psi: float = 0.0
    scale: float = 10.0
    brightness: float = 1.0
    tau: float = 0.0
    ramp: float = 0.0
    ramp_angle: float = 0.0


def _densify(pts: np.ndarray, step: float = 0.08) -> np.ndarray:
    """The closed polygon with vertices added every ``step`` local units, so a deformation bends edges."""
    out = []
    for a, b in zip(pts, np.roll(pts, -1, 0)):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.append(a + (b - a) * (np.arange(n)[:, None] / n))
    return np.concatenate(out)


def deform(ops: list, harmonics: np.ndarray, stretch: float) -> list:
    """The outline ``ops`` under r -> r (1 + sum_k a_k cos(k theta + p_k)) and x -> stretch x, rescaled so
    the result stays within ``synthetic.EXTENT``. ``harmonics``: rows (k, a_k, p_k)."""
    out = []
    for pts, fill in ops:
        p = _densify(pts)
        theta = np.arctan2(p[:, 1], p[:, 0])
        r = 1 + sum(a * np.cos(k * theta + ph) for k, a, ph in harmonics)
        out.append((p * r[:, None] * [stretch, 1.0], fill))
    peak = max(np.abs(p).max() for p, _ in out)
    if peak > sy.EXTENT:
        out = [(p * (sy.EXTENT / peak), f) for p, f in out]
    return out


def world_instances(seed: int, num_categories: int, per_category: int, sprite_size: int = 64) -> list[Instance]:
    """``per_category`` instances of each of the first ``num_categories`` categories, category-major
    (instance i has category i // per_category). Deterministic in ``seed``."""
    sy._check_int(
        "num_categories",
        num_categories,
        1,
        len(WORLD_CATEGORIES),
        fix=f"the world has {len(WORLD_CATEGORIES)} categories: {', '.join(WORLD_CATEGORIES)}",
    )
    sy._check_int("per_category", per_category, 1)
    rng = np.random.default_rng([seed, 0x3071D])
    out = []
    for c in range(num_categories):
        for _ in range(per_category):
            harmonics = np.array([(k, rng.uniform(-DEFORM, DEFORM), rng.uniform(0, 2 * np.pi)) for k in (2, 3)])
            ops = deform(sy.SHAPES[WORLD_CATEGORIES[c]], harmonics, rng.uniform(*PROPORTION))
            kind = OBJECT_KINDS[rng.integers(len(OBJECT_KINDS))]
            hue = float(PALETTE_HUES[rng.integers(len(PALETTE_HUES))])
            base = tx.random_color(rng, (0.55, 0.8), (0.6, 0.85), hue=hue)
            sprite = tx.make_texture(
                rng,
                sprite_size,
                sprite_size,
                (base, tx.companion(rng, base, TEXTURE_CONTRAST)),
                kind,
                period=rng.uniform(5.0, 9.0) * sprite_size / 64,
                grain=3.0,
            )
            out.append(Instance(c, ops, kind, hue, sprite))
    return out


def background_pool(seed: int, size: int) -> list[np.ndarray]:
    """The backgrounds of the world (float32 RGB, side ``size``): the plain ``BACKDROP`` alone. ``seed`` is
    kept so that a world with a pool of textured backgrounds (``occluder_pool``) is a one-line change."""
    return [np.full((size, size, 3), BACKDROP, np.float32)]


def occluder_pool(seed: int, size: int) -> list[np.ndarray]:
    """``OCCLUDERS`` shared occluder textures of side ``size`` (float32 RGB)."""
    rng = np.random.default_rng([seed, 0xB6])
    out = []
    for i in range(OCCLUDERS):
        base = tx.random_color(rng, (0.05, 0.4), (0.3, 0.8))
        kind = OCCLUDER_KINDS[i % len(OCCLUDER_KINDS)]
        out.append(
            tx.make_texture(
                rng,
                size,
                size,
                (base, tx.companion(rng, base, OCCLUDER_CONTRAST)),
                kind,
                period=rng.uniform(0.25, 0.5) * size,
                grain=3.0,
            )
        )
    return out


def background_window(rng: np.random.Generator, pool: list[np.ndarray], size: int) -> np.ndarray:
    """A random ``size`` x ``size`` window of a random pool texture (each pool texture is at least 2x)."""
    tex = pool[rng.integers(len(pool))]
    y, x = rng.integers(0, tex.shape[0] - size + 1, 2)
    return tex[y : y + size, x : x + size].copy()


def view_pose(center, v: View) -> np.ndarray:
    """2 x 3 affine local -> pixel map of view ``v``: ``scale * R(angle) R(psi) diag(cos phi, 1) R(-psi)``."""

    def rot(a):
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    lin = v.scale * rot(v.angle) @ rot(v.psi) @ np.diag([np.cos(v.phi), 1.0]) @ rot(-v.psi)
    return np.concatenate([lin, np.asarray(center, np.float64).reshape(2, 1)], 1)


def relight(img: np.ndarray, v: View) -> np.ndarray:
    """The whole image under view ``v``'s illumination: RGB gains (1 + tau, 1, 1 - tau) x brightness and
    a linear ramp 1 + ramp * (direction . position / size)."""
    size = img.shape[0]
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) - (size - 1) / 2) / size
    ramp = 1 + np.float32(v.ramp) * (xx * np.float32(np.cos(v.ramp_angle)) + yy * np.float32(np.sin(v.ramp_angle)))
    gains = np.array([1 + v.tau, 1.0, 1 - v.tau], np.float32) * np.float32(v.brightness)
    return img.astype(np.float32) * ramp[..., None] * gains


def draw(canvas: np.ndarray, inst: Instance, A: np.ndarray, phi: float, offset: int = 0) -> np.ndarray:
    """Paints ``inst`` at pose ``A`` into ``canvas`` (float32, in place), shaded by its tilt; returns its
    mask (drawn on a canvas padded by ``offset``, cropped back)."""
    h, w = canvas.shape[:2]
    mask = sy.raster(inst.ops, A, h + 2 * offset, w + 2 * offset, offset=offset)[
        offset : offset + h, offset : offset + w
    ]
    sy._paint(canvas, mask, inst.sprite * np.float32(0.65 + 0.35 * np.cos(phi)), A)
    return mask


def random_view(rng: np.random.Generator, size: int, scale_range=(0.3, 0.42)) -> View:
    """A random viewpoint and illumination of a still: any in-plane angle, tilt up to ``MAX_TILT`` about
    any axis, brightness 0.6-1.3, colour temperature +-0.2, gradient up to 0.5."""
    v = View(
        angle=rng.uniform(-MAX_ROLL, MAX_ROLL),
        phi=rng.uniform(0, MAX_TILT),
        psi=rng.uniform(0, np.pi),
        scale=rng.uniform(*scale_range) * size,
        brightness=rng.uniform(0.6, 1.3),
        tau=rng.uniform(-0.2, 0.2),
        ramp=rng.uniform(0, 0.5),
        ramp_angle=rng.uniform(0, 2 * np.pi),
    )
    return v if STILL_LIGHTING else replace(v, brightness=1.0, tau=0.0, ramp=0.0)


class Still(NamedTuple):
    """One world still: ``image`` S x S x 3 uint8, ``mask`` S x S bool, ``background`` (the image without
    the object) and ``pose``, the 2 x 3 local -> pixel map the object was drawn with (``view_pose``)."""

    image: np.ndarray
    mask: np.ndarray
    background: np.ndarray
    pose: np.ndarray


def render_still(
    rng: np.random.Generator, inst: Instance, pool: list[np.ndarray], size: int, v: View | None = None, center=None
) -> Still:
    """One object-centric image of ``inst`` (``Still``). Without ``v`` a random view (``random_view``);
    without ``center`` a random position keeping the object inside."""
    v = random_view(rng, size) if v is None else v
    bg = background_window(rng, pool, size)
    A = view_pose((0, 0), v)
    A = sy._fit(inst.ops, A, size, rng) if center is None else view_pose(center, v)
    canvas = bg.copy()
    mask = draw(canvas, inst, A, v.phi)
    return Still(sy._to_uint8(relight(canvas, v)), mask, sy._to_uint8(relight(bg, v)), A)


def check_world(num_categories: int, instances_per_category: int, train_instances: int) -> None:
    if not 1 <= train_instances < instances_per_category:
        raise ConfigError(
            f"train_instances must be in [1, instances_per_category) = [1, {instances_per_category}), "
            f"got {train_instances}: the world needs held-out instances for the test split"
        )
    if not 1 <= num_categories <= len(WORLD_CATEGORIES):
        raise ConfigError(f"num_categories must be in [1, {len(WORLD_CATEGORIES)}], got {num_categories}")


def world_images(seed: int, instances: list[Instance], per_instance: int, size: int, split_seed: int = 0):
    """``per_instance`` stills of each instance (category-major): (images N x S x S x 3 uint8, labels N,
    instance ids N, masks N x S x S bool, backgrounds)."""
    pool = background_pool(seed, 2 * size)
    rng = np.random.default_rng([seed, split_seed, 0x1A6])
    images, labels, ids, masks, bgs = [], [], [], [], []
    for i, inst in enumerate(instances):
        for _ in range(per_instance):
            img, mask, bg, _ = render_still(rng, inst, pool, size)
            images.append(img), masks.append(mask), bgs.append(bg)
            labels.append(inst.category), ids.append(i)
    return (np.stack(images), np.array(labels, np.int64), np.array(ids, np.int64), np.stack(masks), np.stack(bgs))


def world_image_split(
    seed: int,
    num_categories: int,
    instances_per_category: int,
    train_instances: int,
    per_instance: int,
    heldout_per_instance: int,
    size: int,
) -> dict[str, np.ndarray]:
    """(b) The labelled stills of the world as stored in ``images.npz``: ``train_*`` show the first
    ``train_instances`` instances of each category, ``val_*`` only the held-out ones (``*_images``,
    ``*_labels`` = category, ``*_instances`` = the instance's index in ``world_instances``), plus
    ``categories``."""
    check_world(num_categories, instances_per_category, train_instances)
    instances = world_instances(seed, num_categories, instances_per_category, 2 * size)
    within = np.arange(len(instances)) % instances_per_category
    out = {"categories": np.array(WORLD_CATEGORIES[:num_categories])}
    for name, keep, n, split in (
        ("train", within < train_instances, per_instance, 0),
        ("val", within >= train_instances, heldout_per_instance, 1),
    ):
        index = np.flatnonzero(keep)
        images, labels, ids, _, _ = world_images(seed, [instances[i] for i in index], n, size, split)
        out.update({f"{name}_images": images, f"{name}_labels": labels, f"{name}_instances": index[ids]})
    return out


def _video_views(rng: np.random.Generator, u: np.ndarray, size: int) -> tuple[list[View], np.ndarray]:
    """The view of every frame of a world video (``u``: the frames' times in [0, 1]) and the object's centre
    (Tx2): tilt, tilt axis, roll, scale and lighting as ``world_video`` describes them."""

    def wave(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi) * np.sin(2 * np.pi * rng.uniform(0.5, 1.2) * u + rng.uniform(0, 2 * np.pi))

    phi = MAX_TILT * 0.5 * (1 - np.cos(2 * np.pi * rng.uniform(0.75, 1.5) * u + rng.uniform(0, np.pi)))
    psi = rng.uniform(0, np.pi) + rng.uniform(-np.pi / 4, np.pi / 4) * u
    angle = rng.uniform(-MAX_ROLL, MAX_ROLL) * 0.5 + wave(0.0, MAX_ROLL * 0.5)
    scale = rng.uniform(0.22, 0.3) * size * np.exp(wave(0.1, 0.27))
    center = size / 2 + rng.uniform(-0.12, 0.12, 2) * size + np.outer(u, rng.uniform(-0.12, 0.12, 2) * size)
    b0, b1, tau = rng.uniform(0.6, 1.3), rng.uniform(0.6, 1.3), rng.uniform(-0.2, 0.2)
    g, gam0, dgam = rng.uniform(0, 0.5), rng.uniform(0, 2 * np.pi), rng.choice([-1, 1]) * rng.uniform(np.pi / 2, np.pi)
    views = [
        View(
            angle=angle[t],
            phi=phi[t],
            psi=psi[t],
            scale=scale[t],
            brightness=b0 + (b1 - b0) * u[t],
            tau=tau * (1 - 2 * u[t]),
            ramp=g,
            ramp_angle=gam0 + dgam * u[t],
        )
        for t in range(len(u))
    ]
    return views, center


def _video_occluder(rng: np.random.Generator, occluders: list[np.ndarray], u: np.ndarray, size: int):
    """The occluder of a world video: its texture (size x size x 3) and the bar it covers in every frame (a
    list of size x size bool masks, empty outside the half of the video in which it crosses the frame)."""
    occ = background_window(rng, occluders, size)
    beta = rng.uniform(0, 2 * np.pi)
    width = rng.uniform(0.18, 0.28) * size
    t0 = rng.uniform(0, 0.5)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    proj = (xx - size / 2) * np.cos(beta) + (yy - size / 2) * np.sin(beta)
    reach = size * 0.75 + width  # the bar's travel covers the frame
    bars = []
    for s in (u - t0) / 0.5:  # the bar's progress in [0, 1]
        front = -reach + 2 * reach * s
        bars.append((proj < front) & (proj > front - width) if 0 <= s <= 1 else np.zeros((size, size), bool))
    return occ, bars


def world_video(
    seed: int,
    inst: Instance,
    pool: list[np.ndarray],
    num_frames: int,
    size: int,
    occluders: list[np.ndarray] | None = None,
    pace: float = 1.0,
) -> sy.SyntheticVideo:
    """A video of one instance (TrackingNet shows one target per video) undergoing Section A's transformations
    over time, with its ground truth (``synthetic.SyntheticVideo``, M = 1). Over a whole view trajectory:

      * viewpoint: the tilt phi goes 0 -> ``MAX_TILT`` and back 0.75-1.5 times about an axis that turns
        by up to 90 degrees, and the in-plane angle drifts within +-``MAX_ROLL``;
      * illumination: brightness b0 -> b1 (0.6-1.3), colour temperature tau -> -tau (|tau| <= 0.2) and a
        gradient whose direction turns by 90-180 degrees; scale: x0.75-1.3 and back; a slow drift;
      * occlusion: a bar of an occluder texture (default ``occluder_pool(seed, 2 * size)``), 18-28% of the
        frame wide, crosses the whole frame once, in a random direction, during a random half of the video.

    The video shows the first share ``pace`` of the view trajectory (0.5: every view factor at half these
    rates; the occluder unaffected). ``masks[t, 0]`` is the object's full (amodal) shape, ``labels[t]`` 0
    where it is seen, ``visible_fraction`` their ratio, boxes the masks' extents (x, y, w, h); the backdrop
    window pans by up to 8% of the frame (unseen on the plain backdrop).
    """
    T = sy._check_int("num_frames", num_frames, 2)
    if not pace > 0:
        raise ConfigError(f"world_video_pace must be > 0 (1.0 = the whole view trajectory), got {pace}")
    rng = np.random.default_rng([seed, 0x71DE0])
    u = np.arange(T) / (T - 1)
    views, center = _video_views(rng, pace * u, size)
    pad = int(np.ceil(0.08 * size))
    bg_full = background_window(rng, pool, size + 2 * pad)
    pan = rng.uniform(0, 2 * pad, 2)
    occ, bars = _video_occluder(rng, occluder_pool(seed, 2 * size) if occluders is None else occluders, u, size)
    frames = np.zeros((T, size, size, 3), np.uint8)
    backgrounds = np.zeros_like(frames)
    masks = np.zeros((T, 1, size, size), bool)
    labels = np.full((T, size, size), -1, np.int8)
    frac = np.zeros((T, 1), np.float32)
    boxes = np.zeros((T, 1, 4), np.float32)
    for t, (v, bar) in enumerate(zip(views, bars)):
        dx, dy = (pan * u[t]).astype(int)
        bg = bg_full[dy : dy + size, dx : dx + size].copy()
        canvas = bg.copy()
        mask = draw(canvas, inst, view_pose(center[t], v), v.phi, offset=size // 2)
        canvas[bar], bg[bar] = occ[bar], occ[bar]
        seen = mask & ~bar
        full = sy.raster(inst.ops, view_pose(center[t] + size // 2, v), 2 * size, 2 * size).sum()
        frames[t], backgrounds[t] = sy._to_uint8(relight(canvas, v)), sy._to_uint8(relight(bg, v))
        masks[t, 0], labels[t][seen] = mask, 0
        frac[t, 0] = seen.sum() / max(full, 1)
        boxes[t, 0] = sy.mask_box(mask)
    visible, names = frac >= sy.VISIBLE_MIN_FRACTION, [WORLD_CATEGORIES[inst.category]]
    return sy.SyntheticVideo(frames, boxes, visible, frac, masks, labels, backgrounds, names, np.zeros(1, np.int64))


def _trajectory_items(
    kind: str, rng: np.random.Generator, size: int, inst: Instance, others: list[Instance], v0: View, u: np.ndarray
) -> list[tuple[Instance, View]]:
    """What each image of one ``world_trajectories`` trajectory shows, (instance, view), from the base view
    ``v0`` over times ``u``; the occlusion trajectory renders one image that its bar then slides over."""
    if kind == "viewpoint":
        tilt, psi = rng.uniform(np.pi / 4, MAX_TILT), rng.uniform(0, np.pi)
        turn = rng.choice([-1, 1]) * rng.uniform(np.pi / 12, np.pi / 6)
        return [(inst, replace(v0, phi=tilt * x, psi=psi, angle=v0.angle + turn * x)) for x in u]
    if kind == "illumination":
        v1 = random_view(rng, size)
        return [
            (
                inst,
                replace(
                    v0,
                    brightness=v0.brightness + (v1.brightness - v0.brightness) * x,
                    tau=v0.tau + (v1.tau - v0.tau) * x,
                    ramp=max(v0.ramp, 0.3),
                    ramp_angle=v0.ramp_angle + np.pi * x,
                ),
            )
            for x in u
        ]
    if kind == "instance":
        return [(other, v0) for other in others]
    return [(inst, v0)]  # occlusion


def world_trajectories(
    seed: int,
    num_categories: int,
    per_category: int,
    trajectory_len: int,
    size: int,
    transformations=WORLD_TRANSFORMATIONS,
) -> dict:
    """(d) Section A's trajectories in the world, on instances that no training still shows (their own
    random stream): for each category and each of ``per_category`` instances, one trajectory of
    ``trajectory_len`` images per transformation, the other factors held fixed:

      * "viewpoint": the tilt goes 0 -> 45-70 degrees about a random axis while the object turns in plane
        by 15-30 degrees (appearance changes, position and light do not);
      * "illumination": brightness, colour temperature and a turning gradient over the whole image;
      * "occlusion": a textured bar covers a growing part of the object (``synthetic`` (d)'s occluder);
      * "instance": ``trajectory_len`` different instances of the category, each at the same view, place,
        background and light (the category-instance variation of PASCAL3D+ in the paper).

    Returns the dict of ``synthetic.transformation_trajectories`` (same keys and order conventions).
    """
    L = sy._check_int("trajectory_len", trajectory_len, 2, fix="a trajectory needs at least two images")
    bad = [t for t in transformations if t not in WORLD_TRANSFORMATIONS]
    if bad or not transformations:
        raise ConfigError(f"transformations must be among {', '.join(WORLD_TRANSFORMATIONS)}, got {transformations!r}")
    insts = world_instances(seed + 7919, num_categories, per_category + L, 2 * size)
    pool = background_pool(seed, 2 * size)
    rng = np.random.default_rng([seed, 0x7A1])
    trajectories = []
    u = np.arange(L) / (L - 1)
    for c in range(num_categories):
        mine = insts[c * (per_category + L) : (c + 1) * (per_category + L)]
        for inst in mine[:per_category]:
            v0 = replace(random_view(rng, size), phi=0.0)
            bg = background_window(rng, pool, size)
            A = sy._fit(inst.ops, view_pose((0, 0), v0), size, rng, margin=2.0)
            center = A[:, 2].copy()
            for kind in transformations:
                others = mine[per_category : per_category + L]
                items = _trajectory_items(kind, rng, size, inst, others, v0, u)
                images, masks = [], []
                for obj, v in items:
                    canvas = bg.copy()
                    masks.append(draw(canvas, obj, view_pose(center, v), v.phi, offset=size // 2))
                    images.append(sy._to_uint8(relight(canvas, v)))
                fracs = np.zeros(L, np.float32)
                if kind == "occlusion":
                    avoid = [images[0][masks[0]].mean(0), bg.reshape(-1, 3).mean(0)]
                    images, masks, fracs = sy._occlusion(rng, images[0], masks[0], L, size, avoid)
                trajectories.append((c, kind, images, masks, fracs))
    return sy.stack_trajectories(trajectories, WORLD_CATEGORIES[:num_categories])


PART_BANDS = ("top", "middle", "bottom")  # (c) the parts of every world object (``world_part_objects``)


def part_bands(inst: Instance, A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The part map of ``inst`` drawn at pose ``A`` with ``mask``: 0 off the object, else 1 + the band of
    ``PART_BANDS`` that holds the pixel, the thirds of the outline's height along its own (local) y axis."""
    ys = sy._outline(inst.ops)[:, 1]
    cuts = ys.min() + (ys.max() - ys.min()) * np.array([1 / 3, 2 / 3])
    rows, cols = np.nonzero(mask)
    local = np.linalg.solve(A[:, :2], np.stack([cols, rows]).astype(np.float64) - A[:, 2:])  # local: 2 x P
    out = np.zeros(mask.shape, np.uint8)
    out[rows, cols] = 1 + np.searchsorted(cuts, local[1])
    return out


def world_part_objects(seed: int, num_categories: int, per_category: int, size: int) -> sy.PartObjects:
    """(c) Part-annotated objects of the world: ``per_category`` objects of each category, each a fresh
    instance (an instance stream of its own: no training still, video, held-out still or trajectory shows
    it), drawn as a world still (``render_still``: roll within ``MAX_ROLL``, tilt up to ``MAX_TILT`` about any
    axis, the stills' illumination, the plain backdrop) and annotated with ``PART_BANDS``: the top, middle
    and bottom thirds of the object in its own frame (``part_bands``). Finding them needs the outline and
    the pose, as Pascal-Part's head, torso and legs of a person do.

    Ground truth as ``synthetic.part_objects``: ``masks`` 0 off the object and part id p (1-based) on it,
    ``labels[i] = i % num_categories``, ``images`` equal ``backgrounds`` where ``masks == 0``.
    """
    sy._check_int("per_category", per_category, 1)
    insts = world_instances(seed + 104_729, num_categories, per_category, 2 * size)
    pool = background_pool(seed, 2 * size)
    rng = np.random.default_rng([seed, 0x9A7])
    N = num_categories * per_category
    labels = np.arange(N, dtype=np.int64) % num_categories
    images = np.zeros((N, size, size, 3), np.uint8)
    backgrounds, masks = np.zeros_like(images), np.zeros((N, size, size), np.uint8)
    for i in range(N):
        inst = insts[labels[i] * per_category + i // num_categories]
        images[i], mask, backgrounds[i], A = render_still(rng, inst, pool, size)
        masks[i] = part_bands(inst, A, mask)
    names = list(WORLD_CATEGORIES[:num_categories])
    return sy.PartObjects(images, masks, labels, names, [list(PART_BANDS)] * num_categories, backgrounds)


def write_world_videos(
    root,
    split: str,
    seed: int,
    categories: int,
    instances: int,
    train_instances: int,
    n: int,
    frames: int,
    size: int,
    pace: float,
) -> dict[str, int]:
    """``n`` world videos (video v shows training instance v mod (categories x train_instances), in an order
    that cycles through the categories; ``pace``: see ``world_video``) in the TrackingNet layout under
    ``root/split`` (``frames/``, ``anno/`` with the object's box), with the ground truth in
    ``objects/<seq>.npz`` (boxes, visible, category). Returns {sequence: frames}."""
    check_world(categories, instances, train_instances)
    insts = world_instances(seed, categories, instances, 2 * size)
    train = [insts[c * instances + i] for i in range(train_instances) for c in range(categories)]
    pool, occluders = background_pool(seed + 1, 2 * size), occluder_pool(seed + 1, 2 * size)
    written = {}
    for v in range(n):
        inst = train[v % len(train)]
        video = world_video(seed * 1000 + v, inst, pool, frames, size, occluders, pace)
        seq = f"world_{v:03d}"
        write_trackingnet_sequence(root, split, seq, video.frames, video.boxes[:, 0])
        save_npz(
            root / split / "objects" / f"{seq}.npz",
            boxes=video.boxes,
            visible=video.visible,
            category=np.int64(inst.category),
        )
        written[seq] = frames
    return written
