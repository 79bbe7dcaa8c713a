"""Fixtures with known answers for Section A: random trajectory data with a naive reference, synthetic
activations whose invariance scores are known in closed form, and tiny fake ALOI / GOT-10k / PASCAL3D+
datasets and sample files written in their real layouts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from repro.rehearse.datasets import write_pascal3d_mat

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def naive():
    """The naive loop references (tests/invariance/naive_invariance.py)."""
    spec = importlib.util.spec_from_file_location("naive_invariance", HERE / "naive_invariance.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_trajectories(
    seed: int, num_classes: int, n: int, lengths=(1, 2, 3, 5, 7), trajectories_per_class=(2, 5), shuffle: bool = True
):
    """Continuous random activations (no ties), trajectories of uneven lengths, non-uniform class
    sizes, ids that are neither contiguous nor sorted, samples in random order."""
    rng = np.random.default_rng(seed)
    traj, labels = [], []
    tid = 0
    for y in range(num_classes):
        for _ in range(rng.integers(*trajectories_per_class, endpoint=True)):
            length = int(rng.choice(lengths))
            traj += [1000 + 7 * tid] * length
            labels += [f"class{y}"] * length
            tid += 1
    traj, labels = np.array(traj), np.array(labels)
    acts = rng.standard_normal((len(traj), n)) + 0.5 * rng.standard_normal((1, n))
    # make units partly trajectory-invariant so local rates are not all trivial
    offsets = {t: rng.standard_normal(n) for t in np.unique(traj)}
    acts += 1.5 * np.stack([offsets[t] for t in traj])
    if shuffle:
        perm = rng.permutation(len(traj))
        acts, traj, labels = acts[perm], traj[perm], labels[perm]
    return acts.astype(np.float32), traj, labels


@pytest.fixture
def make_trajectories():
    return random_trajectories


# --------------------------------------------------------------------------- fake image files
def write_image(path: Path, value: int, size=(24, 32)) -> None:
    """A small colour image whose pixels encode ``value`` (so a test can tell images apart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = value % 256
    img[..., 1] = (value * 7) % 256
    img[..., 2] = np.arange(size[1], dtype=np.uint8)[None, :] * 4
    assert cv2.imwrite(str(path), img)


@pytest.fixture
def fake_aloi(tmp_path):
    """ALOI as its tars unpack: aloi_red2_view/png2/<obj>/<obj>_r<deg>.png,
    aloi_red2_col/png2/<obj>/<obj>_i<temp>.png, aloi_red2_ill/png2/<obj>/<obj>_l<l>c<c>.png;
    3 objects, 4 views / 3 colour temperatures / 2x2 lamp-camera pairs each."""
    root = tmp_path / "ALOI"
    for obj in (1, 2, 10):
        for deg in (0, 5, 10, 15):
            write_image(root / "aloi_red2_view" / "png2" / str(obj) / f"{obj}_r{deg}.png", obj * 100 + deg)
        for temp in (110, 120, 250):
            write_image(root / "aloi_red2_col" / "png2" / str(obj) / f"{obj}_i{temp}.png", obj * 100 + temp)
        for lamp in (1, 2):
            for cam in (1, 3):
                write_image(root / "aloi_red2_ill" / "png2" / str(obj) / f"{obj}_l{lamp}c{cam}.png", obj + lamp)
    return root


def _got_video(root: Path, name: str, covers: list[int], object_class: str, absence=None) -> None:
    d = root / name
    for i, c in enumerate(covers):
        write_image(d / f"{i + 1:08d}.jpg", 10 * c + i, size=(40, 60))
    (d / "groundtruth.txt").write_text("".join(f"{2 + i},3,{20 + i},15\n" for i in range(len(covers))))
    (d / "cover.label").write_text("".join(f"{c}\n" for c in covers))
    (d / "absence.label").write_text("".join(f"{a}\n" for a in (absence or [0] * len(covers))))
    (d / "cut_by_image.label").write_text("".join("0\n" for _ in covers))
    (d / "meta_info.ini").write_text(
        "[METAINFO]\nurl: https://youtu.be/example\nbegin: 00:00:01\nend: 00:00:09\nanno_fps: 10Hz\n"
        f"object_class: {object_class}\nmotion_class: walking\nmajor_class: animal\nroot_class: object\n"
        "motion_adverb: slowly\nresolution: (60, 40)\n"
    )


@pytest.fixture
def fake_got10k(tmp_path):
    """GOT-10k train split: train/list.txt and GOT-10k_Train_<6 digits>/ with 8-digit 1-based frames,
    groundtruth.txt, cover.label (0..8), absence.label, cut_by_image.label, meta_info.ini. Video 1 spans
    cover levels 2..8 (kept), video 2 only 6..8 (range < 4: dropped), video 3 0..8 with an absent frame."""
    root = tmp_path / "GOT-10k"
    train = root / "train"
    _got_video(train, "GOT-10k_Train_000001", [8, 8, 5, 5, 2, 8], "giant panda")
    _got_video(train, "GOT-10k_Train_000002", [8, 7, 6, 8], "sea lion")
    _got_video(train, "GOT-10k_Train_000003", [8, 4, 0, 4, 8], "sea lion", absence=[0, 0, 1, 0, 0])
    (train / "list.txt").write_text("GOT-10k_Train_000001\nGOT-10k_Train_000002\nGOT-10k_Train_000003\n")
    return root


@pytest.fixture
def fake_pascal3d(tmp_path):
    """PASCAL3D+_release1.1: Annotations/<cls>_{imagenet,pascal}/<name>.mat, Images/<cls>_imagenet/<name>.JPEG,
    Images/<cls>_pascal/<name>.jpg. Returns the root and the expected (class, azimuth, elevation) of every
    object that has a viewpoint, in reading order."""
    root = tmp_path / "PASCAL3D+_release1.1"
    expected = []
    plan = {
        ("car", "imagenet"): [("n1", [(10, 5)]), ("n2", [(40, 5)]), ("n3", [(200, 35)]), ("n4", [(15, 7)])],
        ("car", "pascal"): [("2008_000001", [(70, 10), None])],
        ("boat", "imagenet"): [("b1", [(10, 5)]), ("b2", [(95, 40)])],
    }
    for (cls, subset), files in plan.items():
        ext = "JPEG" if subset == "imagenet" else "jpg"
        for name, views in files:
            objects = []
            for j, v in enumerate(views):
                if v is None:
                    objects.append({"class": "person", "bbox": [1, 1, 5, 5], "azimuth": None})
                    continue
                objects.append({"class": cls, "bbox": [2 + j, 3, 30, 25], "azimuth": v[0], "elevation": v[1]})
                expected.append((cls, subset, name, v[0], v[1]))
            write_pascal3d_mat(
                root / "Annotations" / f"{cls}_{subset}" / f"{name}.mat", f"{name}.{ext}", (60, 40), objects
            )
            write_image(root / "Images" / f"{cls}_{subset}" / f"{name}.{ext}", len(expected), size=(40, 60))
    return root, expected


@pytest.fixture
def fake_trajectories_npz(tmp_path):
    """A trajectories.npz as repro.samples writes it: 2 categories x 3 trajectories x 4 samples per
    transformation, 3 transformations."""
    rng = np.random.default_rng(0)
    images, labels, traj, kinds = [], [], [], []
    tid = 0
    for kind in ("viewpoint", "illumination", "occlusion"):
        for y in range(2):
            for _ in range(3):
                for _ in range(4):
                    images.append(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
                    labels.append(y)
                    traj.append(tid)
                    kinds.append(kind)
                tid += 1
    path = tmp_path / "samples" / "trajectories.npz"
    path.parent.mkdir(parents=True)
    np.savez_compressed(
        path,
        images=np.stack(images),
        labels=np.array(labels),
        trajectory_ids=np.array(traj),
        transformations=np.array(kinds),
        categories=np.array(["cube", "ring"]),
    )
    return path


@pytest.fixture
def fake_video_root(tmp_path):
    """Two sequences in the TrackingNet layout (frames/<seq>/<i>.jpg 0-based, anno/<seq>.txt)."""
    root = tmp_path / "trackingnet"
    for seq, n in (("clip_a", 7), ("clip_b", 5)):
        for i in range(n):
            write_image(root / "TRAIN_0" / "frames" / seq / f"{i}.jpg", i + (50 if seq == "clip_b" else 0))
        (root / "TRAIN_0" / "anno").mkdir(parents=True, exist_ok=True)
        (root / "TRAIN_0" / "anno" / f"{seq}.txt").write_text("".join("1,2,20,16\n" for _ in range(n)))
    return root
