"""Tiny datasets in every real layout, at the paper's file sizes, for the rehearsal of the paper preset.

Each writer puts a few items of one dataset under ``root`` exactly where the paper preset's readers look
(``repro/data/layouts.py``): the same folder names, file names, file formats (JPEG, PNG, MATLAB ``.mat``
structs as the releases write them, text labels) and image sizes. Only the number of items is cut. The
pictures are objects of the synthetic world (``repro.samples.world``) scaled up to the real sizes, so that
selective search, the encoders and the part decoders see objects on backgrounds, not noise.

``write_all(data_dir)`` writes every dataset and the two checkpoints of the paper preset (the official
MoCo v2 release and torchvision's ImageNet ResNet-50, as randomly initialised stand-ins in those exact
formats) under ``data_dir`` with the preset's relative paths (``data/TrackingNet``, ...).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
import torchvision
from scipy.io import savemat

from ..config import TRACKINGNET_TRAIN_SPLITS, Config
from ..io import save_torch
from ..moco.builder import build_encoder
from ..samples import synthetic, world
from ..segmentation.parts_map import PART_GROUPS

TRACKINGNET_FRAME = (640, 480)  # TrackingNet's frames (width x height)
TRACKINGNET_FRAMES = 240  # four chunks of 60 frames
ALOI_HALF = (384, 288)  # aloi_red2_*: half of ALOI's 768 x 576
GOT10K_FRAME = (1280, 720)
IMAGENET_SIZE = (500, 375)  # a typical ImageNet training image
VOC_SIZE = (500, 375)  # a typical VOC 2010 image


def _imwrite(path: Path, rgb: np.ndarray, size: tuple[int, int] | None = None) -> None:
    """Writes ``rgb`` (HxWx3 uint8), resized to ``size`` (width, height) when given; JPEG or PNG by suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if size is not None:
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f"could not write {path}")


def _stills(seed: int, n: int, size: int = 96) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """``n`` object-centric images of the world (images, object masks, categories), round-robin over the
    categories."""
    insts = world.world_instances(seed, len(world.WORLD_CATEGORIES), 2, 2 * size)
    pool = world.background_pool(seed, 2 * size)
    rng = np.random.default_rng([seed, 0x5E4])
    images, masks, cats = [], [], []
    for i in range(n):
        inst = insts[(i % len(world.WORLD_CATEGORIES)) * 2 + (i // len(world.WORLD_CATEGORIES)) % 2]
        image, mask, _, _ = world.render_still(rng, inst, pool, size)
        images.append(image), masks.append(mask), cats.append(inst.category)
    return images, masks, cats


# ------------------------------------------------------------------------------------------ TrackingNet
def write_trackingnet(root: Path, videos: int = 1, frames: int = TRACKINGNET_FRAMES, seed: int = 0) -> None:
    """``TRAIN_0 .. TRAIN_11/{frames,anno}``: ``videos`` world videos of ``frames`` 640 x 480 JPEG frames in
    TRAIN_0 (0-based, not zero-padded) with one ``x,y,w,h`` line per frame; the other splits empty."""
    for split in TRACKINGNET_TRAIN_SPLITS:
        (root / split / "frames").mkdir(parents=True, exist_ok=True)
        (root / split / "anno").mkdir(parents=True, exist_ok=True)
    insts = world.world_instances(seed, len(world.WORLD_CATEGORIES), 1, 192)
    pool = world.background_pool(seed, 192)
    sx, sy = TRACKINGNET_FRAME[0] / 96, TRACKINGNET_FRAME[1] / 96
    for v in range(videos):
        video = world.world_video(seed + v, insts[v % len(insts)], pool, frames, 96)
        seq = f"rehearsal_{v:03d}"
        for t, frame in enumerate(video.frames):
            _imwrite(root / "TRAIN_0" / "frames" / seq / f"{t}.jpg", frame, TRACKINGNET_FRAME)
        boxes = video.boxes[:, 0] * np.array([sx, sy, sx, sy], np.float32)
        (root / "TRAIN_0" / "anno" / f"{seq}.txt").write_text(
            "".join(",".join(f"{x:.2f}" for x in b) + "\n" for b in boxes)
        )


# ------------------------------------------------------------------------------------------ ImageNet
def write_imagenet(root: Path, classes: int = 4, per_class: int = 6, seed: int = 1) -> None:
    """``train/<wnid>/<wnid>_<i>.JPEG`` and ``val/<wnid>/ILSVRC2012_val_<i>.JPEG`` (val in class folders, as
    PyTorch's ImageNet example arranges it): ImageFolders of ``classes`` x ``per_class`` 500 x 375 JPEGs."""
    images, _, cats = _stills(seed, 2 * classes * per_class)
    for i, (image, c) in enumerate(zip(images, cats)):
        wnid = f"n{1440764 + c % classes:08d}"
        name = f"{wnid}_{i}.JPEG" if i < classes * per_class else f"ILSVRC2012_val_{i:08d}.JPEG"
        _imwrite(root / ("train" if i < classes * per_class else "val") / wnid / name, image, IMAGENET_SIZE)


# ------------------------------------------------------------------------------------------ ALOI
def write_aloi(root: Path, objects: int = 3, seed: int = 2) -> None:
    """``aloi_red2_{view,col,ill}/png2/<object>/``: half-resolution PNGs of ``objects`` objects, 6 azimuths
    (``_r<0..300>``), 3 colour temperatures (``_i<110,180,250>``) and 4 lamp/camera pairs (``_l<l>c<c>``)."""
    insts = world.world_instances(seed, objects, 1, 192)
    pool = world.background_pool(seed, 192)
    rng = np.random.default_rng([seed, 0xA101])
    for o, inst in enumerate(insts, start=1):
        base = world.random_view(rng, 96)
        center = (48.0, 48.0)
        looks = {
            f"_r{d}": replace(base, psi=np.radians(d), phi=np.radians(60) * (d % 180 > 0)) for d in range(0, 360, 60)
        }
        looks.update({f"_i{t}": replace(base, tau=(t - 180) / 350) for t in (110, 180, 250)})
        looks.update({f"_l{la}c{ca}": replace(base, ramp=0.4, ramp_angle=la + ca) for la in (1, 2) for ca in (1, 3)})
        for suffix, v in looks.items():
            image = world.render_still(rng, inst, pool, 96, v=v, center=center).image
            folder = {"_r": "aloi_red2_view", "_i": "aloi_red2_col", "_l": "aloi_red2_ill"}[suffix[:2]]
            _imwrite(root / folder / "png2" / str(o) / f"{o}{suffix}.png", image, ALOI_HALF)


# ------------------------------------------------------------------------------------------ GOT-10k
def write_got10k(root: Path, videos: int = 3, frames: int = 6, seed: int = 3) -> None:
    """``train/GOT-10k_Train_<6 digits>/``: 1280 x 720 JPEG frames ``00000001.jpg`` ..., ``groundtruth.txt``,
    ``cover.label`` (occlusion level 0-8 per frame, spanning 1..8), ``absence.label``,
    ``cut_by_image.label``, ``meta_info.ini``; ``train/list.txt``."""
    insts = world.world_instances(seed, len(world.WORLD_CATEGORIES), 1, 192)
    pool = world.background_pool(seed, 192)
    names = []
    for v in range(videos):
        video = world.world_video(seed + v, insts[v], pool, frames, 96)
        name = f"GOT-10k_Train_{v + 1:06d}"
        d = root / "train" / name
        for t, frame in enumerate(video.frames):
            _imwrite(d / f"{t + 1:08d}.jpg", frame, GOT10K_FRAME)
        covers = np.linspace(1, 8, frames).round().astype(int)
        sx, sy = GOT10K_FRAME[0] / 96, GOT10K_FRAME[1] / 96
        (d / "groundtruth.txt").write_text(
            "".join(",".join(f"{x:.1f}" for x in b * np.array([sx, sy, sx, sy])) + "\n" for b in video.boxes[:, 0])
        )
        (d / "cover.label").write_text("".join(f"{c}\n" for c in covers))
        (d / "absence.label").write_text("0\n" * frames)
        (d / "cut_by_image.label").write_text("0\n" * frames)
        (d / "meta_info.ini").write_text(
            "[METAINFO]\nurl: https://youtu.be/rehearsal\nbegin: 00:00:01\nend: 00:00:09\nanno_fps: 10Hz\n"
            f"object_class: {world.WORLD_CATEGORIES[insts[v].category]}\nmotion_class: moving\n"
            f"major_class: object\nroot_class: object\nmotion_adverb: slowly\nresolution: {GOT10K_FRAME}\n"
        )
        names.append(name)
    (root / "train" / "list.txt").write_text("".join(n + "\n" for n in names))


# ------------------------------------------------------------------------------------------ PASCAL3D+
def write_pascal3d_mat(path: Path, filename: str, size: tuple[int, int], objects: list[dict]) -> None:
    """A PASCAL3D+ annotation as the release writes it: ``record`` struct with ``filename``, ``imgsize`` and a
    1 x M struct array ``objects`` (``class``, ``bbox`` [x1 y1 x2 y2], ``viewpoint`` struct with
    ``azimuth_coarse``, ``elevation_coarse``, ``azimuth``, ``elevation``, ``distance``, or [] when the object
    has no viewpoint; ``truncated``, ``occluded``, ``difficult``)."""
    fields = ("class", "bbox", "viewpoint", "truncated", "occluded", "difficult")
    objs = np.zeros((1, len(objects)), dtype=[(f, "O") for f in fields])
    for i, o in enumerate(objects):
        objs[0, i]["class"] = o["class"]
        objs[0, i]["bbox"] = np.array([o["bbox"]], dtype=float)
        objs[0, i]["viewpoint"] = (
            np.zeros((0, 0))
            if o.get("azimuth") is None
            else {
                "azimuth_coarse": float(o["azimuth"]),
                "elevation_coarse": float(o["elevation"]),
                "azimuth": float(o["azimuth"]) + 1.0,
                "elevation": float(o["elevation"]) + 1.0,
                "distance": 5.0,
            }
        )
        objs[0, i]["truncated"] = objs[0, i]["occluded"] = objs[0, i]["difficult"] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "filename": filename,
        "imgsize": np.array([[size[0], size[1], 3]]),
        "database": "ImageNet",
        "objects": objs,
    }
    savemat(path, {"record": record})


def write_pascal3d(root: Path, classes=("car", "aeroplane"), per_class: int = 6, seed: int = 4) -> None:
    """``Annotations/<class>_imagenet/<name>.mat`` and ``Images/<class>_imagenet/<name>.JPEG``: ``per_class``
    images of one object each, azimuths spread over 0-330 degrees and elevations over 0-60."""
    images, masks, _ = _stills(seed, len(classes) * per_class)
    k = 0
    for cls in classes:
        for i in range(per_class):
            name = f"n0{seed}{i:06d}_{k}"
            box = synthetic.mask_box(masks[k])  # x, y, w, h at 96 px
            sx, sy = IMAGENET_SIZE[0] / 96, IMAGENET_SIZE[1] / 96
            bbox = [box[0] * sx, box[1] * sy, (box[0] + box[2]) * sx, (box[1] + box[3]) * sy]
            _imwrite(root / "Images" / f"{cls}_imagenet" / f"{name}.JPEG", images[k], IMAGENET_SIZE)
            obj = {"class": cls, "bbox": bbox, "azimuth": 45.0 * i % 360, "elevation": 20.0 * (i % 3)}
            write_pascal3d_mat(
                root / "Annotations" / f"{cls}_imagenet" / f"{name}.mat", f"{name}.JPEG", IMAGENET_SIZE, [obj]
            )
            k += 1


# ------------------------------------------------------------------------------------------ Pascal-Part
def write_part_mat(path: Path, imname: str, objects: list[dict]) -> None:
    """A Pascal-Part annotation as the release writes it: ``anno`` struct with ``imname`` and a 1 x N struct
    array ``objects`` (``class``, ``class_ind``, ``mask``, ``parts`` = 1 x P struct array of ``part_name``,
    ``mask``, or [] when the object has no parts)."""
    objs = np.zeros((1, len(objects)), dtype=[("class", "O"), ("class_ind", "O"), ("mask", "O"), ("parts", "O")])
    for i, o in enumerate(objects):
        objs[0, i]["class"] = o["class"]
        objs[0, i]["class_ind"] = o["class_ind"]
        objs[0, i]["mask"] = o["mask"].astype(np.uint8)
        parts = np.zeros((0, 0))
        if o["parts"]:
            parts = np.zeros((1, len(o["parts"])), dtype=[("part_name", "O"), ("mask", "O")])
            for j, (name, m) in enumerate(o["parts"]):
                parts[0, j]["part_name"] = name
                parts[0, j]["mask"] = m.astype(np.uint8)
        objs[0, i]["parts"] = parts
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {"anno": {"imname": imname, "objects": objs}})


VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


def write_pascal_parts(parts_root: Path, voc_root: Path, classes, per_split: int = 1, seed: int = 5) -> None:
    """``Annotations_Part/<id>.mat`` under ``parts_root`` and ``JPEGImages/<id>.jpg`` and
    ``ImageSets/Main/{train,val}.txt`` under ``voc_root``: ``per_split`` images per class and split, one
    object each, whose mask is cut into horizontal bands named after the class's first fine parts."""
    classes = tuple(classes)
    images, masks, _ = _stills(seed, 2 * per_split * len(classes))
    ids = {"train": [], "val": []}
    k = 0
    for cls in classes:
        fine = [group[1][0] for group in PART_GROUPS[cls]][:3]
        for split in ("train", "val"):
            for _ in range(per_split):
                img_id = f"2008_{k:06d}"
                mask = cv2.resize(masks[k].astype(np.uint8), VOC_SIZE, interpolation=cv2.INTER_NEAREST).astype(bool)
                ys = np.nonzero(mask.any(1))[0]
                edges = np.linspace(ys.min(), ys.max() + 1, len(fine) + 1).astype(int)
                parts = [
                    (name, mask & (np.arange(VOC_SIZE[1])[:, None] >= a) & (np.arange(VOC_SIZE[1])[:, None] < b))
                    for name, a, b in zip(fine, edges[:-1], edges[1:])
                ]
                obj = {"class": cls, "class_ind": VOC_CLASSES.index(cls) + 1, "mask": mask, "parts": parts}
                write_part_mat(parts_root / "Annotations_Part" / f"{img_id}.mat", img_id, [obj])
                _imwrite(voc_root / "JPEGImages" / f"{img_id}.jpg", images[k], VOC_SIZE)
                ids[split].append(img_id)
                k += 1
    (voc_root / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
    for split, names in ids.items():
        (voc_root / "ImageSets" / "Main" / f"{split}.txt").write_text("".join(n + "\n" for n in names))


# ------------------------------------------------------------------------------------------ checkpoints
def write_moco_release(path: Path, arch: str = "resnet50", dim: int = 128, queue: int = 65536, seed: int = 6) -> None:
    """A stand-in for ``moco_v2_800ep_pretrain.pth.tar`` in its exact format: ``{"epoch", "arch",
    "state_dict": {"module.encoder_q.*", "module.encoder_k.*" (MLP head fc.0/fc.2), "module.queue",
    "module.queue_ptr"}, "optimizer"}``, randomly initialised."""
    torch.manual_seed(seed)
    net = build_encoder(arch, dim, mlp=True)
    state = {}
    for enc in ("encoder_q", "encoder_k"):
        state.update({f"module.{enc}.{k}": v for k, v in net.state_dict().items()})
    state["module.queue"] = torch.nn.functional.normalize(torch.randn(dim, queue), dim=0)
    state["module.queue_ptr"] = torch.zeros(1, dtype=torch.long)
    save_torch({"epoch": 800, "arch": arch, "state_dict": state, "optimizer": {}}, path)


def write_torchvision_resnet50(path: Path, seed: int = 7) -> None:
    """A stand-in for ``resnet50-0676ba61.pth``: a plain torchvision ResNet-50 ``state_dict`` (1000 classes)."""
    torch.manual_seed(seed)
    save_torch(torchvision.models.resnet50().state_dict(), path)


def write_all(base: Path, cfg: Config | None = None) -> dict[str, Path]:
    """Every dataset and checkpoint of the paper preset under ``base``, at the preset's relative paths
    (so that ``repro run --preset paper`` started in ``base`` finds them). Returns parameter -> path."""
    cfg = cfg or Config.paper()
    v, t, i, s = cfg.video, cfg.train, cfg.invariance, cfg.segmentation
    paths = {
        "trackingnet_root": base / v.trackingnet_root,
        "image_root": base / t.image_root,
        "probe_root": base / t.probe_root,
        "aloi_root": base / i.aloi_root,
        "got10k_root": base / i.got10k_root,
        "pascal3d_root": base / i.pascal3d_root,
        "pascal_parts_root": base / s.pascal_parts_root,
        "voc_root": base / s.voc_root,
        "track_checkpoint": base / cfg.tracks.track_checkpoint,
        "supervised_weights": base / t.supervised_weights,
    }
    write_trackingnet(paths["trackingnet_root"])
    write_imagenet(paths["probe_root"])  # ImageNet: image_root is its train folder, probe_root the whole
    write_aloi(paths["aloi_root"])
    write_got10k(paths["got10k_root"])
    write_pascal3d(paths["pascal3d_root"])
    write_pascal_parts(paths["pascal_parts_root"], paths["voc_root"], s.seg_classes)
    write_moco_release(paths["track_checkpoint"], cfg.tracks.track_arch)
    write_torchvision_resnet50(paths["supervised_weights"])
    return paths
