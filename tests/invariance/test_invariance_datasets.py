"""Trajectory datasets: the readers on tiny fake ALOI / GOT-10k / PASCAL3D+ trees in their real layouts,
the sample-data and video sources."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from repro.config import Config
from repro.data.layouts import describe
from repro.errors import DatasetLayoutError, MissingArtifactError
from repro.invariance import datasets as D


def _groups(ds):
    """{trajectory id: sorted list of sample indices}."""
    out = {}
    for i, t in enumerate(ds.trajectory_ids.tolist()):
        out.setdefault(t, []).append(i)
    return out


# --------------------------------------------------------------------------- ALOI
@pytest.mark.parametrize(
    "transformation,per_object,first",
    [
        ("viewpoint", 4, ["1_r0.png", "1_r5.png", "1_r10.png", "1_r15.png"]),
        ("illumination_color", 3, ["1_i110.png", "1_i120.png", "1_i250.png"]),
        ("illumination_direction", 4, ["1_l1c1.png", "1_l1c3.png", "1_l2c1.png", "1_l2c3.png"]),
    ],
)
def test_aloi_one_trajectory_per_object(fake_aloi, transformation, per_object, first):
    ds = D.aloi_trajectories(fake_aloi, transformation)
    assert len(ds) == 3 * per_object and ds.num_trajectories == 3
    assert ds.categories == ("1", "10", "2")  # objects, sorted as strings
    groups = _groups(ds)
    assert [len(g) for g in groups.values()] == [per_object] * 3
    assert [p.rsplit("/", 1)[1] for p in ds.paths[:per_object]] == first  # numeric order of the key
    # each object is its own class (the released script: 'classes': allinstances)
    for g in groups.values():
        assert len(set(ds.labels[g].tolist())) == 1
    assert len(set(ds.labels.tolist())) == 3
    img = ds.image(0)
    assert img.shape == (24, 32, 3) and img.dtype == np.uint8


def test_aloi_accepts_the_released_readme_layout(fake_aloi, tmp_path):
    alt = tmp_path / "alt"
    shutil.copytree(fake_aloi / "aloi_red2_view" / "png2", alt / "ALOI_viewpoint")
    ds = D.aloi_trajectories(alt, "viewpoint", max_objects=2)
    assert ds.num_trajectories == 2 and len(ds) == 8


@pytest.mark.parametrize("folder", ["aloi_red4_view/png4", "png4", "aloi_view/png", "png", "aloi_red2_view"])
def test_aloi_accepts_every_resolution_as_its_tar_unpacks(fake_aloi, tmp_path, folder):
    shutil.copytree(fake_aloi / "aloi_red2_view" / "png2", tmp_path / "root" / folder)
    ds = D.aloi_trajectories(tmp_path / "root", "viewpoint", max_objects=2)
    assert ds.num_trajectories == 2 and len(ds) == 8 and folder in ds.paths[0]


def test_aloi_prefers_half_resolution_and_says_the_layout_of_the_early_check(fake_aloi, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(fake_aloi / "aloi_red2_view" / "png2", root / "aloi_red2_view" / "png2")
    shutil.copytree(fake_aloi / "aloi_red2_view" / "png2", root / "aloi_red4_view" / "png4")
    assert "/png2/" in D.aloi_trajectories(root, "viewpoint").paths[0]
    with pytest.raises(DatasetLayoutError) as err:
        D.aloi_trajectories(tmp_path / "nowhere", "viewpoint")
    assert describe("aloi_root") in str(err.value)


def test_aloi_bad_roots(tmp_path, fake_aloi):
    with pytest.raises(DatasetLayoutError, match=r"(?s)no ALOI viewpoint images.*aloi_red2_view/png2/<object"):
        D.aloi_trajectories(tmp_path / "nowhere", "viewpoint")
    (tmp_path / "empty" / "aloi_red2_view" / "png2" / "1").mkdir(parents=True)
    (tmp_path / "empty" / "aloi_red2_view" / "png2" / "1" / "notes.txt").write_text("x")
    with pytest.raises(DatasetLayoutError, match="expected layout"):
        D.aloi_trajectories(tmp_path / "empty", "viewpoint")
    with pytest.raises(ValueError, match="unknown ALOI transformation"):
        D.aloi_trajectories(fake_aloi, "colour")


# --------------------------------------------------------------------------- GOT-10k
def test_got10k_one_frame_per_cover_level(fake_got10k):
    ds = D.got10k_trajectories(fake_got10k)
    # video 2 spans cover 6..8 (< 4 levels apart): skipped, as in the released script
    assert ds.num_trajectories == 2 and len(ds) == 6
    assert ds.categories == ("giant_panda", "sea_lion")
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.info["cover"].tolist() == [2, 5, 8, 0, 4, 8]
    for i, path in enumerate(ds.paths):
        video = path.split("/")[-2]
        frame = int(path.rsplit("/", 1)[1].split(".")[0]) - 1  # 1-based, 8 digits
        cover = [int(v) for v in (fake_got10k / "train" / video / "cover.label").read_text().split()]
        assert cover[frame] == ds.info["cover"][i]
        assert ds.boxes[i].tolist() == [2 + frame, 3, 20 + frame, 15]  # groundtruth of that frame
    assert ds.image(0).shape == (15, int(ds.boxes[0, 2]), 3)  # cropped to the box


def test_got10k_is_deterministic_and_accepts_the_train_folder(fake_got10k):
    a = D.got10k_trajectories(fake_got10k)
    b = D.got10k_trajectories(fake_got10k / "train")
    assert a.paths == b.paths
    assert D.got10k_trajectories(fake_got10k, min_cover_range=2).num_trajectories == 3


def test_got10k_bad_layouts(fake_got10k, tmp_path):
    with pytest.raises(DatasetLayoutError, match="(?s)no GOT-10k video.*meta_info.ini"):
        D.got10k_trajectories(tmp_path / "nothing")
    (fake_got10k / "train" / "GOT-10k_Train_000001" / "meta_info.ini").unlink()
    with pytest.raises(DatasetLayoutError, match=r"GOT-10k_Train_000001 lacks \['meta_info.ini'\]"):
        D.got10k_trajectories(fake_got10k)


# --------------------------------------------------------------------------- PASCAL3D+
def test_pascal3d_instance_trajectories(fake_pascal3d):
    root, expected = fake_pascal3d
    ds = D.pascal3d_trajectories(root, "instance")
    names = [p.rsplit("/", 1)[1] for p in ds.paths]
    assert names == ["b1.JPEG", "b2.JPEG", "n1.JPEG", "n2.JPEG", "n3.JPEG", "n4.JPEG", "2008_000001.jpg"]
    assert ds.categories == ("boat", "car")
    # (class, (az mod 180)//30, (el mod 90)//30): car n1 (10,5) and n4 (15,7) share bin (0,0);
    # n3 (200,35) -> (0,1); n2 -> (1,0); the pascal car (70,10) -> (2,0); boats (0,0) and (3,1)
    groups = sorted(sorted(names[i] for i in g) for g in _groups(ds).values())
    assert groups == [["2008_000001.jpg"], ["b1.JPEG"], ["b2.JPEG"], ["n1.JPEG", "n4.JPEG"], ["n2.JPEG"], ["n3.JPEG"]]
    assert ds.boxes[0].tolist() == [2, 3, 28, 22]  # [x1 y1 x2 y2] -> x, y, w, h
    assert ds.info["azimuth"].tolist() == [e[3] for e in sorted(expected, key=lambda e: (e[0], e[1]))]
    assert ds.image(0).shape == (22, 28, 3)


def test_pascal3d_viewpoint_and_instance_trajectories(fake_pascal3d):
    root, _ = fake_pascal3d
    ds = D.pascal3d_trajectories(root, "viewpoint+instance")
    names = [p.rsplit("/", 1)[1] for p in ds.paths]
    # the k-th object of every azimuth bin of a class forms trajectory k
    groups = sorted(sorted(names[i] for i in g) for g in _groups(ds).values())
    assert groups == [["2008_000001.jpg", "n1.JPEG", "n2.JPEG"], ["b1.JPEG", "b2.JPEG"], ["n3.JPEG"], ["n4.JPEG"]]
    only_imagenet = D.pascal3d_trajectories(root, "instance", subsets=("imagenet",), classes=("car",))
    assert len(only_imagenet) == 4


def test_pascal3d_bad_inputs(fake_pascal3d, tmp_path):
    root, _ = fake_pascal3d
    with pytest.raises(DatasetLayoutError, match=r"(?s)no annotation folders.*Annotations/<class>_imagenet"):
        D.pascal3d_trajectories(tmp_path / "none")
    with pytest.raises(ValueError, match="unknown PASCAL3D\\+ trajectory kind"):
        D.pascal3d_trajectories(root, "viewpoint")
    (root / "Annotations" / "car_imagenet" / "n1.mat").write_bytes(b"not a mat file")
    with pytest.raises(DatasetLayoutError, match="n1.mat is not a PASCAL3D\\+ annotation"):
        D.pascal3d_trajectories(root)


# --------------------------------------------------------------------------- sample data and video
def test_synthetic_trajectories(fake_trajectories_npz):
    assert D.synthetic_transformations(fake_trajectories_npz) == ("viewpoint", "illumination", "occlusion")
    ds = D.synthetic_trajectories(fake_trajectories_npz, "illumination")
    assert len(ds) == 24 and ds.num_trajectories == 6 and ds.categories == ("cube", "ring")
    assert set(ds.trajectory_ids.tolist()) == set(range(6, 12))
    with np.load(fake_trajectories_npz) as f:
        np.testing.assert_array_equal(ds.image(0), f["images"][24])
    with pytest.raises(ValueError, match="no 'blur' trajectories"):
        D.synthetic_trajectories(fake_trajectories_npz, "blur")
    with pytest.raises(MissingArtifactError, match="00_sample_data"):
        D.synthetic_trajectories(fake_trajectories_npz.parent / "absent.npz", "viewpoint")


def test_video_trajectories(fake_video_root):
    ds = D.video_trajectories(fake_video_root, trajectory_len=3)
    assert ds.categories == ("clip_a", "clip_b")
    # clip_a: 7 frames -> windows 0-2, 3-5 (frame 6 dropped); clip_b: 5 frames -> 0-2
    assert ds.trajectory_ids.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert ds.labels.tolist() == [0] * 6 + [1] * 3
    assert [p.rsplit("/", 1)[1] for p in ds.paths[3:6]] == ["3.jpg", "4.jpg", "5.jpg"]
    assert ds.image(0).shape == (16, 20, 3)  # anno box 1,2,20,16
    assert D.video_trajectories(fake_video_root, 3, crop_to_box=False).image(0).shape == (24, 32, 3)
    with pytest.raises(DatasetLayoutError, match="no video under"):
        D.video_trajectories(fake_video_root, 3, split="TRAIN_5")
    with pytest.raises(DatasetLayoutError, match="fewer than two windows"):
        D.video_trajectories(fake_video_root, 6)


def test_measurement_datasets(tmp_cache, fake_trajectories_npz, fake_aloi, fake_got10k, fake_pascal3d):
    cfg = Config.smoke()
    with pytest.raises(MissingArtifactError, match="00_sample_data"):
        D.measurement_datasets(cfg)
    (tmp_cache / "samples").mkdir(parents=True)
    shutil.copy(fake_trajectories_npz, tmp_cache / "samples" / "trajectories.npz")
    assert list(D.measurement_datasets(cfg)) == ["viewpoint", "illumination", "occlusion"]
    paper = cfg.replace(aloi_root=str(fake_aloi), got10k_root=str(fake_got10k), pascal3d_root=str(fake_pascal3d[0]))
    assert list(D.measurement_datasets(paper)) == [
        "ALOI viewpoint",
        "ALOI illumination color",
        "ALOI illumination direction",
        "GOT-10k occlusion",
        "PASCAL3D+ instance",
        "PASCAL3D+ viewpoint+instance",
    ]


def test_dataset_checks_and_fingerprint(fake_trajectories_npz):
    ds = D.synthetic_trajectories(fake_trajectories_npz, "viewpoint")
    with pytest.raises(ValueError, match="24 trajectory ids but"):
        D.TrajectoryDataset("x", "viewpoint", ds.trajectory_ids, ds.labels[:5], ds.categories, images=ds.images)
    other = D.TrajectoryDataset(
        "x", "viewpoint", ds.trajectory_ids, ds.labels, ds.categories, images=ds.images[::-1].copy()
    )
    same = D.TrajectoryDataset("y", "viewpoint", ds.trajectory_ids, ds.labels, ds.categories, images=ds.images)
    assert same.fingerprint() == ds.fingerprint() != other.fingerprint()


def test_crop_clips_to_the_image():
    img = np.arange(10 * 8 * 3, dtype=np.uint8).reshape(10, 8, 3)
    assert D.crop(img, [2, 3, 4, 5]).shape == (5, 4, 3)
    assert D.crop(img, [-3, -2, 100, 100]).shape == (10, 8, 3)
    assert D.crop(img, [np.nan] * 4).shape == (10, 8, 3)
    assert D.crop(img, [7.5, 9.5, 0, 0]).shape == (1, 1, 3)
