"""The object crops of Table 5's evaluation, built once per crop setting and cached.

Supplement, Section C: "we crop bounding boxes for the each object and create separate images." The crops
come from Pascal-Part (``pascal_parts.load_pascal_parts``) when ``pascal_parts_root`` is set, else from the
synthetic part-annotated objects of ``<cache>/samples/parts.npz`` (the default-scale stand-in). Both splits
are cached together in ``<cache>/features/_crops/parts-<key>.npz``, ``key`` a hash of everything the crops
depend on (``crops_key``), so a changed setting builds new crops and the cached representations of
``features`` follow it.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np

from ..config import TABLE5_CLASSES, Config
from ..errors import ConfigError, DatasetLayoutError
from ..io import save_npz, settings_digest
from ..paths import artifact, require
from .pascal_parts import PartCrops, SkipReport, crops_from_arrays, load_pascal_parts


def _crop_settings(cfg: Config) -> dict:
    s = cfg.segmentation
    src = (
        dict(pascal_parts_root=str(Path(s.pascal_parts_root).resolve()), voc_root=str(Path(s.voc_root).resolve()))
        if s.pascal_parts_root
        else dict(parts_npz=_npz_stamp(cfg))
    )
    return dict(
        src,
        classes=list(s.seg_classes),
        margin=s.crop_margin,
        image_size=cfg.train.image_size,
        output_size=s.seg_output_size,
        outside=s.seg_outside,
        version=1,
    )


def _npz_stamp(cfg: Config) -> str:
    path = require(artifact("samples", "parts.npz", cache_dir=cfg.run.cache_dir), "samples")
    st = path.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


def crops_key(cfg: Config) -> str:
    """Short hash of everything the crops depend on (data, classes, geometry, sizes)."""
    return settings_digest(_crop_settings(cfg), 12)


def load_part_crops(cfg: Config) -> tuple[PartCrops, PartCrops, SkipReport]:
    """(train crops, val crops, skip report): Pascal-Part if ``pascal_parts_root`` is set, else the synthetic
    part-annotated objects of ``<cache>/samples/parts.npz``. Cached per crop setting."""
    s = cfg.segmentation
    key = crops_key(cfg)
    cache = artifact("features", "_crops", f"parts-{key}.npz", cache_dir=cfg.run.cache_dir)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as a:
            train = PartCrops.from_arrays({k.removeprefix("train_"): a[k] for k in a.files if k.startswith("train_")})
            val = PartCrops.from_arrays({k.removeprefix("val_"): a[k] for k in a.files if k.startswith("val_")})
            skips = json.loads(str(a["skips"]))
            report = SkipReport(collections.Counter(skips["counts"]), skips["examples"])
        return train, val, report
    if s.pascal_parts_root:
        if not s.voc_root:
            raise ConfigError(
                "pascal_parts_root is set but voc_root is empty; set voc_root to the VOC2010 "
                "folder with JPEGImages/ and ImageSets/Main/"
            )
        classes = s.seg_classes or TABLE5_CLASSES
        kw = dict(
            classes=classes,
            margin=s.crop_margin,
            image_size=cfg.train.image_size,
            output_size=s.seg_output_size,
            outside=s.seg_outside,
        )
        train, r1 = load_pascal_parts(s.pascal_parts_root, s.voc_root, "train", **kw)
        val, r2 = load_pascal_parts(s.pascal_parts_root, s.voc_root, "val", **kw)
        report = SkipReport(r1.counts + r2.counts, {**r1.examples, **r2.examples})
    else:
        train, val = synthetic_part_crops(cfg)
        report = SkipReport()
    arrays = {f"train_{k}": v for k, v in train.to_arrays().items()}
    arrays.update({f"val_{k}": v for k, v in val.to_arrays().items()})
    save_npz(cache, skips=np.array(json.dumps({"counts": dict(report.counts), "examples": report.examples})), **arrays)
    return train, val, report


def synthetic_part_crops(cfg: Config) -> tuple[PartCrops, PartCrops]:
    """Crops of the synthetic part-annotated objects (the default-scale stand-in for Pascal-Part)."""
    s = cfg.segmentation
    path = require(artifact("samples", "parts.npz", cache_dir=cfg.run.cache_dir), "samples")
    with np.load(path, allow_pickle=False) as a:
        missing = {
            "train_images",
            "train_masks",
            "train_labels",
            "val_images",
            "val_masks",
            "val_labels",
            "categories",
            "part_names",
        } - set(a.files)
        if missing:
            raise DatasetLayoutError(f"{path} lacks {sorted(missing)}; rebuild it with notebook 00_sample_data")
        d = {k: a[k] for k in a.files}
    categories = [str(c) for c in d["categories"]]
    part_names = [[str(n) for n in row if n] for row in d["part_names"]]
    keep = list(range(len(categories)))
    if s.seg_classes:
        unknown = [c for c in s.seg_classes if c not in categories]
        if unknown:
            raise ConfigError(
                f"seg_classes {unknown} are not synthetic categories ({', '.join(categories)}); "
                "use seg_classes=() or set pascal_parts_root for Pascal-Part classes"
            )
        keep = [categories.index(c) for c in s.seg_classes]
    out = []
    for split in ("train", "val"):
        sel = np.isin(d[f"{split}_labels"], keep)
        remap = np.full(len(categories), -1)
        remap[keep] = np.arange(len(keep))
        out.append(
            crops_from_arrays(
                d[f"{split}_images"][sel],
                d[f"{split}_masks"][sel],
                remap[d[f"{split}_labels"][sel]],
                [categories[k] for k in keep],
                [part_names[k] for k in keep],
                s.crop_margin,
                cfg.train.image_size,
                s.seg_output_size,
                s.seg_outside,
                prefix=f"{split}/",
            )
        )
    return out[0], out[1]
