"""MoCo v2 augmentation ("aug+") split into a per-sample geometric part and a batched colour part.

MoCo v2 [10] (official ``main_moco.py --aug-plus``)::

    RandomResizedCrop(224, scale=(0.2, 1.)),
    RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
    RandomGrayscale(p=0.2),
    RandomApply([GaussianBlur([.1, 2.])], p=0.5),
    RandomHorizontalFlip(),
    ToTensor(), Normalize(ImageNet mean, std)

The supplement: "We also use the same hyper-parameters as MOCOv2". Here:

* ``geometric_augment`` (data loading, one image at a time) does the random resized crop and the flip, and
  for patches of Algorithm 1 (``sample_track``) moves a box with the frame: the box is mapped through the
  crop, resize and flip; a crop that keeps less than ``min_visible`` of the box's area is resampled (the
  box "leaves the crop"), and after ``tries`` failures the whole frame is used, which always keeps it. The
  box is clipped to the crop. ``min_visible`` is our choice (the supplement does not describe patch
  augmentation); 0.5 by default. The other reading of Algorithm 1 (``patch_input="crop"``) cuts the box
  out first (``cut_box``) and augments it as an image.
* ``sample_color_params`` draws every colour decision of one view (jitter applied?, the four factors,
  their random order, grayscale?, blur sigma) with the same per-sample generator, and ``color_augment``
  applies them to a whole batch at once on any device (the training step calls it after moving the
  uint8 crops to the GPU). The kernels are torchvision's tensor kernels (``adjust_brightness`` ...,
  ``rgb_to_grayscale``, ``gaussian_blur``); a test compares them one image at a time. The flip, done
  before colour here and after it in MoCo v2, commutes with every colour operation (the blur is
  symmetric), so the order is immaterial.
* Blur sigma: MoCo v2 draws sigma in [0.1, 2.0] pixels at 224 px; at other image sizes we scale it by
  ``image_size / 224`` so that the blur removes the same fraction of the image's detail (at 64 px a
  2-pixel blur would erase most of a small image). At the paper's 224 px this is MoCo v2 exactly.
  Colour jitter on tensors differs from MoCo v2's PIL kernels only by rounding.
"""

from __future__ import annotations

import math
import platform

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from torch import Tensor

from .. import models

MOCO_SCALE = (0.2, 1.0)  # MoCo v2 RandomResizedCrop scale
CROP_RATIO = (3 / 4, 4 / 3)  # torchvision default aspect ratios
JITTER = (0.4, 0.4, 0.4, 0.1)  # ColorJitter(brightness, contrast, saturation, hue)
P_JITTER, P_GRAY, P_BLUR, P_FLIP = 0.8, 0.2, 0.5, 0.5
BLUR_SIGMA = (0.1, 2.0)  # at 224 px
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)

Crop = tuple[int, int, int, int]  # top, left, height, width (pixels)

# colour parameter vector layout (one row per view)
C_JITTER, C_FACTORS, C_ORDER, C_GRAY, C_SIGMA, N_COLOR = 0, slice(1, 5), slice(5, 9), 9, 10, 11


# --------------------------------------------------------------------------- geometry
def sample_crop(rng: np.random.Generator, height: int, width: int, scale=MOCO_SCALE, ratio=CROP_RATIO) -> Crop:
    """``RandomResizedCrop.get_params`` with an explicit generator (10 tries, then a central crop)."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def visible_fraction(box: np.ndarray, crop: Crop) -> float:
    """Fraction of the box's area (x1, y1, x2, y2) inside the crop."""
    top, left, h, w = crop
    ix = max(0.0, min(box[2], left + w) - max(box[0], left))
    iy = max(0.0, min(box[3], top + h) - max(box[1], top))
    area = max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)
    return ix * iy / area if area > 0 else 0.0


def sample_crop_for_box(
    rng: np.random.Generator,
    height: int,
    width: int,
    box: np.ndarray,
    scale=MOCO_SCALE,
    ratio=CROP_RATIO,
    min_visible: float = 0.5,
    tries: int = 10,
) -> Crop:
    """A random resized crop that keeps at least ``min_visible`` of the box; resampled while it does not,
    and the whole frame after ``tries`` failures."""
    for _ in range(tries):
        crop = sample_crop(rng, height, width, scale, ratio)
        if visible_fraction(box, crop) >= min_visible:
            return crop
    return 0, 0, height, width


def cut_box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The pixels of ``box`` (x1, y1, x2, y2, image pixels; widened to whole pixels, clipped, at least one
    pixel) of an HxWx3 image: the patch ``x1_patch`` of Algorithm 1 as an image of its own."""
    height, width = image.shape[:2]
    x1, y1 = (min(max(int(np.floor(v)), 0), n - 1) for v, n in ((box[0], width), (box[1], height)))
    x2, y2 = (min(max(int(np.ceil(v)), lo + 1), n) for v, lo, n in ((box[2], x1, width), (box[3], y1, height)))
    return image[y1:y2, x1:x2]


def transform_box(box: np.ndarray, crop: Crop, size: int, flip: bool) -> np.ndarray:
    """The box (x1, y1, x2, y2, frame pixels) in the size x size output of ``crop`` (+ flip), clipped."""
    top, left, h, w = crop
    x1, x2 = (np.clip([box[0] - left, box[2] - left], 0, w) * (size / w)).tolist()
    y1, y2 = (np.clip([box[1] - top, box[3] - top], 0, h) * (size / h)).tolist()
    if flip:
        x1, x2 = size - x2, size - x1
    return np.array([x1, y1, x2, y2], dtype=np.float32)


# torchvision resizes uint8 with torch's uint8 kernel only where that kernel is vectorised, and in float32
# (then rounded) elsewhere, whose numbers differ; resized_crop calls the kernel directly only where torchvision does
NATIVE_UINT8_RESIZE = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512") or platform.machine() in (
    "aarch64",
    "arm64",
)


def resized_crop(image: Tensor, crop: Crop, size: int) -> Tensor:
    """torchvision's ``resized_crop(image, *crop, [size, size], antialias=True)`` of a 3xHxW uint8 tensor and a
    crop inside it. Where torchvision uses torch's uint8 kernel (``NATIVE_UINT8_RESIZE``: AVX2, AVX512, ARM)
    the kernel is called directly, without torchvision's per-call dispatch (15-20 of its ~40 us a call here,
    and the loader makes 256 calls a batch with tracks); elsewhere torchvision is called. The same numbers
    either way (a test compares the two)."""
    if not NATIVE_UINT8_RESIZE:
        return TF.resized_crop(image, *crop, [size, size], antialias=True)
    top, left, h, w = crop
    x = image[:, top : top + h, left : left + w]  # x: 3 x h x w
    if (h, w) == (size, size):
        return x  # as torchvision: no resampling at the output size
    return F.interpolate(x[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]


def geometric_augment(
    image: np.ndarray | Tensor,
    rng: np.random.Generator,
    size: int,
    scale=MOCO_SCALE,
    box: np.ndarray | None = None,
    min_visible: float = 0.5,
    flip_p: float = P_FLIP,
) -> tuple[Tensor, np.ndarray | None]:
    """Random resized crop to size x size and horizontal flip, moving ``box`` along.

    Args:
        image: HxWx3 uint8 array (or 3xHxW uint8 tensor).
        box: optional (x1, y1, x2, y2) in image pixels; the crop is resampled until it keeps
            ``min_visible`` of the box (see the module docstring).
    Returns: (3 x size x size uint8 tensor, transformed box (float32, 4) or None).
    """
    img = image if isinstance(image, Tensor) else torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    height, width = img.shape[-2:]
    if box is None:
        crop = sample_crop(rng, height, width, scale)
    else:
        box = np.asarray(box, dtype=np.float64)
        crop = sample_crop_for_box(rng, height, width, box, scale, min_visible=min_visible)
    flip = bool(rng.random() < flip_p)
    out = resized_crop(img, crop, size)  # out: 3 x size x size
    if flip:
        out = out.flip(-1)  # torchvision's horizontal_flip
    return out.contiguous(), (None if box is None else transform_box(box, crop, size, flip))


# --------------------------------------------------------------------------- colour
def sample_color_params(
    rng: np.random.Generator,
    image_size: int = 224,
    jitter_p: float = P_JITTER,
    gray_p: float = P_GRAY,
    blur_p: float = P_BLUR,
) -> np.ndarray:
    """Every colour decision of one MoCo v2 view as a float32 vector of length ``N_COLOR``:
    [jitter?, brightness, contrast, saturation, hue, order (4), grayscale?, blur sigma (0 = none)]."""
    p = np.zeros(N_COLOR, dtype=np.float32)
    p[C_FACTORS] = (1.0, 1.0, 1.0, 0.0)
    p[C_ORDER] = np.arange(4)
    if rng.random() < jitter_p:
        b, c, s, h = JITTER
        p[C_JITTER] = 1.0
        p[C_FACTORS] = (
            rng.uniform(1 - b, 1 + b),
            rng.uniform(1 - c, 1 + c),
            rng.uniform(1 - s, 1 + s),
            rng.uniform(-h, h),
        )
        p[C_ORDER] = rng.permutation(4)
    p[C_GRAY] = float(rng.random() < gray_p)
    if rng.random() < blur_p:
        p[C_SIGMA] = rng.uniform(*BLUR_SIGMA) * image_size / 224.0
    return p


def _gray(x: Tensor) -> Tensor:
    r, g, b = x.unbind(dim=-3)
    return (GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b).unsqueeze(-3)


def _rgb2hsv(x: Tensor) -> Tensor:
    # torchvision's _rgb2hsv (transforms/_functional_tensor.py) on a batch
    r, g, b = x.unbind(dim=-3)
    maxc, minc = x.max(dim=-3).values, x.min(dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(x: Tensor) -> Tensor:
    # the closed form of the sector formula of torchvision's _hsv2rgb (same values, a few times faster):
    # channel n in (5, 3, 1) for (r, g, b): v - v*s*clamp(min(k, 4 - k), 0, 1), k = (n + 6h) mod 6
    h, s, v = x.unbind(dim=-3)
    n = torch.tensor([5.0, 3.0, 1.0], device=x.device, dtype=x.dtype).view(3, 1, 1)
    k = torch.remainder(n + 6.0 * h.unsqueeze(-3), 6.0)
    return v.unsqueeze(-3) - (v * s).unsqueeze(-3) * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)


def _adjust(x: Tensor, op: int, f: Tensor) -> Tensor:
    """ColorJitter operation ``op`` (0 brightness, 1 contrast, 2 saturation, 3 hue), factor per image."""
    f4 = f.view(-1, 1, 1, 1)
    if op == 0:
        return (f4 * x).clamp(0, 1)
    if op == 1:
        mean = _gray(x).mean(dim=(-3, -2, -1), keepdim=True)
        return (f4 * x + (1 - f4) * mean).clamp(0, 1)
    if op == 2:
        return (f4 * x + (1 - f4) * _gray(x)).clamp(0, 1)
    hsv = _rgb2hsv(x)
    h = torch.remainder(hsv[:, 0] + f.view(-1, 1, 1), 1.0)
    return _hsv2rgb(torch.stack((h, hsv[:, 1], hsv[:, 2]), dim=1))


def _blur(x: Tensor, sigma: Tensor) -> Tensor:
    """Gaussian blur with a per-image sigma; each kernel is torchvision's (size 2*ceil(3 sigma)+1)."""
    n, c, h, w = x.shape
    radii = torch.ceil(3 * sigma).long().clamp(min=1)
    r = int(min(radii.max(), h - 1, w - 1))
    t = torch.arange(-r, r + 1, device=x.device, dtype=x.dtype)  # taps: 2r+1
    k = torch.exp(-0.5 * (t / sigma.view(-1, 1).to(x.dtype)) ** 2)  # kernels: Nx(2r+1)
    k = k * (t.abs() <= radii.view(-1, 1)).to(x.dtype)  # truncate at own radius
    k = (k / k.sum(dim=1, keepdim=True)).repeat_interleave(c, dim=0)  # kernels: (N*C)x(2r+1)
    y = F.pad(x.reshape(1, n * c, h, w), (r, r, r, r), mode="reflect")
    y = F.conv2d(y, k.view(n * c, 1, 1, -1), groups=n * c)
    y = F.conv2d(y, k.view(n * c, 1, -1, 1), groups=n * c)
    return y.view(n, c, h, w)


def color_augment(x: Tensor, params: Tensor | None, normalize: bool = True) -> Tensor:
    """MoCo v2's colour augmentation on a batch, then ImageNet normalisation.

    Args:
        x: Nx3xHxW uint8 (0..255) or float (0..1) crops.
        params: NxN_COLOR from ``sample_color_params`` (same device), or None for normalisation only.
    Returns: Nx3xHxW float32.
    """
    x = x.float().div_(255.0) if x.dtype == torch.uint8 else x.float().clone()
    if params is not None:
        params = params.to(device=x.device, dtype=torch.float32)
        jitter = params[:, C_JITTER] > 0
        order = params[:, C_ORDER].long()
        for pos in range(4):
            for op in range(4):
                idx = torch.nonzero(jitter & (order[:, pos] == op)).flatten()
                if idx.numel():
                    x[idx] = _adjust(x[idx], op, params[idx, C_FACTORS.start + op])
        idx = torch.nonzero(params[:, C_GRAY] > 0).flatten()
        if idx.numel():
            x[idx] = _gray(x[idx]).expand(-1, 3, -1, -1)
        idx = torch.nonzero(params[:, C_SIGMA] > 0).flatten()
        if idx.numel():
            x[idx] = _blur(x[idx], params[idx, C_SIGMA])
    return models.normalize(x) if normalize else x
