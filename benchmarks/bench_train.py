"""Training throughput of one Algorithm 1 step against the official MoCo step, its compute floor, and
whether data loading keeps up (issue: Algorithm 1, "Performance").

Variants, all in this process on the same model size, batch and queue, timed interleaved (median of
``--repeats`` steps after warm-up):

* ``official``     a faithful re-implementation of the official MoCo v2 step (``moco/builder.py`` +
                   ``main_moco.py``, kept below): momentum update of the key encoder inside ``forward``
                   (per-parameter ``param_k.data = param_k.data * m + param_q.data * (1. - m)``), keys,
                   logits against ``queue.clone().detach()``, enqueue inside ``forward``, cross-entropy,
                   ``zero_grad``/``backward``/``step``. Single process: no shuffle/gather (one GPU/CPU).
* ``frames``       ``repro.train.loop.moco_step`` on the same float views (colour already applied, as the
                   official loader delivers them), and ``frames+colour``: the same step from uint8 crops
                   with the colour augmentation on the device, as our loader delivers them.
* ``frames+tracks`` the step with the patch path (frames and patches, two enqueues).
* ``floor``        the compute the step cannot avoid: query encoder forward+backward plus key encoder
                   forward on the same batch (for tracks: frame and patch paths), timed alone.

Loader: batches per second of the real DataLoader on the sample data (frames, frames+tracks) with the
default workers (``num_workers`` of the smoke config), against the training step rate. Targets: ``frames``
>= 1.0x the official step; every step within 15% of its floor; loader >= 2x the step rate.

    .venv/bin/python benchmarks/bench_train.py [--arch resnet18 --image-size 64 --batch 32 --queue 4096]
    .venv/bin/python benchmarks/bench_train.py --device cuda --arch resnet50 --image-size 224 --batch 256 --queue 65536
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from repro.config import Config  # noqa: E402
from repro.moco import MoCo  # noqa: E402
from repro.moco.augment import sample_color_params  # noqa: E402
from repro.moco.builder import build_encoder, encode_patches  # noqa: E402
from repro.runtime import autocast, channels_last  # noqa: E402
from repro.train.loop import moco_step  # noqa: E402


# --------------------------------------------------------------------------- official MoCo (reference)
class OfficialMoCo(nn.Module):
    """``moco/builder.py`` of facebookresearch/moco (single process; ``.cuda()`` replaced by the device)."""

    def __init__(self, arch, dim=128, K=65536, m=0.999, T=0.2, mlp=True):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = build_encoder(arch, dim, mlp)
        self.encoder_k = build_encoder(arch, dim, mlp)
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data.copy_(param_q.data)
            param_k.requires_grad = False
        self.register_buffer("queue", torch.randn(dim, K))
        self.queue = nn.functional.normalize(self.queue, dim=0)
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        batch_size = keys.shape[0]
        ptr = int(self.queue_ptr)
        assert self.K % batch_size == 0
        self.queue[:, ptr : ptr + batch_size] = keys.T
        ptr = (ptr + batch_size) % self.K
        self.queue_ptr[0] = ptr

    def forward(self, im_q, im_k):
        q = self.encoder_q(im_q)
        q = nn.functional.normalize(q, dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = self.encoder_k(im_k)
            k = nn.functional.normalize(k, dim=1)
        l_pos = torch.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
        logits = torch.cat([l_pos, l_neg], dim=1)
        logits /= self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        self._dequeue_and_enqueue(k)
        return logits, labels


def official_step(model, criterion, optimizer, im_q, im_k, device):
    with autocast(device):
        output, target = model(im_q, im_k)
        loss = criterion(output.float(), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


# --------------------------------------------------------------------------- floor
def floor_step(moco: MoCo, x_q, x_k, device, patches=None):
    """Query forward+backward and key forward only (for tracks: frame and patch paths)."""
    with autocast(device):
        z = moco.encoder_q(x_q).float().sum()
        with torch.no_grad():
            moco.encoder_k(x_k)
        if patches is not None:
            z = z + encode_patches(moco.encoder_q, patches["patch_q"], patches["boxes_q"], moco.roi_size).float().sum()
            with torch.no_grad():
                encode_patches(moco.encoder_k, patches["patch_k"], patches["boxes_k"], moco.roi_size)
    z.backward()
    moco.encoder_q.zero_grad(set_to_none=True)


# --------------------------------------------------------------------------- timing
def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device) -> float:
    sync(device)
    t = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t


def make_batch(n, size, device, generator, uint8=False):
    if uint8:
        x = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)
    else:
        x = torch.randn(n, 3, size, size, generator=generator)
    x = x.to(device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last(device) and not uint8 else x


def step_benchmark(args, device) -> dict[str, float]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    n, s = args.batch, args.image_size
    kw = dict(dim=128, K=args.queue, m=0.999, T=0.2, mlp=True)
    off = OfficialMoCo(args.arch, **kw).to(device)
    ours = MoCo(args.arch, roi_size=max(1, s // 16), **kw).to(device)
    if channels_last(device):
        off.to(memory_format=torch.channels_last)
        ours.to(memory_format=torch.channels_last)
    sgd = dict(lr=0.03, momentum=0.9, weight_decay=1e-4)
    opt_off = torch.optim.SGD(off.encoder_q.parameters(), **sgd)
    opt_ours = torch.optim.SGD(ours.encoder_q.parameters(), **sgd)
    crit = nn.CrossEntropyLoss()
    x_q, x_k = make_batch(n, s, device, g), make_batch(n, s, device, g)
    rng = np.random.default_rng(0)
    colour = lambda: torch.from_numpy(np.stack([sample_color_params(rng, s) for _ in range(n)]))  # noqa: E731
    raw = {
        "view_q": make_batch(n, s, device, g, True),
        "view_k": make_batch(n, s, device, g, True),
        "color_q": colour(),
        "color_k": colour(),
    }
    boxes = torch.tensor([[s * 0.2, s * 0.25, s * 0.7, s * 0.8]]).repeat(n, 1).to(device)
    patches = {
        "patch_q": make_batch(n, s, device, g),
        "patch_k": make_batch(n, s, device, g),
        "boxes_q": boxes,
        "boxes_k": boxes,
    }
    float_batch = {"view_q": x_q, "view_k": x_k}
    tracks_batch = {
        **float_batch,
        "patch_q": patches["patch_q"],
        "patch_k": patches["patch_k"],
        "box_q": boxes,
        "box_k": boxes,
    }
    step = [0]

    def ours_step(batch):
        moco_step(ours, ours, opt_ours, batch, device, step[0])
        step[0] += 1

    variants = {
        "official": lambda: official_step(off, crit, opt_off, x_q, x_k, device),
        "frames": lambda: ours_step(float_batch),
        "frames+colour": lambda: ours_step(raw),
        "frames+tracks": lambda: ours_step(tracks_batch),
        "floor frames": lambda: floor_step(ours, x_q, x_k, device),
        "floor frames+tracks": lambda: floor_step(ours, x_q, x_k, device, patches),
    }
    times = {k: [] for k in variants}
    for rep in range(args.warmup + args.repeats):
        for name, fn in variants.items():
            t = timed(fn, device)
            if rep >= args.warmup:
                times[name].append(t)
    return {k: statistics.median(v) for k, v in times.items()}


# --------------------------------------------------------------------------- loader
def standin_tracks(cfg, rng) -> None:
    """Random boxes for every frame pair of every chunk, in the track files' format, when chapter 02's
    tracks are absent (the loader's cost does not depend on where the boxes come from)."""
    import json

    from repro.data import list_chunks, read_image
    from repro.io import save_npz
    from repro.tracks.store import chunk_file, tracks_dir

    out = tracks_dir(cfg)
    for c in list_chunks(cfg):
        h, w = read_image(c.frame_paths[0]).shape[:2]
        pairs = np.array(c.pairs(cfg.video.pair_gap, cfg.video.pair_mode), dtype=np.int64)
        m = 4 * len(pairs)
        xy = rng.uniform(0, 0.6, size=(m, 2)) * [w, h]
        wh = rng.uniform(0.15, 0.4, size=(m, 2)) * [w, h]
        b = np.concatenate([xy, xy + wh], 1).astype(np.float32)
        save_npz(
            chunk_file(out, c),
            pairs=pairs,
            pair_index=np.repeat(np.arange(len(pairs)), 4),
            boxes_i=b,
            boxes_j=b,
            log_scores=np.zeros(m),
            meta=np.array(json.dumps({"standin": True})),
        )


def loader_benchmark(args, cfg) -> dict[str, float]:
    from repro.samples import build_samples
    from repro.tracks.store import tracks_dir
    from repro.train.data import StepSampler, build_dataset, build_loader

    build_samples(cfg)
    if not tracks_dir(cfg).is_dir():
        standin_tracks(cfg, np.random.default_rng(0))
    out = {}
    for mode in ("frames", "frames+tracks"):
        ds = build_dataset(cfg, mode)
        sampler = StepSampler(len(ds), cfg.train.batch_size, cfg.run.seed, args.loader_batches + 2)
        it = iter(build_loader(ds, sampler, cfg.run.num_workers))
        next(it), next(it)  # workers started, caches warm
        t = time.perf_counter()
        for _ in range(args.loader_batches):
            next(it)
        out[mode] = args.loader_batches / (time.perf_counter() - t)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--queue", type=int, default=4096)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--loader-batches", type=int, default=8)
    p.add_argument("--cache", default="", help="cache with the sample data (default: a temporary folder)")
    p.add_argument("--skip-loader", action="store_true")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    t = step_benchmark(args, device)
    n = args.batch
    print(
        f"## Training step: {args.arch}, {args.image_size} px, batch {n}, K {args.queue}, {device} "
        f"({torch.get_num_threads()} threads; channels_last {channels_last(device)}, "
        f"autocast {device.type == 'cuda' and os.environ.get('REPRO_AMP') != '0'})\n"
    )
    print("| variant | median s/step | images/s | vs official | vs its floor |")
    print("|---|---|---|---|---|")
    floors = {
        "frames": "floor frames",
        "frames+colour": "floor frames",
        "official": "floor frames",
        "frames+tracks": "floor frames+tracks",
    }
    for k, v in t.items():
        vs_off = f"{t['official'] / v:.2f}x" if not k.startswith("floor") else ""
        vs_floor = f"{v / t[floors[k]]:.2f}x" if k in floors else ""
        print(f"| {k} | {v:.4f} | {n / v:.1f} | {vs_off} | {vs_floor} |")
    print(
        "\n(vs official: the official step's time / this step's time, > 1 is faster; vs its floor: this "
        "step's time / query fwd+bwd + key fwd, target <= 1.15)"
    )
    if args.skip_loader:
        return
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config.smoke().replace(cache_dir=args.cache or tmp, batch_size=n, image_size=args.image_size)
        rates = loader_benchmark(args, cfg)
    print(f"\n## Data loading (sample clips, batch {n}, {args.image_size} px, num_workers {cfg.run.num_workers})\n")
    print("| mode | loader batches/s | training steps/s | loader / training |")
    print("|---|---|---|---|")
    for mode, r in rates.items():
        step_rate = 1.0 / t["frames+colour" if mode == "frames" else "frames+tracks"]
        print(f"| {mode} | {r:.2f} | {step_rate:.2f} | {r / step_rate:.2f}x |")


if __name__ == "__main__":
    main()
