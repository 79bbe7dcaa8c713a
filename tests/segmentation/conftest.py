"""Fixtures with known ground truth for Section C: Pascal-Part .mat files written in the real structure,
a tiny VOC layout, synthetic part-annotated objects, and a linearly separable decoder problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repro.rehearse.datasets import write_part_mat


def box_mask(shape, y0, x0, y1, x1) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


@pytest.fixture
def voc_parts(tmp_path):
    """A tiny Pascal-Part + VOC2010 layout with known content.

    train: img_a (a cow with head/torso/4 leg parts and an uncovered strip, a person without parts, a boat),
           img_b (a car with wheel_1, wheel_2, window_1 and an unknown part 'spoiler'),
           img_c (annotation but no image), img_d (image but no annotation)
    val:   img_e (a cow), img_f (a corrupt .mat)
    """
    import cv2

    root, voc = tmp_path / "PascalParts", tmp_path / "VOC2010"
    H, W = 60, 80
    rng = np.random.default_rng(0)

    def image(name):
        img = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
        (voc / "JPEGImages").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(voc / "JPEGImages" / f"{name}.jpg"), img)

    cow = box_mask((H, W), 10, 20, 40, 60)  # 30 x 40 object
    cow_parts = [
        ("head", box_mask((H, W), 10, 20, 20, 30)),
        ("torso", box_mask((H, W), 10, 30, 30, 60)),
        ("lfuleg", box_mask((H, W), 30, 30, 40, 35)),
        ("lflleg", box_mask((H, W), 30, 35, 40, 40)),
        ("rbuleg", box_mask((H, W), 30, 50, 40, 55)),
        ("rblleg", box_mask((H, W), 30, 55, 40, 60)),
    ]
    person = box_mask((H, W), 5, 2, 50, 15)
    write_part_mat(
        root / "Annotations_Part" / "img_a.mat",
        "img_a",
        [
            dict({"class": "cow", "class_ind": 10, "mask": cow, "parts": cow_parts}),
            dict({"class": "person", "class_ind": 15, "mask": person, "parts": []}),
            dict({"class": "boat", "class_ind": 4, "mask": box_mask((H, W), 50, 60, 58, 78), "parts": []}),
        ],
    )
    image("img_a")
    car = box_mask((H, W), 20, 10, 50, 70)
    write_part_mat(
        root / "Annotations_Part" / "img_b.mat",
        "img_b",
        [
            dict(
                {
                    "class": "car",
                    "class_ind": 7,
                    "mask": car,
                    "parts": [
                        ("wheel_1", box_mask((H, W), 40, 10, 50, 20)),
                        ("wheel_2", box_mask((H, W), 40, 60, 50, 70)),
                        ("window_1", box_mask((H, W), 20, 30, 30, 50)),
                        ("spoiler", box_mask((H, W), 20, 60, 25, 70)),
                    ],
                }
            )
        ],
    )
    image("img_b")
    write_part_mat(
        root / "Annotations_Part" / "img_c.mat",
        "img_c",
        [dict({"class": "cow", "class_ind": 10, "mask": cow, "parts": cow_parts})],
    )
    image("img_d")
    write_part_mat(
        root / "Annotations_Part" / "img_e.mat",
        "img_e",
        [dict({"class": "cow", "class_ind": 10, "mask": cow, "parts": cow_parts})],
    )
    image("img_e")
    (root / "Annotations_Part" / "img_f.mat").write_bytes(b"not a mat file")
    image("img_f")
    (voc / "ImageSets" / "Main").mkdir(parents=True)
    (voc / "ImageSets" / "Main" / "train.txt").write_text("img_a\nimg_b\nimg_c\nimg_d\n")
    (voc / "ImageSets" / "Main" / "val.txt").write_text("img_e\nimg_f\n")
    return dict(root=root, voc=voc, shape=(H, W), cow=cow, cow_parts=cow_parts, car=car)


def make_parts(seed: int, per_category: int, size: int = 32):
    """Synthetic part-annotated objects with known parts, in the layout of ``samples/parts.npz``.

    Category 0 "vbar": a rectangle whose top half is part 1 and bottom half part 2. Category 1 "hbar": left
    half part 1, right half part 2, and a square part 3 in the middle. Random size and position, textured.
    """
    rng = np.random.default_rng(seed)
    images, masks, labels = [], [], []
    for c in range(2):
        for _ in range(per_category):
            img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            m = np.zeros((size, size), np.uint8)
            h, w = rng.integers(size // 3, size - 4, 2)
            y, x = rng.integers(0, size - h), rng.integers(0, size - w)
            if c == 0:
                m[y : y + h // 2, x : x + w] = 1
                m[y + h // 2 : y + h, x : x + w] = 2
            else:
                m[y : y + h, x : x + w // 2] = 1
                m[y : y + h, x + w // 2 : x + w] = 2
                m[y + h // 3 : y + 2 * h // 3, x + w // 3 : x + 2 * w // 3] = 3
            img[m == 1] = (200, 40, 40)
            img[m == 2] = (40, 200, 40)
            img[m == 3] = (40, 40, 200)
            images.append(img)
            masks.append(m)
            labels.append(c)
    return np.stack(images), np.stack(masks), np.array(labels, np.int64)


def write_parts_npz(path: Path, per_category: int = 8, val_per_category: int = 4, size: int = 32) -> None:
    ti, tm, tl = make_parts(0, per_category, size)
    vi, vm, vl = make_parts(1, val_per_category, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        train_images=ti,
        train_masks=tm,
        train_labels=tl,
        val_images=vi,
        val_masks=vm,
        val_labels=vl,
        categories=np.array(["vbar", "hbar"]),
        part_names=np.array([["top", "bottom", ""], ["left", "right", "centre"]]),
    )


@pytest.fixture
def parts_cache(tmp_path):
    """A cache folder with a tiny samples/parts.npz and repro checkpoints of two modes (random ResNet-18s)."""
    import torch
    import torchvision

    cache = tmp_path / "cache"
    write_parts_npz(cache / "samples" / "parts.npz")
    for i, mode in enumerate(("supervised", "images")):
        torch.manual_seed(100 + i)
        sd = torchvision.models.resnet18(weights=None).state_dict()
        (cache / "checkpoints" / mode).mkdir(parents=True)
        torch.save(
            {"format": "repro", "arch": "resnet18", "mode": mode, "model": sd},
            cache / "checkpoints" / mode / "checkpoint.pt",
        )
    return cache


@pytest.fixture
def separable():
    """A decoder problem with a known answer: a latent k in {0..3} is written in a 16-d vector (one-hot x 3
    plus noise); the target 16 x 16 map is background except quadrant k, labelled 1 + k % 2."""
    import torch

    def draw(n, seed):
        g = torch.Generator().manual_seed(seed)
        k = torch.randint(0, 4, (n,), generator=g)
        z = torch.nn.functional.one_hot(k, 16).float() * 3 + 0.3 * torch.randn(n, 16, generator=g)
        y = torch.zeros(n, 16, 16, dtype=torch.long)
        for i, ki in enumerate(k.tolist()):
            r, c = divmod(ki, 2)
            y[i, r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8] = 1 + ki % 2
        return z, y

    return draw(96, 0), draw(32, 1)


@pytest.fixture
def part_mat_writer():
    return write_part_mat


@pytest.fixture
def parts_npz_writer():
    return write_parts_npz
