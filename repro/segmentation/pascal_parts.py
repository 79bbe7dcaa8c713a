"""Pascal-Part annotations and object crops (Section C's data).

Supplement, Section C: "we use the Pascal-Parts dataset[46]. From this dataset, we crop bounding boxes for
the each object and create separate images."

Layout read here (Pascal-Part's ``trainval.tar.gz`` beside a VOC2010 devkit)::

    <pascal_parts_root>/Annotations_Part/<id>.mat      (or <pascal_parts_root>/trainval/Annotations_Part/)
    <voc_root>/JPEGImages/<id>.jpg                     (e.g. VOCdevkit/VOC2010)
    <voc_root>/ImageSets/Main/{train,val}.txt          the split (the supplement does not name one; we use
                                                       VOC2010's train for decoders and val for Table 5)

Each ``.mat`` holds a struct ``anno`` with ``imname`` and ``objects``; each object has ``class`` (e.g.
"cow"), ``class_ind`` (1..20, VOC order), ``mask`` (H x W, the object's silhouette) and ``parts``, each
with ``part_name`` (e.g. "lfuleg", "wheel_3") and ``mask`` (H x W).

Crops and label maps (choices, the supplement states none of them):
  * crop box = bounding box of the object mask, widened by ``margin`` x its height/width on each side and
    clipped to the image (``square=True`` widens the shorter side first, keeping the aspect ratio);
  * the crop is resized to ``image_size`` x ``image_size`` (bilinear; the encoder's input size), the part
    label map to ``output_size`` x ``output_size`` (nearest-neighbour; the decoder's output size);
  * labels: 0 = background (pixels outside this object's mask, including other objects), i = i-th coarse
    part (``parts_map``), ``IGNORE`` (255) = object pixels that no mapped part covers (e.g. a bicycle's
    frame, which Pascal-Part leaves unlabelled). ``outside="ignore"`` marks the background pixels
    ``IGNORE`` as well, so accuracy counts object pixels only.
Bad input is counted, not fatal: an unreadable ``.mat`` or one without the fields above, an object without
parts, a missing image, an unknown part name (its pixels become ``IGNORE``); ``SkipReport`` lists them.
If nothing usable remains the loader raises ``DatasetLayoutError`` with that report.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np
from scipy.io import loadmat

from ..errors import ConfigError, DatasetLayoutError
from .parts_map import PART_GROUPS, UnknownPartError, coarse_parts, part_index

IGNORE = 255
OUTSIDE_MODES = ("background", "ignore")


# ----------------------------------------------------------------------------------- reading .mat files
@dataclass
class PartObject:
    cls: str  # VOC class name, e.g. "cow"
    class_ind: int  # 1..20 in VOC order
    mask: np.ndarray  # H x W bool silhouette
    parts: list[tuple[str, np.ndarray]]  # (part_name, H x W bool mask)


@dataclass
class Annotation:
    imname: str
    objects: list[PartObject]


def _as_list(x) -> list:
    """scipy's ``squeeze_me`` turns a 1-element struct array into the struct itself and [] into an array."""
    if isinstance(x, np.ndarray):
        return list(x.ravel())
    return [x]


def _field(obj, name: str, path: Path, where: str):
    if not hasattr(obj, name):
        have = sorted(getattr(obj, "_fieldnames", []) or [])
        raise DatasetLayoutError(
            f"{path}: {where} has no field {name!r} (fields: {have}); a Pascal-Part "
            "annotation has anno.objects(i).{class, class_ind, mask, parts(j).{part_name, "
            "mask}}; point pascal_parts_root at the extracted Pascal-Part trainval folder"
        )
    return getattr(obj, name)


def read_annotation(path: str | Path) -> Annotation:
    """Reads one Pascal-Part ``.mat`` file (``scipy.io.loadmat``); raises ``DatasetLayoutError`` if it is
    unreadable or lacks a field."""
    path = Path(path)
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    except Exception as exc:  # scipy raises ValueError/TypeError/OSError for corrupt files
        raise DatasetLayoutError(
            f"{path} cannot be read as a MATLAB file ({type(exc).__name__}: {exc}); "
            "re-extract the Pascal-Part annotations"
        ) from None
    if "anno" not in mat:
        raise DatasetLayoutError(
            f"{path} has no variable 'anno' (variables: "
            f"{sorted(k for k in mat if not k.startswith('__'))}); it is not a Pascal-Part "
            "annotation file"
        )
    anno = mat["anno"]
    imname = str(_field(anno, "imname", path, "anno")) if hasattr(anno, "imname") else path.stem
    objects = []
    for i, o in enumerate(_as_list(_field(anno, "objects", path, "anno"))):
        where = f"anno.objects({i + 1})"
        mask = np.asarray(_field(o, "mask", path, where)).astype(bool)
        if mask.ndim != 2:
            raise DatasetLayoutError(f"{path}: {where}.mask is not a 2-D mask (shape {mask.shape})")
        parts = []
        for j, p in enumerate(_as_list(_field(o, "parts", path, where))):
            pw = f"{where}.parts({j + 1})"
            pmask = np.asarray(_field(p, "mask", path, pw)).astype(bool)
            if pmask.shape != mask.shape:
                raise DatasetLayoutError(f"{path}: {pw}.mask has shape {pmask.shape}, the object mask {mask.shape}")
            parts.append((str(_field(p, "part_name", path, pw)), pmask))
        objects.append(
            PartObject(str(_field(o, "class", path, where)), int(_field(o, "class_ind", path, where)), mask, parts)
        )
    return Annotation(imname, objects)


# ----------------------------------------------------------------------------------------- label maps
def part_label_map(
    obj: PartObject, groups: Mapping = PART_GROUPS, unknown: collections.Counter | None = None
) -> np.ndarray:
    """H x W uint8 labels of ``obj``: 0 outside its mask, ``IGNORE`` inside but uncovered, else the coarse
    part id. Unknown part names are counted in ``unknown`` (if given; else they raise) and left ``IGNORE``."""
    labels = np.zeros(obj.mask.shape, np.uint8)
    labels[obj.mask] = IGNORE
    for name, pmask in obj.parts:
        try:
            labels[pmask] = part_index(obj.cls, name, groups)
        except UnknownPartError:
            if unknown is None:
                raise
            unknown[f"{obj.cls}/{name}"] += 1
    return labels


# ------------------------------------------------------------------------------------------ crop geometry
def crop_box(mask: np.ndarray, margin: float, square: bool = False) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1), end-exclusive: the bounding box of ``mask`` widened by ``margin`` x its height /
    width on each side (``square``: the shorter side widened to the longer first), clipped to the image."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        raise ValueError("empty object mask")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h, w = y1 - y0, x1 - x0
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    if square:
        h = w = max(h, w)
    h, w = h * (1 + 2 * margin), w * (1 + 2 * margin)
    H, W = mask.shape
    y0, y1 = max(0, int(np.floor(cy - h / 2))), min(H, int(np.ceil(cy + h / 2)))
    x0, x1 = max(0, int(np.floor(cx - w / 2))), min(W, int(np.ceil(cx + w / 2)))
    return y0, x0, y1, x1


def crop_object(
    image: np.ndarray, labels: np.ndarray, box: tuple[int, int, int, int], image_size: int, output_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Crops ``box`` from the H x W x 3 image and the H x W label map; returns the image resized to
    image_size^2 (bilinear) and the labels resized to output_size^2 (nearest-neighbour)."""
    y0, x0, y1, x1 = box
    crop = cv2.resize(
        np.ascontiguousarray(image[y0:y1, x0:x1]), (image_size, image_size), interpolation=cv2.INTER_LINEAR
    )  # crop: S_in x S_in x 3
    target = cv2.resize(
        np.ascontiguousarray(labels[y0:y1, x0:x1]), (output_size, output_size), interpolation=cv2.INTER_NEAREST
    )  # target: S_out x S_out
    return crop, target


# ------------------------------------------------------------------------------------------ crop sets
@dataclass
class PartCrops:
    """Object crops of one split, ready for the encoder (images) and the decoder (targets)."""

    images: np.ndarray  # N x S_in x S_in x 3 uint8
    targets: np.ndarray  # N x S_out x S_out uint8 (0 background, parts 1.., IGNORE)
    labels: np.ndarray  # N int64, index into ``classes``
    classes: tuple[str, ...]  # object classes (Pascal: VOC names; synthetic: its categories)
    part_names: tuple[tuple[str, ...], ...]  # per class, coarse part names in label order (id = pos + 1)
    boxes: np.ndarray  # N x 4 int (y0, x0, y1, x1) in the source image
    sources: np.ndarray  # N str: source image id

    def __len__(self) -> int:
        return len(self.labels)

    def num_labels(self, c: int) -> int:
        return 1 + len(self.part_names[c])

    def to_arrays(self) -> dict[str, np.ndarray]:
        width = max(1, max(len(p) for p in self.part_names))
        names = np.array([list(p) + [""] * (width - len(p)) for p in self.part_names], dtype=str)
        return dict(
            images=self.images,
            targets=self.targets,
            labels=self.labels,
            classes=np.array(self.classes, dtype=str),
            part_names=names,
            boxes=self.boxes,
            sources=self.sources.astype(str),
        )

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> "PartCrops":
        return cls(
            a["images"],
            a["targets"],
            a["labels"].astype(np.int64),
            tuple(str(c) for c in a["classes"]),
            tuple(tuple(str(n) for n in row if n) for row in a["part_names"]),
            a["boxes"],
            a["sources"],
        )


@dataclass
class SkipReport:
    """Counted problems of one load (reason -> count) with the first few examples of each."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        ex = self.examples.setdefault(reason, [])
        if len(ex) < 3:
            ex.append(example)

    def __str__(self) -> str:
        if not self.counts:
            return "nothing skipped"
        return "; ".join(f"{n} x {r} (e.g. {', '.join(self.examples[r])})" for r, n in sorted(self.counts.items()))


def _check_outside(outside: str) -> None:
    if outside not in OUTSIDE_MODES:
        raise ConfigError(f"seg_outside must be one of {OUTSIDE_MODES}, got {outside!r}")


def _finish(
    images, targets, labels, boxes, sources, classes, part_names, image_size, output_size, outside
) -> PartCrops:
    targets = np.stack(targets) if targets else np.zeros((0, output_size, output_size), np.uint8)
    if outside == "ignore":
        targets[targets == 0] = IGNORE
    return PartCrops(
        np.stack(images) if images else np.zeros((0, image_size, image_size, 3), np.uint8),
        targets,
        np.asarray(labels, np.int64),
        tuple(classes),
        tuple(part_names),
        np.asarray(boxes, np.int64).reshape(-1, 4),
        np.asarray(sources, dtype=str),
    )


def crops_from_arrays(
    images: np.ndarray,
    masks: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    part_names: Sequence[Sequence[str]],
    margin: float,
    image_size: int,
    output_size: int,
    outside: str = "background",
    square: bool = False,
    prefix: str = "",
) -> PartCrops:
    """Crops from part-annotated images that hold one object each (the synthetic stand-in): ``masks`` are
    N x H x W part ids (0 background), already coarse; the object mask is ``masks > 0``."""
    _check_outside(outside)
    out: tuple[list, ...] = ([], [], [], [], [])
    for i, (image, mask, label) in enumerate(zip(images, masks, labels)):
        if not (mask > 0).any():
            raise DatasetLayoutError(
                f"object {prefix}{i} has an empty part mask; rebuild the sample data (notebook 00_sample_data)"
            )
        box = crop_box(mask > 0, margin, square)
        crop, target = crop_object(image, mask.astype(np.uint8), box, image_size, output_size)
        for lst, v in zip(out, (crop, target, int(label), box, f"{prefix}{i}")):
            lst.append(v)
    return _finish(*out, classes, [tuple(p) for p in part_names], image_size, output_size, outside)


# ----------------------------------------------------------------------------------- the Pascal loader
def annotation_dir(root: str | Path) -> Path:
    root = Path(root)
    for d in (root / "Annotations_Part", root / "trainval" / "Annotations_Part"):
        if d.is_dir():
            return d
    raise DatasetLayoutError(
        f"no Annotations_Part folder under {root}; expected "
        f"{root}/Annotations_Part/<id>.mat (extract Pascal-Part's trainval.tar.gz there "
        "and set pascal_parts_root)"
    )


def split_ids(voc_root: str | Path, split: str) -> list[str]:
    path = Path(voc_root) / "ImageSets" / "Main" / f"{split}.txt"
    if not path.is_file():
        raise DatasetLayoutError(
            f"{path} does not exist; voc_root must be a VOC2010 folder holding "
            "JPEGImages/ and ImageSets/Main/{train,val}.txt (e.g. VOCdevkit/VOC2010)"
        )
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def _annotated_image(
    ann_dir: Path, voc_root: str | Path, img_id: str, classes: Sequence[str], report: SkipReport
) -> tuple[list[PartObject], np.ndarray] | None:
    """(the objects of ``classes``, the H x W x 3 RGB image) of one VOC image; None when it has no part
    annotation, an unreadable one or no image file (each counted in ``report``), or no object of ``classes``."""
    mat = ann_dir / f"{img_id}.mat"
    if not mat.is_file():
        report.add("image without part annotation", img_id)
        return None
    try:
        anno = read_annotation(mat)
    except DatasetLayoutError as exc:
        report.add("unreadable annotation", f"{img_id} ({str(exc).split(';')[0]})")
        return None
    wanted = [o for o in anno.objects if o.cls in classes]
    if not wanted:
        return None
    img_path = Path(voc_root) / "JPEGImages" / f"{anno.imname or img_id}.jpg"
    image = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
    if image is None:
        report.add("missing image", str(img_path))
        return None
    return wanted, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _usable(obj, image: np.ndarray, min_side: int, where: str, report: SkipReport) -> bool:
    """Whether an annotated object can be cropped (``load_pascal_parts``); if not, why goes to ``report``."""
    why = None
    if obj.mask.shape != image.shape[:2]:
        why = "mask size differs from image"
    elif not obj.parts:
        why, where = "object without parts", f"{where} ({obj.cls})"
    elif not obj.mask.any():
        why = "empty object mask"
    else:
        ys, xs = np.nonzero(obj.mask)
        if min(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) < min_side:
            why = f"object smaller than {min_side} px"
    if why:
        report.add(why, where)
    return why is None


def load_pascal_parts(
    root: str | Path,
    voc_root: str | Path,
    split: str,
    classes: Sequence[str],
    margin: float,
    image_size: int,
    output_size: int,
    outside: str = "background",
    square: bool = False,
    groups: Mapping = PART_GROUPS,
    min_side: int = 1,
    ids: Sequence[str] | None = None,
) -> tuple[PartCrops, SkipReport]:
    """Crops of every object of ``classes`` in ``split`` with at least one part, and the skip report.

    Args:
        root / voc_root: see the module docstring for the layout.
        split: a VOC ImageSets/Main list ("train", "val"); ``ids`` overrides it.
        classes: object classes to keep (Table 5: ``config.TABLE5_CLASSES``); validated against ``groups``.
        margin, square: crop geometry (``crop_box``); image_size / output_size: crop and label-map sides.
        outside: "background" (label 0, counted) or "ignore" for pixels outside the object.
        min_side: objects whose mask bounding box is smaller than this (pixels) are skipped and counted.
    """
    _check_outside(outside)
    classes = tuple(classes)
    part_names = [coarse_parts(c, groups) for c in classes]
    ann_dir = annotation_dir(root)
    ids = list(ids) if ids is not None else split_ids(voc_root, split)
    report, unknown = SkipReport(), collections.Counter()
    out: tuple[list, ...] = ([], [], [], [], [])
    for img_id in ids:
        found = _annotated_image(ann_dir, voc_root, img_id, classes, report)
        if found is None:
            continue
        wanted, image = found
        for k, obj in enumerate(wanted):
            if not _usable(obj, image, min_side, f"{img_id}#{k}", report):
                continue
            box = crop_box(obj.mask, margin, square)
            crop, target = crop_object(image, part_label_map(obj, groups, unknown), box, image_size, output_size)
            for lst, v in zip(out, (crop, target, classes.index(obj.cls), box, f"{img_id}#{k}")):
                lst.append(v)
    for name, n in unknown.items():
        report.counts[f"unknown part {name} (pixels ignored)"] += n
        report.examples[f"unknown part {name} (pixels ignored)"] = [name]
    crops = _finish(*out, classes, part_names, image_size, output_size, outside)
    if len(crops) == 0:
        raise DatasetLayoutError(
            f"no usable {split} objects of {', '.join(classes)} under {root} and {voc_root}: {report}"
        )
    return crops, report
