"""Colours and procedural textures for the synthetic sample data (``synthetic.py``).

Every function takes a ``numpy.random.Generator`` and draws all its randomness from it, so a generator
seeded once gives bitwise identical textures. Textures are float32 ``H x W x 3`` arrays in [0, 255]
(RGB); they are made once per object (a "sprite") and then warped with the object, so an object keeps
its appearance while it moves, turns and scales.
"""

from __future__ import annotations

import cv2
import numpy as np

# Texture families. An object's appearance is (family, colours, period, orientation, phase).
TEXTURE_KINDS = ("stripes", "checker", "dots", "blobs", "gradient", "waves", "plaid", "rings")


def hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    """One colour: hue in [0, 1) (wraps), saturation and value in [0, 1] -> RGB float32 in [0, 255]."""
    h = (h % 1.0) * 6.0
    i, f = int(h) % 6, h - int(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array(rgb, np.float32) * 255.0


def random_color(
    rng: np.random.Generator, saturation=(0.45, 1.0), value=(0.45, 1.0), hue: float | None = None
) -> np.ndarray:
    """A random RGB colour (float32, [0, 255]); ``hue`` fixes the hue instead of drawing it."""
    h = rng.uniform(0.0, 1.0) if hue is None else hue
    return hsv_to_rgb(h, rng.uniform(*saturation), rng.uniform(*value))


def companion(rng: np.random.Generator, color: np.ndarray, contrast: float = 0.45) -> np.ndarray:
    """A second colour for a two-tone texture: the same hue family, brighter or darker by ``contrast``."""
    sign = 1.0 if color.mean() < 128 else -1.0
    other = color + sign * contrast * 255.0 * rng.uniform(0.7, 1.0)
    other += rng.normal(0.0, 12.0, 3)  # a slight hue shift
    return np.clip(other, 0, 255).astype(np.float32)


def _weights(rng: np.random.Generator, kind: str, h: int, w: int, period: float) -> np.ndarray:
    """A pattern of weights in [0, 1] (H x W float32) of texture family ``kind``."""
    a = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(a) + yy * np.sin(a)  # rotated coordinates
    v = -xx * np.sin(a) + yy * np.cos(a)
    phase = rng.uniform(0, 2 * np.pi)
    k = np.float32(2 * np.pi / period)
    if kind == "stripes":
        return (np.sin(k * u + phase) > rng.uniform(-0.4, 0.4)).astype(np.float32)
    if kind == "checker":
        return ((np.floor(u / period + phase) + np.floor(v / period)) % 2).astype(np.float32)
    if kind == "dots":
        fu, fv = (u / period + phase) % 1.0 - 0.5, (v / period) % 1.0 - 0.5
        return (fu * fu + fv * fv < rng.uniform(0.05, 0.12)).astype(np.float32)
    if kind == "blobs":
        cells = max(2, int(round(max(h, w) / (1.5 * period))))
        low = rng.uniform(0, 1, (cells, cells)).astype(np.float32)
        up = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
        return (up > np.median(up)).astype(np.float32)
    if kind == "gradient":
        span = max(h, w)
        return np.clip(0.5 + (u - u.mean()) / span * rng.uniform(1.0, 1.6), 0, 1)
    if kind == "waves":
        return 0.5 + 0.25 * (np.sin(k * u + phase) + np.sin(0.7 * k * v))
    if kind == "plaid":
        return 0.5 * (np.sin(k * u + phase) > 0) + 0.5 * (np.sin(k * v) > 0)
    if kind == "rings":
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        return (np.sin(k * r + phase) > 0).astype(np.float32)
    raise ValueError(f"unknown texture kind {kind!r}; choose one of {', '.join(TEXTURE_KINDS)}")


def make_texture(
    rng: np.random.Generator,
    height: int,
    width: int,
    colors,
    kind: str | None = None,
    period: float | None = None,
    grain: float = 4.0,
) -> np.ndarray:
    """A two-tone texture: ``colors[0]`` where the pattern is 0, ``colors[1]`` where it is 1, blended
    in between, plus Gaussian grain of std ``grain``. Returns H x W x 3 float32 in [0, 255].

    ``kind`` (one of ``TEXTURE_KINDS``) and ``period`` (pixels) are drawn when not given.
    """
    kind = TEXTURE_KINDS[rng.integers(len(TEXTURE_KINDS))] if kind is None else kind
    period = rng.uniform(4.0, 11.0) if period is None else period
    wgt = _weights(rng, kind, height, width, period)[..., None]  # H x W x 1
    c0, c1 = (np.asarray(c, np.float32) for c in colors[:2])
    tex = c0 * (1 - wgt) + c1 * wgt  # H x W x 3
    if grain > 0:
        tex += np.float32(grain) * rng.standard_normal(tex.shape, dtype=np.float32)
    return np.clip(tex, 0, 255).astype(np.float32)


def random_texture(
    rng: np.random.Generator,
    height: int,
    width: int,
    base: np.ndarray | None = None,
    kind: str | None = None,
    contrast: float = 0.45,
    grain: float = 4.0,
) -> np.ndarray:
    """A texture around one base colour (drawn if not given) and its ``companion``."""
    base = random_color(rng) if base is None else np.asarray(base, np.float32)
    return make_texture(rng, height, width, (base, companion(rng, base, contrast)), kind=kind, grain=grain)


def background(rng: np.random.Generator, height: int, width: int, base: np.ndarray | None = None) -> np.ndarray:
    """A textured background: a muted two-tone texture over a smooth illumination-like shading."""
    base = random_color(rng, saturation=(0.05, 0.6), value=(0.25, 0.9)) if base is None else base
    tex = make_texture(rng, height, width, (base, companion(rng, base, rng.uniform(0.15, 0.35))))
    shade = _weights(rng, "gradient", height, width, 1.0)[..., None]  # H x W x 1 in [0, 1]
    return np.clip(tex * (0.8 + 0.4 * shade), 0, 255).astype(np.float32)


def distinct_textures(
    rng: np.random.Generator,
    n: int,
    height: int,
    width: int,
    avoid=(),
    min_dist: float = 70.0,
    kinds=None,
    saturation=(0.45, 1.0),
    value=(0.45, 1.0),
    contrast: float = 0.4,
    grain: float = 4.0,
    tries: int = 24,
) -> list[np.ndarray]:
    """``n`` textures whose mean colours are at least ``min_dist`` (RGB Euclidean) from each other and
    from the colours in ``avoid`` (e.g. the background's mean), so objects stand out and differ.

    Rejection sampling with a bounded number of tries per texture; when no candidate is far enough the
    farthest one seen is kept, so the call always returns (deterministically). ``kinds[i]`` fixes the
    family of texture ``i``.
    """
    means = [np.asarray(a, np.float32) for a in avoid]
    out: list[np.ndarray] = []
    for i in range(n):
        best, best_d, best_mean = None, -1.0, None
        for _ in range(tries):
            base = random_color(rng, saturation, value)
            tex = random_texture(
                rng, height, width, base, None if kinds is None else kinds[i], contrast, grain=0.0
            )  # grain (zero mean) added below
            mean = tex.reshape(-1, 3).mean(0)
            d = min((float(np.linalg.norm(mean - m)) for m in means), default=np.inf)
            if d > best_d:
                best, best_d, best_mean = tex, d, mean
            if d >= min_dist:
                break
        best += np.float32(grain) * rng.standard_normal(best.shape, dtype=np.float32)
        out.append(np.clip(best, 0, 255))
        means.append(best_mean)
    return out
