"""Section C's evaluation: one part decoder per object class on the frozen encoder's single representation.

Supplement, Section C: "we crop bounding boxes for the each object and create separate images. For each
object, we train a small CNN comprising of four transposed convolution layers that takes as input a single
representation. In Table 5, we present the pixel-wise classification accuracies for each object".

Pipeline (``run_table5``):
  1. object crops of the train and val splits (Pascal-Part, or the synthetic stand-in at the default
     scale), cached once per crop setting in ``<cache>/features/_crops/``;
  2. per model, the pooled representation of every crop (B x D; 512-d ResNet-18, 2048-d ResNet-50),
     computed once by the frozen encoder (eval mode, no gradients) and cached in
     ``<cache>/features/<model>/parts-<key>.pt`` together with the checkpoint's SHA-256;
  3. per object class, a ``PartDecoder`` trained on the cached training vectors (Adam, cross-entropy with
     ``IGNORE`` pixels left out) and evaluated on the val crops: pooled pixel accuracy in percent;
  4. the encoder is asserted unchanged (every parameter and buffer) after steps 2-3, as the official MoCo
     ``main_lincls.py`` checks its frozen backbone.

Decoder hyper-parameters (epochs, lr, batch size, width, output size) are not in the supplement; see
``SegmentationConfig``. Encoder inputs are normalised with the ImageNet mean/std, as torchvision and MoCo do.
"""
from __future__ import annotations

import collections
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..config import TABLE5_CLASSES, Config
from ..errors import ConfigError, DatasetLayoutError
from ..io import save_npz, save_torch
from ..models import load_backbone
from ..moco.augment import IMAGENET_MEAN, IMAGENET_STD  # the normalisation the encoders were trained with
from ..paths import artifact, require
from ..runtime import autocast, progress, resolve_device
from . import table5
from .decoder import PartDecoder
from .metrics import correct_and_total
from .pascal_parts import IGNORE, PartCrops, SkipReport, crops_from_arrays, load_pascal_parts

EXTRACT_BATCH = 64   # crops per encoder forward pass when computing the cached representations

#: display names of this repository's models (rows of our Table 5).
ROW_NAMES = {"random": "Random init", "supervised": "Supervised", "images": "MoCo v2 (images)",
             "frames": "Frame Temporal Invariance", "frames+tracks": "Region Tracker (frames+tracks)"}


# -------------------------------------------------------------------------------------------- models
def model_checkpoints(cfg: Config) -> dict[str, str]:
    """Model name -> checkpoint path ("" = seeded random init): the random baseline, every trained mode
    of ``cfg.train.modes`` (``<cache>/checkpoints/<mode>/checkpoint.pt``) and ``seg_checkpoints``
    ("Name=path"). A missing checkpoint is a MissingArtifactError naming notebook 03_training."""
    models = {"random": ""}
    for mode in cfg.train.modes:
        path = artifact("checkpoints", mode, "checkpoint.pt", cache_dir=cfg.run.cache_dir)
        models[mode] = str(require(path, "checkpoints"))
    for entry in cfg.segmentation.seg_checkpoints:
        name, sep, path = entry.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"seg_checkpoints entries are 'Row name=path', got {entry!r}")
        if not Path(path.strip()).is_file():
            raise DatasetLayoutError(f"checkpoint {path.strip()!r} of model {name.strip()!r} (seg_checkpoints) "
                                     "does not exist; download it to that path or remove the entry")
        models[name.strip()] = path.strip()
    return models


def paper_row_map(models: Mapping[str, str]) -> dict[str, str]:
    """Our model name -> the paper's Table 5 row it stands for (modes via ``PAPER_ROW_OF_MODE``; extra
    checkpoints whose name is a paper row)."""
    out = {m: table5.PAPER_ROW_OF_MODE[m] for m in models if m in table5.PAPER_ROW_OF_MODE}
    out.update({m: m for m in models if m in table5.PAPER_ROWS})
    return out


def fingerprint(path: str, arch: str, seed: int) -> str:
    """SHA-256 of a checkpoint file (so cached representations follow the weights), or the random init."""
    if not path:
        return f"random:{arch}:{seed}"
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -------------------------------------------------------------------------------------- frozen encoder
def frozen_snapshot(encoder: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter and buffer, to prove later that the encoder did not change."""
    return {k: v.detach().clone() for k, v in encoder.state_dict().items()}


def assert_frozen(encoder: nn.Module, snapshot: Mapping[str, torch.Tensor]) -> None:
    """Raises AssertionError naming the first parameter/buffer that differs from ``snapshot``."""
    state = encoder.state_dict()
    assert state.keys() == snapshot.keys(), "the encoder's parameters changed names"
    for k, v in state.items():
        assert torch.equal(v.cpu(), snapshot[k].cpu()), f"the frozen encoder changed: {k}"


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """N x H x W x 3 uint8 -> N x 3 x H x W float, ImageNet-normalised."""
    x = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float().div_(255)  # x: N x 3 x H x W
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def representations(encoder: nn.Module, images: np.ndarray, batch_size: int = 64,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """The pooled representation of each crop: N x D float32 on CPU. Runs the encoder in eval mode (so
    BatchNorm statistics stay fixed) and restores its previous mode."""
    device = torch.device(device)
    was_training = encoder.training
    encoder.eval()
    out = []
    for i in range(0, len(images), batch_size):
        x = to_input(images[i:i + batch_size]).to(device)  # x: B x 3 x S x S
        with autocast(device):
            out.append(encoder(x).float().cpu())  # z: B x D
    encoder.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, 0)


# -------------------------------------------------------------------------------------------- decoder
def train_decoder(inputs: torch.Tensor, targets: torch.Tensor, num_labels: int, *, epochs: int, lr: float,
                  batch_size: int, width: int, output_size: int, seed: int, device: torch.device | str = "cpu",
                  encoder: nn.Module | None = None) -> PartDecoder:
    """Trains one ``PartDecoder`` with Adam and per-pixel cross-entropy (``IGNORE`` pixels left out).

    Args:
        inputs: N x D cached representations; or, with ``encoder``, N x 3 x S x S normalised crops whose
            representations are recomputed by the frozen encoder at every step (the slow reference that
            ``benchmarks/bench_segmentation.py`` compares against).
        targets: N x S_out x S_out part labels (long or uint8).
        epochs, lr, batch_size, width, output_size: ``SegmentationConfig`` (paper: unstated).
        seed: initialisation and batch order; equal seeds give equal decoders.
    """
    device = torch.device(device)
    if targets.shape[-1] != output_size:
        raise ValueError(f"targets are {tuple(targets.shape[-2:])}, the decoder predicts {output_size}^2; "
                         "crop the label maps at seg_output_size")
    torch.manual_seed(seed)
    in_dim = inputs.shape[1] if encoder is None else _encoder_dim(encoder, inputs[:1].to(device))
    decoder = PartDecoder(in_dim, num_labels, width, output_size).to(device)
    opt = torch.optim.Adam(decoder.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    targets = targets.long()
    decoder.train()
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=gen)
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            if len(idx) < 2 and len(order) >= 2:
                continue  # a batch of one carries no BatchNorm statistics
            z = inputs[idx].to(device)
            if encoder is not None:
                with torch.no_grad(), autocast(device):
                    z = encoder(z).float()  # z: B x D
            y = targets[idx].to(device)  # y: B x S x S
            logits = decoder(z)  # logits: B x C x S x S
            loss = F.cross_entropy(logits, y, ignore_index=IGNORE)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return decoder.eval()


def _encoder_dim(encoder: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        return int(encoder(x).shape[1])


@torch.no_grad()
def predict(decoder: PartDecoder, z: torch.Tensor, batch_size: int = 256,
            device: torch.device | str = "cpu") -> torch.Tensor:
    """N x S x S predicted part labels (uint8) of cached representations ``z`` (N x D)."""
    decoder.eval()
    out = [decoder(z[i:i + batch_size].to(device)).argmax(1).to(torch.uint8).cpu()
           for i in range(0, len(z), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, decoder.output_size, decoder.output_size, dtype=torch.uint8)


def prior_prediction(targets: np.ndarray) -> np.ndarray:
    """The per-pixel majority label of a class's training maps (N x S x S -> S x S), ``IGNORE`` left out:
    the best prediction that uses no representation at all (a mean-shape baseline)."""
    flat = targets.reshape(len(targets), -1)  # flat: N x S^2
    counts = np.stack([(flat == k).sum(0) for k in range(int(flat[flat != IGNORE].max(initial=0)) + 1)])
    return counts.argmax(0).reshape(targets.shape[1:]).astype(np.uint8)  # prior: S x S


def prior_accuracy(train: PartCrops, val: PartCrops) -> dict[str, float]:
    """Per class, the val pixel accuracy (%) of ``prior_prediction``, plus "Avg.": the floor a
    representation has to beat."""
    acc = {}
    for c, cls in enumerate(train.classes):
        prior = prior_prediction(train.targets[train.labels == c])
        target = val.targets[val.labels == c]
        acc[cls] = accuracy_percent(torch.as_tensor(np.broadcast_to(prior, target.shape).copy()), target)
    return table5.with_average(acc, train.classes)


def accuracy_percent(pred: torch.Tensor, target: torch.Tensor) -> float:
    correct, total = correct_and_total(pred.long(), torch.as_tensor(target).long(), IGNORE)
    return 100.0 * correct / total if total else float("nan")


# ------------------------------------------------------------------------------------------ the data
def _crop_settings(cfg: Config) -> dict:
    s = cfg.segmentation
    src = (dict(pascal_parts_root=str(Path(s.pascal_parts_root).resolve()), voc_root=str(Path(s.voc_root).resolve()))
           if s.pascal_parts_root else dict(parts_npz=_npz_stamp(cfg)))
    return dict(src, classes=list(s.seg_classes), margin=s.crop_margin, image_size=cfg.train.image_size,
                output_size=s.seg_output_size, outside=s.seg_outside, version=1)


def _npz_stamp(cfg: Config) -> str:
    path = require(artifact("samples", "parts.npz", cache_dir=cfg.run.cache_dir), "samples")
    st = path.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


def crops_key(cfg: Config) -> str:
    """Short hash of everything the crops depend on (data, classes, geometry, sizes)."""
    return hashlib.sha256(json.dumps(_crop_settings(cfg), sort_keys=True).encode()).hexdigest()[:12]


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
            raise ConfigError("pascal_parts_root is set but voc_root is empty; set voc_root to the VOC2010 "
                              "folder with JPEGImages/ and ImageSets/Main/")
        classes = s.seg_classes or TABLE5_CLASSES
        kw = dict(classes=classes, margin=s.crop_margin, image_size=cfg.train.image_size,
                  output_size=s.seg_output_size, outside=s.seg_outside)
        train, r1 = load_pascal_parts(s.pascal_parts_root, s.voc_root, "train", **kw)
        val, r2 = load_pascal_parts(s.pascal_parts_root, s.voc_root, "val", **kw)
        report = SkipReport(r1.counts + r2.counts, {**r1.examples, **r2.examples})
    else:
        train, val = synthetic_part_crops(cfg)
        report = SkipReport()
    arrays = {f"train_{k}": v for k, v in train.to_arrays().items()}
    arrays.update({f"val_{k}": v for k, v in val.to_arrays().items()})
    save_npz(cache, skips=np.array(json.dumps({"counts": dict(report.counts), "examples": report.examples})),
             **arrays)
    return train, val, report


def synthetic_part_crops(cfg: Config) -> tuple[PartCrops, PartCrops]:
    """Crops of the synthetic part-annotated objects (the default-scale stand-in for Pascal-Part)."""
    s = cfg.segmentation
    path = require(artifact("samples", "parts.npz", cache_dir=cfg.run.cache_dir), "samples")
    with np.load(path, allow_pickle=False) as a:
        missing = {"train_images", "train_masks", "train_labels", "val_images", "val_masks", "val_labels",
                   "categories", "part_names"} - set(a.files)
        if missing:
            raise DatasetLayoutError(f"{path} lacks {sorted(missing)}; rebuild it with notebook 00_sample_data")
        d = {k: a[k] for k in a.files}
    categories = [str(c) for c in d["categories"]]
    part_names = [[str(n) for n in row if n] for row in d["part_names"]]
    keep = list(range(len(categories)))
    if s.seg_classes:
        unknown = [c for c in s.seg_classes if c not in categories]
        if unknown:
            raise ConfigError(f"seg_classes {unknown} are not synthetic categories ({', '.join(categories)}); "
                              "use seg_classes=() or set pascal_parts_root for Pascal-Part classes")
        keep = [categories.index(c) for c in s.seg_classes]
    out = []
    for split in ("train", "val"):
        sel = np.isin(d[f"{split}_labels"], keep)
        remap = np.full(len(categories), -1)
        remap[keep] = np.arange(len(keep))
        out.append(crops_from_arrays(
            d[f"{split}_images"][sel], d[f"{split}_masks"][sel], remap[d[f"{split}_labels"][sel]],
            [categories[k] for k in keep], [part_names[k] for k in keep], s.crop_margin, cfg.train.image_size,
            s.seg_output_size, s.seg_outside, prefix=f"{split}/"))
    return out[0], out[1]


# ----------------------------------------------------------------------------------- representations
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9+_.-]", "_", name)


def cached_representations(cfg: Config, name: str, path: str, train: PartCrops, val: PartCrops,
                           encoder_fn: Callable[[], nn.Module] | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor, tuple[nn.Module, dict] | None]:
    """(train vectors N x D, val vectors M x D, frozen): computed once per model and crop setting and cached
    with the checkpoint's fingerprint (a changed checkpoint recomputes them). ``frozen`` is (encoder, its
    snapshot taken before extraction) when the encoder was run, for ``assert_frozen`` afterwards; None when
    the vectors came from the cache."""
    fp = fingerprint(path, cfg.train.arch, cfg.run.seed)
    file = artifact("features", _safe(name), f"parts-{crops_key(cfg)}.pt", cache_dir=cfg.run.cache_dir)
    if file.is_file():
        obj = torch.load(file, map_location="cpu", weights_only=True)
        if obj.get("fingerprint") == fp and len(obj["train"]) == len(train) and len(obj["val"]) == len(val):
            return obj["train"], obj["val"], None
    device = resolve_device(cfg.run.device)
    encoder = (encoder_fn or (lambda: load_backbone(path, cfg.train.arch, cfg.run.seed)))().to(device)
    snapshot = frozen_snapshot(encoder)
    z_train = representations(encoder, train.images, EXTRACT_BATCH, device)
    z_val = representations(encoder, val.images, EXTRACT_BATCH, device)
    assert_frozen(encoder, snapshot)  # never cache vectors of an encoder that moved while computing them
    save_torch({"train": z_train, "val": z_val, "fingerprint": fp, "model": name}, file)
    return z_train, z_val, (encoder, snapshot)


# ------------------------------------------------------------------------------------- the evaluation
@dataclass
class ModelResult:
    accuracy: dict[str, float]                  # class -> pixel accuracy in percent, plus "Avg."
    predictions: dict[str, torch.Tensor]        # class -> predicted label maps of its example val crops
    counts: dict[str, np.ndarray]               # class -> M_c x 2 (correct, counted) pixels per val crop


def evaluate_model(cfg: Config, name: str, path: str, train: PartCrops, val: PartCrops,
                   examples: Mapping[str, np.ndarray] | None = None,
                   encoder_fn: Callable[[], nn.Module] | None = None) -> ModelResult:
    """Per object class, a decoder trained on this model's cached training vectors and scored on the val
    crops of that class (pixels pooled over the class's crops). ``examples``: class -> val indices whose
    predictions are kept for figures."""
    s = cfg.segmentation
    device = resolve_device(cfg.run.device)
    z_train, z_val, frozen = cached_representations(cfg, name, path, train, val, encoder_fn)
    acc, preds, counts = {}, {}, {}
    for c, cls in enumerate(train.classes):
        tr, va = np.flatnonzero(train.labels == c), np.flatnonzero(val.labels == c)
        if len(tr) == 0 or len(va) == 0:
            raise DatasetLayoutError(f"class {cls!r} has {len(tr)} training and {len(va)} val crops; both "
                                     "splits need objects of every class in seg_classes")
        decoder = train_decoder(z_train[tr], torch.as_tensor(train.targets[tr]), train.num_labels(c),
                                epochs=s.seg_epochs, lr=s.seg_lr, batch_size=s.seg_batch_size, width=s.seg_width,
                                output_size=s.seg_output_size, seed=cfg.run.seed + c, device=device)
        pred = predict(decoder, z_val[va], device=device)  # pred: M_c x S x S
        acc[cls] = accuracy_percent(pred, val.targets[va])
        target = torch.as_tensor(val.targets[va]).long()
        valid = target != IGNORE
        counts[cls] = torch.stack([((pred.long() == target) & valid).flatten(1).sum(1),
                                   valid.flatten(1).sum(1)], 1).numpy()  # counts: M_c x 2
        if examples is not None and cls in examples:
            where = {int(j): k for k, j in enumerate(va)}
            preds[cls] = pred[[where[int(j)] for j in examples[cls]]]
    if frozen is not None:
        assert_frozen(*frozen)
    return ModelResult(table5.with_average(acc, train.classes), preds, counts)


@dataclass
class Table5Result:
    accuracy: dict[str, dict[str, float]]        # model -> class -> % (and "Avg.")
    models: dict[str, str]                       # model -> checkpoint ("" = random init)
    paper_rows: dict[str, str]                   # model -> paper row it stands for
    val: PartCrops
    examples: dict[str, np.ndarray]              # class -> val indices shown in figures
    predictions: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # model -> class -> maps
    skips: SkipReport = field(default_factory=SkipReport)
    synthetic: bool = True
    prior: dict[str, float] = field(default_factory=dict)   # class -> accuracy of the per-pixel prior
    counts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # model -> class -> M_c x 2

    def table(self, display_names: bool = True) -> dict[str, dict[str, float]]:
        return {ROW_NAMES.get(m, m) if display_names else m: row for m, row in self.accuracy.items()}

    def difference(self) -> dict[str, dict[str, float]]:
        """ours - paper per shared cell, rows as ``paper_rows`` pairs them (labelled "ours − paper row").
        On the synthetic stand-in only "Avg." is compared: its categories are not Pascal classes, even
        where a name coincides (its "car" is a drawing)."""
        columns = [table5.AVG] if self.synthetic else None
        diff = table5.difference(self.accuracy, table5.PAPER_TABLE5, self.paper_rows, columns)
        return {f"{ROW_NAMES.get(m, m)} − {self.paper_rows[m]}": row for m, row in diff.items()}


def run_table5(cfg: Config, models: Mapping[str, str] | None = None, examples_per_class: int = 1
               ) -> Table5Result:
    """Evaluates every model (``model_checkpoints(cfg)`` unless given) on every class: our Table 5."""
    models = dict(model_checkpoints(cfg) if models is None else models)
    train, val, report = load_part_crops(cfg)
    examples = {cls: np.flatnonzero(val.labels == c)[:examples_per_class] for c, cls in enumerate(val.classes)}
    acc, preds, counts = {}, {}, {}
    for name, path in progress(models.items(), desc="Table 5 models", total=len(models)):
        res = evaluate_model(cfg, name, path, train, val, examples)
        acc[name], preds[name], counts[name] = res.accuracy, res.predictions, res.counts
    return Table5Result(acc, models, paper_row_map(models), val, examples, preds, report,
                        synthetic=not cfg.segmentation.pascal_parts_root, prior=prior_accuracy(train, val),
                        counts=counts)


def bootstrap_difference(counts_a: Mapping[str, np.ndarray], counts_b: Mapping[str, np.ndarray],
                         n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Avg.(a) - Avg.(b) in points with a paired bootstrap interval over val objects: per draw, each class's
    val crops are resampled with replacement (the same crops for both models), per-class accuracies are
    pooled over the drawn crops and averaged over classes. Returns (difference, low, high)."""
    def avg(ca, idx):
        return np.mean([100 * ca[c][i, 0].sum() / max(1, ca[c][i, 1].sum()) for c, i in idx.items()])
    full = {c: np.arange(len(counts_a[c])) for c in counts_a}
    diff = avg(counts_a, full) - avg(counts_b, full)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        idx = {c: rng.integers(0, len(i), len(i)) for c, i in full.items()}
        draws.append(avg(counts_a, idx) - avg(counts_b, idx))
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(diff), float(lo), float(hi)
