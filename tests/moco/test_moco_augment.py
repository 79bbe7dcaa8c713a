"""MoCo v2 augmentation: boxes stay on their content; the batched colour part equals torchvision's kernels."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from repro.moco import color_augment, geometric_augment, sample_color_params
from repro.moco.augment import (
    C_FACTORS,
    C_GRAY,
    C_JITTER,
    C_ORDER,
    C_SIGMA,
    cut_box,
    resized_crop,
    sample_crop,
    sample_crop_for_box,
    visible_fraction,
)
from repro.models import IMAGENET_MEAN, IMAGENET_STD

RED = np.array([255, 0, 0], dtype=np.uint8)


def painted_frame(h=90, w=160, box=(100.0, 20.0, 140.0, 60.0), seed=0):
    """Green-blue noise with a pure red box (no red channel outside it)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[..., 1:] = rng.integers(0, 256, size=(h, w, 2), dtype=np.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    img[y1:y2, x1:x2] = RED
    return img, np.array(box)


@pytest.mark.parametrize("seed", range(25))
def test_box_moves_with_its_content(seed):
    img, box = painted_frame(seed=seed)
    rng = np.random.default_rng(seed)
    out, b = geometric_augment(img, rng, 64, box=box, min_visible=0.5)
    red = out[0].float().numpy()  # red channel: 255 in the box, 0 outside
    x1, y1, x2, y2 = b
    assert 0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64
    inner = red[int(math.ceil(y1)) + 1 : int(y2) - 1, int(math.ceil(x1)) + 1 : int(x2) - 1]
    if inner.size:
        assert inner.min() > 200  # inside the moved box: the red content
    outside = np.ones_like(red, dtype=bool)
    outside[max(int(y1) - 2, 0) : int(math.ceil(y2)) + 2, max(int(x1) - 2, 0) : int(math.ceil(x2)) + 2] = False
    assert red[outside].max() < 30  # no red content away from the box
    assert red.mean() > 0  # the box is (partly) in view


def test_flip_moves_the_box():
    img, box = painted_frame()
    flips = set()
    for seed in range(20):
        out, b = geometric_augment(img, np.random.default_rng(seed), 64, scale=(1.0, 1.0), box=box)
        flips.add(bool(b[0] < 32))  # box is right of centre unless flipped
        cx = int((b[0] + b[2]) / 2)
        cy = int((b[1] + b[3]) / 2)
        assert out[0, cy, cx] > 200
    assert flips == {True, False}


def test_crop_is_resampled_until_it_keeps_the_box():
    rng = np.random.default_rng(0)
    box = np.array([0.0, 0.0, 12.0, 12.0])  # small box in a corner
    for _ in range(200):
        crop = sample_crop_for_box(rng, 90, 160, box, min_visible=0.5)
        assert visible_fraction(box, crop) >= 0.5
    # an impossible requirement falls back to the whole frame, which keeps the box
    assert sample_crop_for_box(rng, 90, 160, box, scale=(0.01, 0.01), min_visible=1.0) == (0, 0, 90, 160)


def test_cut_box_takes_the_whole_pixels_of_the_box():
    img = np.arange(10 * 12 * 3, dtype=np.uint8).reshape(10, 12, 3)
    assert np.array_equal(cut_box(img, np.array([2.3, 1.5, 5.2, 4.0])), img[1:4, 2:6])
    assert np.array_equal(cut_box(img, np.array([-3.0, -2.0, 30.0, 40.0])), img)  # clipped to the image
    assert cut_box(img, np.array([11.5, 9.5, 11.5, 9.5])).shape == (1, 1, 3)  # at least one pixel
    assert cut_box(img, np.array([20.0, 20.0, 25.0, 25.0])).shape == (1, 1, 3)  # outside: the nearest pixel


def test_crop_matches_torchvision_statistics():
    rng = np.random.default_rng(0)
    areas = [h * w / (90 * 160) for _, _, h, w in (sample_crop(rng, 90, 160) for _ in range(2000))]
    assert 0.2 * 0.9 <= min(areas) and max(areas) <= 1.0 + 1e-9
    for _ in range(100):
        t, l, h, w = sample_crop(rng, 90, 160)
        assert 0 <= t and t + h <= 90 and 0 <= l and l + w <= 160


def reference_color(x, p):
    """One image with torchvision's functional ops, in MoCo v2's order."""
    if p[C_JITTER] > 0:
        fns = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
        for op in p[C_ORDER].astype(int):
            x = fns[op](x, float(p[C_FACTORS][op]))
    if p[C_GRAY] > 0:
        x = TF.rgb_to_grayscale(x, num_output_channels=3)
    if p[C_SIGMA] > 0:
        sigma = float(p[C_SIGMA])
        x = TF.gaussian_blur(x, [2 * math.ceil(3 * sigma) + 1] * 2, [sigma, sigma])
    return TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD)


@pytest.mark.parametrize("shape", [(96, 96), (180, 320), (64, 64), (37, 53)])
def test_resized_crop_equals_torchvision_exactly(shape):
    """The loader's crop skips torchvision's dispatch, not its numbers: every pixel as ``TF.resized_crop``,
    for random crops (down- and upsampling) and for a crop already at the output size."""
    rng = np.random.default_rng(3)
    for n in range(200):
        img = torch.from_numpy(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).permute(2, 0, 1)  # as the loader
        size = (32, 64)[n % 2]
        crop = (0, 0, size, size) if n < 2 and min(shape) >= size else sample_crop(rng, *shape)
        assert torch.equal(resized_crop(img, crop, size), TF.resized_crop(img, *crop, [size, size], antialias=True))


def test_resized_crop_equals_torchvision_on_a_cpu_without_the_vectorised_uint8_kernel():
    """Without AVX2 torchvision resizes uint8 in float32 and rounds, which torch's uint8 kernel does not
    reproduce (14,988 of 15,000 random crops differed): there resized_crop must call torchvision."""
    code = (
        "import numpy as np, torch, torchvision.transforms.v2.functional as TF\n"
        "from repro.moco.augment import NATIVE_UINT8_RESIZE, resized_crop, sample_crop\n"
        "rng = np.random.default_rng(0)\n"
        "img = torch.from_numpy(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)).permute(2, 0, 1)\n"
        "crops = [sample_crop(rng, 90, 160) for _ in range(50)]\n"
        "same = all(torch.equal(resized_crop(img, c, 32), TF.resized_crop(img, *c, [32, 32], antialias=True))"
        " for c in crops)\n"
        "print(NATIVE_UINT8_RESIZE, same)\n"
    )
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_batched_color_equals_torchvision_per_image():
    rng = np.random.default_rng(3)
    x = torch.rand(24, 3, 40, 40, generator=torch.Generator().manual_seed(0))
    params = np.stack([sample_color_params(rng, image_size=224) for _ in range(24)])
    assert params[:, C_JITTER].min() == 0 and params[:, C_JITTER].max() == 1
    assert params[:, C_GRAY].max() == 1 and (params[:, C_SIGMA] > 0).any() and (params[:, C_SIGMA] == 0).any()
    out = color_augment(x, torch.from_numpy(params))
    ref = torch.stack([reference_color(x[i], params[i]) for i in range(24)])
    assert torch.allclose(out, ref, atol=2e-4)
    # the input is left untouched and no-op params only normalise
    assert torch.equal(color_augment(x, None), TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD))


def test_color_params_frequencies():
    rng = np.random.default_rng(0)
    p = np.stack([sample_color_params(rng, 64) for _ in range(4000)])
    assert p[:, C_JITTER].mean() == pytest.approx(0.8, abs=0.03)
    assert p[:, C_GRAY].mean() == pytest.approx(0.2, abs=0.03)
    assert (p[:, C_SIGMA] > 0).mean() == pytest.approx(0.5, abs=0.03)
    sig = p[p[:, C_SIGMA] > 0, C_SIGMA]
    assert sig.min() >= 0.1 * 64 / 224 and sig.max() <= 2.0 * 64 / 224  # blur scaled with image size


def test_full_augment_is_deterministic():
    img, box = painted_frame()

    def aug(rng):  # geometric then colour, from one generator
        crop, moved = geometric_augment(img, rng, 32, box=box)
        return color_augment(crop[None], torch.from_numpy(sample_color_params(rng, 32))[None])[0], moved

    a, ba = aug(np.random.default_rng(5))
    b, bb = aug(np.random.default_rng(5))
    assert a.shape == (3, 32, 32) and torch.equal(a, b) and np.array_equal(ba, bb)
