"""The part decoder of Section C: four transposed convolutions from a single representation to part logits.

Supplement, Section C: "For each object, we train a small CNN comprising of four transposed convolution
layers that takes as input a single representation." Widths, kernels, normalisation and the output
resolution are not stated; the choices below are ours (DCGAN-style generator layout), each a parameter.

``train_decoder`` fits one decoder per object class with Adam and per-pixel cross-entropy (``IGNORE``
pixels left out); ``predict`` gives its part maps. Epochs, lr and batch size are not in the supplement
either; see ``SegmentationConfig``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..config import Config
from ..errors import ConfigError
from ..runtime import autocast
from .pascal_parts import IGNORE


class PartDecoder(nn.Module):
    """Maps one representation vector per object to per-pixel part logits.

    Layout (S = output_size, w = width)::

        z: B x in_dim  -> B x in_dim x 1 x 1
        ConvTranspose2d(in_dim, w,   k=S/8, s=1)        -> B x w   x S/8 x S/8,  norm, ReLU
        ConvTranspose2d(w,      w/2, k=4, s=2, p=1)     -> B x w/2 x S/4 x S/4,  norm, ReLU
        ConvTranspose2d(w/2,    w/4, k=4, s=2, p=1)     -> B x w/4 x S/2 x S/2,  norm, ReLU
        ConvTranspose2d(w/4,    C,   k=4, s=2, p=1)     -> B x C   x S   x S     (logits)

    Args:
        in_dim: width of the representation (2048 for the pooled ResNet-50 feature of the paper; 512 for
            ResNet-18).
        num_classes: C, background + the coarse parts of the object class (``parts_map.num_labels``).
        width: w, channels after the first layer (paper: unstated; default 64, "a small CNN").
        output_size: S, side of the predicted part map; a multiple of 8 (paper: unstated; default 32, so the
            first layer is the DCGAN-style 4 x 4 kernel on the 1 x 1 input).
            The ground truth is resized to S x S with nearest-neighbour interpolation.
        norm: "batch" (BatchNorm2d) or "group" (GroupNorm, 8 groups) after the first three layers.
    """

    def __init__(self, in_dim: int, num_classes: int, width: int = 64, output_size: int = 32, norm: str = "batch"):
        super().__init__()
        if output_size < 8 or output_size % 8:
            raise ConfigError(
                f"seg_output_size must be a positive multiple of 8 (the decoder doubles the "
                f"resolution three times), got {output_size}"
            )
        if width < 4 or width % 4:
            raise ConfigError(f"seg_width must be a multiple of 4 (it halves twice), got {width}")
        if num_classes < 2:
            raise ConfigError(f"a part decoder needs at least 2 labels (background and a part), got {num_classes}")
        if norm not in ("batch", "group"):
            raise ConfigError(f"norm must be 'batch' or 'group', got {norm!r}")
        self.in_dim, self.num_classes, self.output_size = in_dim, num_classes, output_size
        chans = (in_dim, width, width // 2, width // 4)

        def normalise(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if norm == "batch" else nn.GroupNorm(min(8, c), c)

        self.layers = nn.Sequential(
            nn.ConvTranspose2d(chans[0], chans[1], output_size // 8, 1, 0, bias=False),
            normalise(chans[1]),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(chans[1], chans[2], 4, 2, 1, bias=False),
            normalise(chans[2]),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(chans[2], chans[3], 4, 2, 1, bias=False),
            normalise(chans[3]),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(chans[3], num_classes, 4, 2, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.in_dim:
            raise ValueError(f"PartDecoder expects representations of shape B x {self.in_dim}, got {tuple(z.shape)}")
        return self.layers(z[:, :, None, None])  # logits: B x C x S x S


# ------------------------------------------------------------------------------------------- training
def decoder_settings(cfg: Config, c: int) -> dict:
    """``train_decoder``'s settings from the config (``seg_epochs``, ``seg_lr``, ``seg_batch_size``,
    ``seg_width``, ``seg_output_size``) for the decoder of class index ``c``, seeded by (run seed + c)."""
    s = cfg.segmentation
    return dict(
        epochs=s.seg_epochs,
        lr=s.seg_lr,
        batch_size=s.seg_batch_size,
        width=s.seg_width,
        output_size=s.seg_output_size,
        seed=cfg.run.seed + c,
    )


def train_decoder(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    num_labels: int,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    width: int,
    output_size: int,
    seed: int,
    device: torch.device | str = "cpu",
    encoder: nn.Module | None = None,
) -> PartDecoder:
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
        raise ValueError(
            f"targets are {tuple(targets.shape[-2:])}, the decoder predicts {output_size}^2; "
            "crop the label maps at seg_output_size"
        )
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
            idx = order[i : i + batch_size]
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
def predict(
    decoder: PartDecoder, z: torch.Tensor, batch_size: int = 256, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """N x S x S predicted part labels (uint8) of cached representations ``z`` (N x D)."""
    decoder.eval()
    out = [
        decoder(z[i : i + batch_size].to(device)).argmax(1).to(torch.uint8).cpu() for i in range(0, len(z), batch_size)
    ]
    return torch.cat(out) if out else torch.zeros(0, decoder.output_size, decoder.output_size, dtype=torch.uint8)
