"""Section C's evaluation: one part decoder per object class on the frozen encoder's single representation.

Supplement, Section C: "we crop bounding boxes for the each object and create separate images. For each
object, we train a small CNN comprising of four transposed convolution layers that takes as input a single
representation. In Table 5, we present the pixel-wise classification accuracies for each object".

Pipeline (``run_table5``), each step in its own module:
  1. the models: a random init, every trained mode and any extra checkpoint (``checkpoints``);
  2. object crops of the train and val splits (Pascal-Part, or the synthetic stand-in at the default
     scale), cached once per crop setting in ``<cache>/features/_crops/`` (``crops``);
  3. per model, the pooled representation of every crop (B x D; 512-d ResNet-18, 2048-d ResNet-50),
     computed once by the frozen encoder (eval mode, no gradients) and cached in
     ``<cache>/features/<model>/parts-<key>.pt`` together with the checkpoint's SHA-256 (``features``);
  4. per object class, a ``PartDecoder`` trained on the cached training vectors (Adam, cross-entropy with
     ``IGNORE`` pixels left out; ``decoder``) and evaluated on the val crops: pooled pixel accuracy in
     percent, and each crop's pixel counts for the bootstrap (``metrics``);
  5. the encoder is asserted unchanged (every parameter and buffer) after steps 3-4, as the official MoCo
     ``main_lincls.py`` checks its frozen backbone (``frozen``);
  6. the per-pixel prior of every class, the floor a representation has to beat (``prior``).

Decoder hyper-parameters (epochs, lr, batch size, width, output size) are not in the supplement; see
``SegmentationConfig``. The names that the chapter and older code import from here (``load_part_crops``,
``train_decoder``, ``bootstrap_difference``, ...) are re-exported from their modules (``__all__``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch
from torch import nn

from ..config import Config
from ..errors import DatasetLayoutError
from ..models import RANDOM_INIT
from ..runtime import progress, resolve_device
from . import table5
from .bootstrap import bootstrap_difference
from .checkpoints import paper_row_map, table5_models
from .crops import load_part_crops, synthetic_part_crops
from .decoder import decoder_settings, predict, train_decoder
from .features import cached_representations, representations, to_input
from .frozen import assert_frozen, frozen_snapshot
from .metrics import accuracy_percent, counts_per_crop
from .pascal_parts import IGNORE, PartCrops, SkipReport
from .prior import prior_accuracy, prior_counts, prior_prediction

__all__ = [
    "ROW_NAMES",
    "ModelResult",
    "Table5Result",
    "evaluate_model",
    "run_table5",
    # re-exported from their modules for the code that imports them from here
    "accuracy_percent",
    "assert_frozen",
    "bootstrap_difference",
    "frozen_snapshot",
    "load_part_crops",
    "table5_models",
    "paper_row_map",
    "predict",
    "prior_accuracy",
    "prior_counts",
    "prior_prediction",
    "representations",
    "synthetic_part_crops",
    "to_input",
    "train_decoder",
]

#: display names of this repository's models (rows of our Table 5).
ROW_NAMES = {
    RANDOM_INIT: "Random init",
    "supervised": "Supervised",
    "images": "MoCo v2 (images)",
    "frames": "Frame Temporal Invariance",
    "frames+tracks": "Region Tracker (frames+tracks)",
}


@dataclass
class ModelResult:
    """One model's row of Table 5, with what the figure and the bootstrap need."""

    accuracy: dict[str, float]  # class -> pixel accuracy in percent, plus "Avg."
    predictions: dict[str, torch.Tensor]  # class -> predicted label maps of its example val crops
    counts: dict[str, np.ndarray]  # class -> M_c x 2 (correct, counted) pixels per val crop


def evaluate_model(
    cfg: Config,
    name: str,
    path: str | Path | None,
    train: PartCrops,
    val: PartCrops,
    examples: Mapping[str, np.ndarray] | None = None,
    encoder_fn: Callable[[], nn.Module] | None = None,
) -> ModelResult:
    """Per object class, a decoder trained on this model's cached training vectors and scored on the val
    crops of that class (pixels pooled over the class's crops). ``examples``: class -> val indices whose
    predictions are kept for figures."""
    device = resolve_device(cfg.run.device)
    z_train, z_val, frozen = cached_representations(cfg, name, path, train, val, encoder_fn)
    acc, preds, counts = {}, {}, {}
    for c, cls in enumerate(train.classes):
        tr, va = np.flatnonzero(train.labels == c), np.flatnonzero(val.labels == c)
        if len(tr) == 0 or len(va) == 0:
            raise DatasetLayoutError(
                f"class {cls!r} has {len(tr)} training and {len(va)} val crops; both "
                "splits need objects of every class in seg_classes"
            )
        decoder = train_decoder(
            z_train[tr],
            torch.as_tensor(train.targets[tr]),
            train.num_labels(c),
            **decoder_settings(cfg, c),
            device=device,
        )
        pred = predict(decoder, z_val[va], device=device)  # pred: M_c x S x S
        acc[cls] = accuracy_percent(pred, val.targets[va], IGNORE)
        counts[cls] = counts_per_crop(pred, val.targets[va], IGNORE)  # counts: M_c x 2
        if examples is not None and cls in examples:
            where = {int(j): k for k, j in enumerate(va)}
            preds[cls] = pred[[where[int(j)] for j in examples[cls]]]
    if frozen is not None:
        assert_frozen(*frozen)
    return ModelResult(table5.with_average(acc, train.classes), preds, counts)


@dataclass
class Table5Result:
    """Our Table 5 (every model on every class) and what the chapter shows beside it."""

    accuracy: dict[str, dict[str, float]]  # model -> class -> % (and "Avg.")
    models: dict[str, Path | None]  # model -> checkpoint (None = random init)
    paper_rows: dict[str, str]  # model -> paper row it stands for
    val: PartCrops
    examples: dict[str, np.ndarray]  # class -> val indices shown in figures
    predictions: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # model -> class -> maps
    skips: SkipReport = field(default_factory=SkipReport)
    synthetic: bool = True
    prior: dict[str, float] = field(default_factory=dict)  # class -> accuracy of the per-pixel prior
    counts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # model -> class -> M_c x 2
    prior_counts: dict[str, np.ndarray] = field(default_factory=dict)  # class -> M_c x 2, the prior's

    def avg_by_model(self) -> dict[str, float]:
        """Avg. per model (the names of results.json: ``random init`` for the random network) and the
        ``per-pixel prior``."""
        out = {m: row[table5.AVG] for m, row in self.accuracy.items()}
        out["per-pixel prior"] = self.prior[table5.AVG]
        return out

    def table(self, display_names: bool = True) -> dict[str, dict[str, float]]:
        return {ROW_NAMES.get(m, m) if display_names else m: row for m, row in self.accuracy.items()}

    def difference(self) -> dict[str, dict[str, float]]:
        """ours - paper per shared cell, rows as ``paper_rows`` pairs them (labelled "ours − paper row").
        On the synthetic stand-in only "Avg." is compared: its categories are not Pascal classes, even
        where a name coincides (its "car" is a drawing)."""
        columns = [table5.AVG] if self.synthetic else None
        diff = table5.difference(self.accuracy, table5.PAPER_TABLE5, self.paper_rows, columns)
        return {f"{ROW_NAMES.get(m, m)} − {self.paper_rows[m]}": row for m, row in diff.items()}


def run_table5(
    cfg: Config, models: Mapping[str, Path | None] | None = None, examples_per_class: int = 1
) -> Table5Result:
    """Evaluates every model (``table5_models(cfg)`` unless given) on every class: our Table 5."""
    models = dict(table5_models(cfg) if models is None else models)
    train, val, report = load_part_crops(cfg)
    examples = {cls: np.flatnonzero(val.labels == c)[:examples_per_class] for c, cls in enumerate(val.classes)}
    acc, preds, counts = {}, {}, {}
    for name, path in progress(models.items(), desc="Table 5 models", total=len(models)):
        res = evaluate_model(cfg, name, path, train, val, examples)
        acc[name], preds[name], counts[name] = res.accuracy, res.predictions, res.counts
    return Table5Result(
        acc,
        models,
        paper_row_map(models),
        val,
        examples,
        preds,
        report,
        synthetic=not cfg.segmentation.pascal_parts_root,
        prior=prior_accuracy(train, val),
        counts=counts,
        prior_counts=prior_counts(train, val),
    )
