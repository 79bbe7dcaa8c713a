"""How much of the category a representation holds: the kNN monitor and the linear probe.

Neither is in the supplement; they are the protocols MoCo and solo-learn users read a run by.

* ``knn_top1``: weighted k-nearest-neighbour classification with cosine similarity (Wu et al. 2018, as in
  the MoCo v1/InstDisc monitor and solo-learn's ``WeightedKNNClassifier``): each of the k most similar
  bank images votes for its label with weight exp(s / ``temperature``); k = 20, temperature 0.07 (their
  defaults; ``temperature=0`` gives a plain majority vote). Bank: the labelled training stills; queries:
  the held-out stills (``images.npz``: ``train_*`` and ``val_*``, new instances of known categories).
* ``linear_top1``: a linear classifier (full-batch L-BFGS on the cross-entropy of frozen, standardised
  pooled features, weight decay ``probe_weight_decay``) trained on the bank and tested on the queries.
* ``colour_histogram``: the same kNN on a joint RGB histogram of the image (``bins``^3 bins), the
  baseline that says how much colour alone gives the category away.

Features are the pooled backbone output (the representation of every chapter), on the stills resized to
the training ``image_size`` and normalised as in training.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import Config
from ..data import read_image
from ..errors import ConfigError
from ..models import load_backbone, normalize
from ..paths import artifact, require
from .data import image_folder

KNN_K = 20  # solo-learn / InstDisc default
KNN_TEMPERATURE = 0.07  # solo-learn / InstDisc default


def pooled(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The pooled representation of a torchvision ResNet (whatever its ``fc`` / head). x: Nx3xHxW -> NxC."""
    e = encoder
    f = e.layer4(e.layer3(e.layer2(e.layer1(e.maxpool(e.relu(e.bn1(e.conv1(x))))))))
    return torch.flatten(e.avgpool(f), 1)  # pooled: NxC


PREPARED_MAX_MB = 256  # a KnnMonitor keeps its inputs prepared (``prepare``) when they fit (smoke: 34 MB)


def prepare(images: np.ndarray, image_size: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """The encoder's input (Nx3xSxS float32 on ``device``) of uint8 NxHxWx3 images: scaled to [0, 1], resized
    to S = ``image_size`` (bilinear, antialiased) if they are not that size, and normalised as in training."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    x = x.permute(0, 3, 1, 2).float().div_(255)  # x: Nx3xHxW in [0, 1]
    if x.shape[-1] != image_size or x.shape[-2] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", antialias=True, align_corners=False)
    return normalize(x)


@torch.no_grad()
def embed_batches(encoder: nn.Module, batches: Iterable[torch.Tensor]) -> torch.Tensor:
    """Pooled features (NxC float32, on the CPU) of input batches (``prepare``), the encoder in eval mode (its
    mode is restored)."""
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    try:
        out = [pooled(encoder, x.to(device)).float().cpu() for x in batches]
    finally:
        encoder.train(was_training)
    return torch.cat(out)


def prepared_batches(
    images: np.ndarray, image_size: int, batch_size: int, device: torch.device | str = "cpu"
) -> Iterator[torch.Tensor]:
    """``prepare`` of ``images`` a batch of ``batch_size`` at a time (the batches ``embed_batches`` runs)."""
    for i in range(0, len(images), batch_size):
        yield prepare(images[i : i + batch_size], image_size, device)


def embed(encoder: nn.Module, images: np.ndarray, image_size: int, batch_size: int = 256) -> torch.Tensor:
    """Pooled features (NxC float32, on the CPU) of uint8 NxHxWx3 images, prepared a batch at a time on the
    encoder's device (``prepared_batches``, ``embed_batches``)."""
    device = next(encoder.parameters()).device
    return embed_batches(encoder, prepared_batches(images, image_size, batch_size, device))


def knn_predict(
    bank: torch.Tensor,
    bank_labels: torch.Tensor,
    queries: torch.Tensor,
    num_classes: int,
    k: int = KNN_K,
    temperature: float = KNN_TEMPERATURE,
) -> torch.Tensor:
    """Class scores (QxC) of weighted cosine kNN. bank: NxD, bank_labels: N int, queries: QxD."""
    if not 0 < k <= len(bank):
        raise ValueError(f"k must be in [1, {len(bank)}] (the bank size), got {k}")
    sim = F.normalize(queries.float(), dim=1) @ F.normalize(bank.float(), dim=1).T  # sim: QxN
    top, idx = sim.topk(k, dim=1)  # top, idx: Qxk
    weight = (top / temperature).exp() if temperature > 0 else torch.ones_like(top)
    votes = F.one_hot(bank_labels[idx].long(), num_classes).float()  # votes: QxkxC
    return (votes * weight.unsqueeze(-1)).sum(1)  # scores: QxC


def knn_correct(
    bank: torch.Tensor,
    bank_labels,
    queries: torch.Tensor,
    query_labels,
    k: int = KNN_K,
    temperature: float = KNN_TEMPERATURE,
) -> np.ndarray:
    """Whether ``knn_predict`` classifies each query correctly (Q bool)."""
    bank_labels, query_labels = torch.as_tensor(bank_labels), torch.as_tensor(query_labels)
    num_classes = int(max(bank_labels.max(), query_labels.max())) + 1
    scores = knn_predict(bank, bank_labels, queries, num_classes, k, temperature)  # scores: QxC
    return (scores.argmax(1) == query_labels).numpy()


def knn_top1(
    bank: torch.Tensor,
    bank_labels,
    queries: torch.Tensor,
    query_labels,
    k: int = KNN_K,
    temperature: float = KNN_TEMPERATURE,
) -> float:
    """Top-1 accuracy (fraction in [0, 1]) of ``knn_predict`` on the queries."""
    return float(knn_correct(bank, bank_labels, queries, query_labels, k, temperature).mean())


def linear_top1(
    train: torch.Tensor, train_labels, test: torch.Tensor, test_labels, weight_decay: float = 1e-4, max_iter: int = 200
) -> float:
    """Top-1 accuracy of a linear classifier on frozen features: standardised with the training features'
    mean and std, fitted by full-batch L-BFGS on cross-entropy + ``weight_decay`` * ||W||^2 (deterministic:
    zero initialisation, no sampling)."""
    train_labels, test_labels = torch.as_tensor(train_labels).long(), torch.as_tensor(test_labels).long()
    mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
    xtr, xte = (train - mean) / std, (test - mean) / std
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    w = torch.zeros(xtr.shape[1], num_classes, requires_grad=True)
    b = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xtr @ w + b, train_labels) + weight_decay * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float(((xte @ w + b).argmax(1) == test_labels).float().mean())


def colour_histogram(images: np.ndarray, bins: int = 8) -> torch.Tensor:
    """Joint RGB histograms (N x bins^3, each summing to 1) of uint8 NxHxWx3 images."""
    q = (images.astype(np.int64) * bins) // 256  # q: NxHxWx3 bin indices
    flat = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]  # flat: NxHxW
    counts = np.stack([np.bincount(f.ravel(), minlength=bins**3) for f in flat])
    return torch.from_numpy(counts / counts.sum(1, keepdims=True)).float()


def _read_resized(files, size: int) -> np.ndarray:
    """Image files as N x size x size x 3 uint8: the shorter side resized to size * 256 / 224 (antialiased),
    then the central size x size crop (the usual evaluation transform of ImageNet models)."""
    out = np.zeros((len(files), size, size, 3), np.uint8)
    short = round(size * 256 / 224)
    for n, f in enumerate(files):
        img = read_image(f)
        h, w = img.shape[:2]
        s = short / min(h, w)
        img = cv2.resize(img, (max(size, round(w * s)), max(size, round(h * s))), interpolation=cv2.INTER_AREA)
        top, left = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
        out[n] = img[top : top + size, left : left + size]
    return out


class KnnMonitor:
    """``knn_top1`` of an encoder's pooled features: bank = labelled training stills, queries = held-out
    stills. ``from_config`` reads them from the sample ``images.npz`` (``train_*``, ``val_*``)."""

    def __init__(
        self,
        bank_images: np.ndarray,
        bank_labels,
        query_images: np.ndarray,
        query_labels,
        image_size: int,
        k: int = KNN_K,
        temperature: float = KNN_TEMPERATURE,
    ):
        self.bank_images, self.query_images = bank_images, query_images
        self.bank_labels, self.query_labels = torch.as_tensor(bank_labels), torch.as_tensor(query_labels)
        self.image_size, self.k, self.temperature = image_size, k, temperature
        self._inputs: dict[int, list] = {}  # batch size -> prepared bank and query batches (``features``)

    @classmethod
    def from_config(cls, cfg: Config) -> "KnnMonitor":
        """The probe images of ``cfg``: ``probe_root``'s ``train``/``val`` class folders (``probe_per_class``
        of each class, resized and centre-cropped to ``image_size``), or the sample stills' split."""
        tc = cfg.train
        if tc.probe_root:
            bank = image_folder(Path(tc.probe_root) / "train", "probe_root's train folder", tc.probe_per_class)
            queries = image_folder(
                Path(tc.probe_root) / "val", "probe_root's val folder", tc.probe_per_class, categories=bank.categories
            )
            size = tc.image_size
            return cls(
                _read_resized(bank.files, size), bank.labels, _read_resized(queries.files, size), queries.labels, size
            )
        if tc.image_root:
            raise ConfigError(
                f"the probe of a run on image_root={tc.image_root!r} needs labelled images of the same kind: set "
                "probe_root (a folder with train/<class>/ and val/<class>/, e.g. ImageNet), or knn_every=0"
            )
        path = require(artifact("samples", "images.npz", cache_dir=cfg.run.cache_dir), "samples")
        with np.load(path) as z:
            return cls(z["train_images"], z["train_labels"], z["val_images"], z["val_labels"], tc.image_size)

    def features(self, encoder: nn.Module, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """(bank, queries) pooled features of ``encoder``. The prepared inputs are kept after the first call
        when they fit in ``PREPARED_MAX_MB``: the numbers of ``embed`` at the same ``batch_size``, without
        resizing the stills at every evaluation (0.33 -> 0.19 s an evaluation at the smoke scale)."""
        if batch_size not in self._inputs:
            n = len(self.bank_images) + len(self.query_images)
            fits = n * 3 * self.image_size**2 * 4 <= PREPARED_MAX_MB * 2**20
            self._inputs[batch_size] = [
                list(prepared_batches(a, self.image_size, batch_size)) if fits else None
                for a in (self.bank_images, self.query_images)
            ]
        return tuple(
            embed(encoder, a, self.image_size, batch_size) if x is None else embed_batches(encoder, x)
            for a, x in zip((self.bank_images, self.query_images), self._inputs[batch_size])
        )

    def __call__(self, encoder: nn.Module) -> float:
        bank, queries = self.features(encoder)
        return knn_top1(bank, self.bank_labels, queries, self.query_labels, self.k, self.temperature)


def evaluate_models(cfg: Config, checkpoints: dict[str, str | os.PathLike | None]) -> dict:
    """kNN and linear-probe top-1 on the held-out stills for each model (``None`` = the seeded random
    initialisation), and the colour-histogram kNN: ``{"knn_top1": {model: acc}, "linear_top1": {model:
    acc}, "knn_correct": {model: bool per query}, "colour_histogram_knn": acc, "num_classes": the probe's
    classes}``."""
    data = KnnMonitor.from_config(cfg)
    out: dict = {"knn_top1": {}, "linear_top1": {}, "knn_correct": {}}
    out["num_classes"] = int(max(data.bank_labels.max(), data.query_labels.max())) + 1
    for name, path in checkpoints.items():
        net = load_backbone(path, cfg.train.arch, seed=cfg.training_seed())
        bank, queries = data.features(net)
        out["knn_correct"][name] = knn_correct(
            bank, data.bank_labels, queries, data.query_labels, data.k, data.temperature
        )
        out["knn_top1"][name] = float(out["knn_correct"][name].mean())
        out["linear_top1"][name] = linear_top1(bank, data.bank_labels, queries, data.query_labels)
    out["colour_histogram_knn"] = knn_top1(
        colour_histogram(data.bank_images),
        data.bank_labels,
        colour_histogram(data.query_images),
        data.query_labels,
        data.k,
        data.temperature,
    )
    return out
