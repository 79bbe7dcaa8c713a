"""What the paper scale costs: each unit of work timed here at the paper's settings, scaled to the full runs.

Units (``time_units``, median of ``repeats`` after one warm-up, on the rehearsal's files):

* selective search per frame: a 640 x 480 TrackingNet frame, ``proposal_short_side`` and ``max_proposals``
  of the paper preset;
* layer-3 features per frame: the track feature model f (ResNet-50) on the whole frame
  (``feature_short_side``) and ROI features of ``max_proposals`` boxes;
* Eq. 4-5 scores per chunk: ``chunk_len`` frames of ``max_proposals`` regions (1024-d layer-3 features),
  every pair at least ``pair_gap`` apart (``pair_mode="random"``), one log-space chain per source frame;
* one training step per mode: ``moco_step`` at ResNet-50, 224 px, K = 65536, MLP head on ``batch`` images
  (``images`` and ``frames`` take the same step: two views; ``frames+tracks`` adds the patch path);
* feature extraction per image: the pooled ResNet-50 features of one 224-px image (Section A);
* one decoder epoch per crop: a part decoder of Section C on cached representations.

``cost_table`` scales them to the full runs (``PAPER_SCALE``). CPU-hours are the measured seconds times the
count. GPU-hours are estimates: the MoCo v2 report's 53 hours for 200 ImageNet epochs on 8 V100s give
``V100_SECONDS_PER_IMAGE_STEP`` per image in a training step, and every other network stage is scaled by its
CPU cost relative to a training image-step measured here. Selective search runs on CPUs only.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch

from ..config import Config
from ..moco import MoCo
from ..moco.augment import sample_color_params
from ..models import build_resnet
from ..report import Table
from ..segmentation.decoder import decoder_settings, train_decoder
from ..tracks.features import load_layer3, region_features
from ..tracks.proposals import proposals_from_config
from ..tracks.score import log_track_score_chain, region_similarities
from ..train.loop import moco_step

#: The full runs (supplement, Section B; MoCo v2): TrackingNet's 30K training videos x 4 chunks x 60 frames,
#: 200 epochs of MoCo v2 on ImageNet (1,281,167 images, batch 256) and on the TrackingNet chunks, the
#: invariance datasets of Section A (ALOI: 1,000 objects x 108 images; PASCAL3D+: about 36K objects) for five
#: models, and Table 5's decoders (about 10K Pascal-Part training objects, 30 epochs, five models).
PAPER_SCALE = {
    "videos": 30_000,
    "chunks_per_video": 4,
    "imagenet_images": 1_281_167,
    "epochs": 200,
    "batch": 256,
    "invariance_images": 1_000 * 108 + 36_000,
    "models": 5,
    "part_objects": 10_000,
    "seg_epochs": 30,
}
#: The units of work ``measure`` times (seconds each on this machine).
UNITS = (
    "selective search per frame",
    "layer-3 features per frame",
    "Eq. 4-5 scores per chunk",
    "training image-step (images, frames)",
    "training image-step (frames+tracks)",
    "feature extraction per image",
    "decoder epoch per crop",
)
#: MoCo v2 (Chen et al. 2020, Table 3): 200 epochs of ImageNet in 53 hours on 8 V100 GPUs, batch 256.
V100_SECONDS_PER_IMAGE_STEP = 53 * 3600 * 8 / (200 * 1_281_167)


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _frame(trackingnet_root: Path) -> np.ndarray:
    path = next(iter(sorted((trackingnet_root / "TRAIN_0" / "frames").glob("*/0.jpg"))))
    return cv2.imread(str(path))[..., ::-1].copy()


def time_tracks(cfg: Config, trackingnet_root: Path, checkpoint: Path, repeats: int) -> dict[str, float]:
    """Selective search and layer-3 features of one frame, Eq. 4-5 scores of one chunk (seconds)."""
    t, v = cfg.tracks, cfg.video
    frame = _frame(trackingnet_root)
    boxes = proposals_from_config(frame, t)
    layer3 = load_layer3(str(checkpoint), t.track_arch)
    feats = region_features(layer3, [frame], [boxes], feature_short_side=t.feature_short_side)[0]
    rng = np.random.default_rng(0)
    chunk = [
        torch.from_numpy(rng.standard_normal((t.max_proposals, feats.shape[1]), np.float32)) for _ in range(v.chunk_len)
    ]

    def scores() -> None:
        sims = region_similarities(chunk, t.center_features)
        for i in range(v.chunk_len - v.pair_gap):
            for _ in log_track_score_chain(sims, i, range(i + v.pair_gap, v.chunk_len)):
                pass

    return {
        "selective search per frame": median_seconds(lambda: proposals_from_config(frame, t), repeats),
        "layer-3 features per frame": median_seconds(
            lambda: region_features(layer3, [frame], [boxes], feature_short_side=t.feature_short_side), repeats
        ),
        "Eq. 4-5 scores per chunk": median_seconds(scores, max(1, repeats // 2)),
    }


def time_training(cfg: Config, batch: int, repeats: int) -> dict[str, float]:
    """One ``moco_step`` per image for two views (``images``, ``frames``) and with patches (``frames+tracks``)."""
    tc, s = cfg.train, cfg.train.image_size
    torch.manual_seed(0)
    moco = MoCo(tc.arch, tc.feature_dim, tc.queue_size, tc.moco_momentum, tc.temperature, tc.mlp, tc.patch_roi_size)
    opt = torch.optim.SGD(moco.encoder_q.parameters(), lr=tc.lr, momentum=0.9, weight_decay=1e-4)
    rng, g = np.random.default_rng(0), torch.Generator().manual_seed(0)

    def views() -> torch.Tensor:
        return torch.randint(0, 256, (batch, 3, s, s), dtype=torch.uint8, generator=g)

    def colour() -> torch.Tensor:
        return torch.from_numpy(np.stack([sample_color_params(rng, s) for _ in range(batch)]))

    frames = {"view_q": views(), "view_k": views(), "color_q": colour(), "color_k": colour()}
    box = torch.tensor([[s * 0.2, s * 0.25, s * 0.7, s * 0.8]]).repeat(batch, 1)
    tracks = {
        **frames,
        "patch_q": views(),
        "patch_k": views(),
        "patch_color_q": colour(),
        "patch_color_k": colour(),
        "box_q": box,
        "box_k": box,
    }
    step = [0]

    def run(b: dict) -> None:
        moco_step(moco, moco, opt, b, torch.device("cpu"), step[0])
        step[0] += 1

    return {
        "training image-step (images, frames)": median_seconds(lambda: run(frames), repeats) / batch,
        "training image-step (frames+tracks)": median_seconds(lambda: run(tracks), repeats) / batch,
    }


def time_features_and_decoder(cfg: Config, repeats: int) -> dict[str, float]:
    """A pooled ResNet-50 feature of one 224-px image; one decoder epoch per crop on cached representations."""
    net = build_resnet(cfg.train.arch).eval()
    net.fc = torch.nn.Identity()
    x = torch.randn(8, 3, 224, 224)
    s = cfg.segmentation
    crops = 32
    z = torch.randn(crops, 2048)  # the pooled ResNet-50 representation of a crop
    y = torch.randint(0, 4, (crops, s.seg_output_size, s.seg_output_size))
    settings = {**decoder_settings(cfg, 0), "epochs": 1}

    def features() -> None:
        with torch.no_grad():
            net(x)

    return {
        "feature extraction per image": median_seconds(features, repeats) / len(x),
        "decoder epoch per crop": median_seconds(lambda: train_decoder(z, y, 4, **settings), repeats) / crops,
    }


def _hours(h: float) -> str:
    return f"{h:,.0f}" if h >= 10 else f"{h:.1f}" if h >= 0.1 else "< 0.1"


def cost_table(units: dict[str, float], cfg: Config, scale: dict = PAPER_SCALE) -> Table:
    """CPU-hours (measured seconds x count) and GPU-hours (estimate) per stage of the full paper runs."""
    frames = scale["videos"] * scale["chunks_per_video"] * cfg.video.chunk_len
    chunks = scale["videos"] * scale["chunks_per_video"]
    image_steps = {
        "ImageNet MoCo v2": scale["epochs"] * scale["imagenet_images"],
        "frames": scale["epochs"] * chunks * cfg.train.pairs_per_chunk,
    }
    cpu_step = units["training image-step (images, frames)"]
    to_gpu = V100_SECONDS_PER_IMAGE_STEP / cpu_step  # GPU seconds per CPU second for network stages
    rows = [
        ("selective search", "frames", frames, units["selective search per frame"], None),
        ("layer-3 features (f)", "frames", frames, units["layer-3 features per frame"], to_gpu),
        ("Eq. 4-5 scores", "chunks", chunks, units["Eq. 4-5 scores per chunk"], None),
        ("training: ImageNet MoCo v2", "image-steps", image_steps["ImageNet MoCo v2"], cpu_step, to_gpu),
        ("training: frames", "image-steps", image_steps["frames"], cpu_step, to_gpu),
        (
            "training: frames+tracks",
            "image-steps",
            image_steps["frames"],
            units["training image-step (frames+tracks)"],
            to_gpu,
        ),
        (
            "invariance features",
            "images x models",
            scale["invariance_images"] * scale["models"],
            units["feature extraction per image"],
            to_gpu,
        ),
        (
            "part decoders",
            "crop-epochs x models",
            scale["part_objects"] * scale["seg_epochs"] * scale["models"],
            units["decoder epoch per crop"],
            to_gpu,
        ),
    ]
    body = [
        [
            stage,
            f"{count:,.0f} {what}",
            f"{sec * 1e3:,.1f}",
            _hours(count * sec / 3600),
            "CPU only" if ratio is None else _hours(count * sec * ratio / 3600),
        ]
        for stage, what, count, sec, ratio in rows
    ]
    return Table(
        ["stage", "units at paper scale", "CPU ms per unit (measured)", "CPU-hours", "V100-hours (estimate)"], body
    )


def measure(cfg: Config, data: Path, batch: int, repeats: int = 3) -> dict[str, float]:
    """Every unit's seconds on this machine, from the rehearsal's data under ``data``."""
    units = time_tracks(cfg, data / cfg.video.trackingnet_root, data / cfg.tracks.track_checkpoint, repeats)
    units.update(time_training(cfg, batch, repeats))
    units.update(time_features_and_decoder(cfg, repeats))
    return units
