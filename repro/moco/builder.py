"""MoCo v2 [10] with the patch path of Algorithm 1 (Frame Temporal Invariance with region tracks).

The module follows the official ``moco/builder.py``: ``encoder_q``, ``encoder_k``, the ``queue`` buffer
(CxK, columns L2-normalised) and ``queue_ptr``, under exactly these names, so that the official MoCo v2
release (``state_dict`` keys ``module.encoder_q.*``, ``module.encoder_k.*``, ``module.queue``,
``module.queue_ptr``) loads into it once the ``module.`` prefix of DistributedDataParallel is removed
(``repro.train.checkpoint.load_official_moco``).

Algorithm 1 of the supplement, and where this module and the training loop implement each line::

    f_k.params = f_q.params                        # MoCo.__init__
    for x1, x2 in loader:
        loss, k = get_loss_and_keys(x1, x2)        # MoCo.forward -> get_loss_and_keys
        if use_tracks:
            x1_patch, x2_patch = sample_track(x1, x2)          # repro.train.data (box-aware aug)
            loss_patch, k_patch = get_loss_and_keys(x1_patch, x2_patch)   # patch path, same weights
            loss = 0.5*loss + 0.5*loss_patch       # MoCo.forward
        loss.backward(); update(f_q.params)        # repro.train.loop.moco_step
        f_k.params = m*f_k.params+(1-m)*f_q.params # MoCo.momentum_update (after the SGD step)
        enqueue(queue, k); dequeue(queue)          # MoCo.enqueue(k)
        if use_tracks: enqueue(queue, k_patch); dequeue(queue)   # MoCo.enqueue(k_patch): 2nd enqueue

**Order of the momentum update.** The official MoCo code updates the key encoder at the start of
``forward``, *before* computing the keys, and enqueues inside ``forward`` (before the backward pass,
negatives taken from a clone of the queue). Algorithm 1 computes the keys with the current key encoder
and updates it *after* the SGD step, then enqueues. We follow Algorithm 1. The two orders use the same
key-encoder weights for every key: with both encoders equal at initialisation, the official update at step
t, ``m*theta_k + (1-m)*theta_q(t)``, is exactly Algorithm 1's update at the end of step t-1, since the
query encoder at the start of step t is the one after step t-1's SGD update (a test checks that both orders
give identical weights). They differ only in what is held *between* steps: after Algorithm 1's order the
stored key encoder already includes the last query update, so a checkpoint (or the final model) holds the
key encoder that the next step uses, and resuming needs no extra state. Negatives are the queue before
this step's enqueues in both orders; with tracks both losses see the same queue, and the frame keys are
enqueued before the patch keys.

**Patch path** (Section B, "we use ROI-Pooling [43] at layer3 of the ResNet model"): frame -> stem,
layer1..layer3 (stride 16) -> ``torchvision.ops.roi_align`` of the patch box -> layer4 -> global average
pool -> head (``patch_input="roi"``; with ``"crop"`` the patches arrive cut out of their frames and take
the frame path). The same ``encoder_q``/``encoder_k`` weights serve frames and patches. The ROI output size
(``roi_size``) is not given in the supplement; 14x14 at layer3 followed by the stride-2 layer4 is the
ResNet "C4" head of Fast/Faster R-CNN [43] and equals the layer3 map of a whole 224-px image, so a patch
reaches layer4 at the size a frame does. ``aligned=True`` (half-pixel correct sampling) is our choice.

**Shuffled BatchNorm** (MoCo, Sec. 3.3): with more than one process the key batch is shuffled across
processes before the key encoder and unshuffled after, so the key and query BN statistics come from
different samples. With one process the official code has nothing to shuffle across (it requires DDP); here
``bn_splits`` > 1 applies MoCo's one-GPU recipe instead (``split_bn``): BatchNorm over sub-batches and the
key batch shuffled across them.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import roi_align

from ..errors import ConfigError
from ..models import build_resnet
from .loss import contrastive_loss, positive_accuracy, view_cosines
from .split_bn import split_batchnorm

LAYER3_STRIDE = 16  # conv1 (2) * maxpool (2) * layer2 (2) * layer3 (2)


def build_encoder(arch: str | Callable[..., nn.Module], dim: int = 128, mlp: bool = True) -> nn.Module:
    """A torchvision ResNet whose ``fc`` is MoCo's projection head.

    With ``mlp`` (MoCo v2) ``fc`` becomes ``Sequential(Linear(d, d), ReLU, Linear(d, dim))`` where d is the
    pooled width (2048 for ResNet-50): the official "brute-force replacement", so the keys are
    ``fc.0.*`` and ``fc.2.*`` as in the release checkpoints.
    """
    encoder = build_resnet(arch, num_classes=dim) if isinstance(arch, str) else arch(num_classes=dim)
    if mlp:
        dim_mlp = encoder.fc.weight.shape[1]
        encoder.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), encoder.fc)
    return encoder


def encode_frames(encoder: nn.Module, x: Tensor) -> Tensor:
    """Frame path: the whole ResNet and head. x: Nx3xHxW -> NxC (not normalised)."""
    return encoder(x)


def encode_patches(encoder: nn.Module, x: Tensor, boxes: Tensor, roi_size: int) -> Tensor:
    """Patch path of Algorithm 1: frame -> stem..layer3 -> ROI-align(box) -> layer4 -> pool -> head.

    Args:
        x: frames, Nx3xHxW (already augmented together with their boxes).
        boxes: one box per frame, Nx4 (x1, y1, x2, y2) in pixels of ``x``.
        roi_size: side of the ROI-aligned layer3 map (14 for 224-px frames, see the module docstring).
    Returns: NxC head outputs (not normalised).
    """
    e = encoder
    f = e.layer3(e.layer2(e.layer1(e.maxpool(e.relu(e.bn1(e.conv1(x)))))))  # layer3: NxC3x(H/16)x(W/16)
    # The batch index and the boxes stay float32: bfloat16 holds integers exactly only up to 256, so under
    # bf16 autocast a batch above 256 would pool patches from the wrong images. ROI-align runs in float32
    # (as torchvision's autocast rule for it does) and its output returns to the features' dtype.
    index = torch.arange(x.shape[0], device=x.device, dtype=torch.float32).unsqueeze(1)
    rois = torch.cat([index, boxes.float()], dim=1)  # rois: Nx5 (batch index, box)
    f = roi_align(
        f.float(), rois, output_size=roi_size, spatial_scale=1.0 / LAYER3_STRIDE, sampling_ratio=2, aligned=True
    ).to(f.dtype)  # patches: NxC3xSxS
    f = torch.flatten(e.avgpool(e.layer4(f)), 1)  # pooled: NxC4
    return e.fc(f)  # head: NxC


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


@torch.no_grad()
def concat_all_gather(x: Tensor) -> Tensor:
    """Concatenation of ``x`` from every process in rank order (identity with one process)."""
    n = world_size()
    if n == 1:
        return x
    out = [torch.empty_like(x) for _ in range(n)]
    dist.all_gather(out, x.contiguous())
    return torch.cat(out, dim=0)


class MoCo(nn.Module):
    """MoCo v2 with a queue of negatives, a momentum key encoder and the patch path of Algorithm 1.

    Hyperparameters (paper: "We use ResNet-50 ... the same hyper-parameters as MOCOv2 [10]"):
        base_encoder: torchvision ResNet name or constructor (paper: ResNet-50).
        dim: C, the feature dimension of the head (MoCo v2: 128).
        K: queue size; number of negative keys (MoCo v2: 65536). Must be a multiple of the global batch.
        m: momentum of the key encoder (MoCo v2: 0.999).
        T: softmax temperature t (MoCo v2: 0.2; the official builder's default 0.07 is MoCo v1's).
        mlp: MoCo v2's MLP head (2048 -> 2048 -> ReLU -> 128 for ResNet-50) (MoCo v2: True).
        roi_size: output side of the layer3 ROI-align of the patch path (not in the paper: 14, see above).
        shuffle_bn: shuffle the key batch across processes (MoCo's shuffled BN), or, with one process and
            ``bn_splits`` > 1, across the BN sub-batches.
        bn_splits: BatchNorm statistics over this many sub-batches (``split_bn.SplitBatchNorm``; MoCo's
            one-GPU recipe, not in the paper, which trains on 8 GPUs; 1 = plain BatchNorm).
    """

    def __init__(
        self,
        base_encoder: str | Callable[..., nn.Module] = "resnet50",
        dim: int = 128,
        K: int = 65536,
        m: float = 0.999,
        T: float = 0.2,
        mlp: bool = True,
        roi_size: int = 14,
        shuffle_bn: bool = True,
        bn_splits: int = 1,
    ):
        super().__init__()
        self.K, self.m, self.T, self.roi_size, self.shuffle_bn = K, m, T, roi_size, shuffle_bn
        self.bn_splits = bn_splits
        self.encoder_q = split_batchnorm(build_encoder(base_encoder, dim, mlp), bn_splits)
        self.encoder_k = split_batchnorm(build_encoder(base_encoder, dim, mlp), bn_splits)
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data.copy_(param_q.data)  # f_k.params = f_q.params (initialize)
            param_k.requires_grad = False  # not updated by gradient
        self.register_buffer("queue", F.normalize(torch.randn(dim, K), dim=0))  # queue: CxK
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))
        # step at which each queue column was written (-1: random initialisation); used for the "queue
        # age" scalar only. Not persistent, so the state_dict keys are exactly the official ones.
        self.register_buffer("queue_step", torch.full((K,), -1, dtype=torch.long), persistent=False)

    # ------------------------------------------------------------------ Algorithm 1, per view pair
    def embed(self, encoder: nn.Module, x: Tensor, boxes: Tensor | None = None) -> Tensor:
        """L2-normalised features of frames (``boxes`` None) or of their boxed patches. NxC."""
        z = encode_frames(encoder, x) if boxes is None else encode_patches(encoder, x, boxes, self.roi_size)
        return F.normalize(z.to(torch.promote_types(z.dtype, torch.float32)), dim=1)  # fp32 under autocast

    def get_loss_and_keys(
        self, x_q: Tensor, x_k: Tensor, boxes_q: Tensor | None = None, boxes_k: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Algorithm 1's ``get_loss_and_keys`` on already augmented views (augmentation is data loading).

        Returns (loss, logits Nx(1+K) scaled by 1/T, keys NxC detached).
        """
        q = self.embed(self.encoder_q, x_q, boxes_q)  # queries: NxC
        with torch.no_grad():  # no gradient to keys
            x_k, boxes_k, idx_unshuffle = self._batch_shuffle(x_k, boxes_k)
            k = self.embed(self.encoder_k, x_k, boxes_k)  # keys: NxC
            k = self._batch_unshuffle(k, idx_unshuffle)
        loss, logits = contrastive_loss(q, k, self.queue, self.T)  # logits: Nx(1+K)
        return loss, logits, k

    def forward(
        self,
        x_q: Tensor,
        x_k: Tensor,
        patch_q: Tensor | None = None,
        patch_k: Tensor | None = None,
        boxes_q: Tensor | None = None,
        boxes_k: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Loss of one Algorithm 1 step (everything before ``loss.backward()``).

        Args:
            x_q, x_k: augmented frames (or two views of one image), Nx3xHxW.
            patch_q, patch_k, boxes_q, boxes_k: with tracks, the frames augmented again together with the
                tracked boxes (Nx3xHxW and Nx4 x1,y1,x2,y2 pixels: layer3 ROI-align), or the tracked boxes cut
                out and augmented (Nx3xHxW, boxes None: the frame path); None without tracks.
        Returns a dict: ``loss`` (0.5*loss + 0.5*loss_patch with tracks), ``loss_frame``, ``logits``,
        ``k``, ``acc``, ``pos_cos`` and ``neg_cos`` (``loss.view_cosines`` of the frame
            path) and, with tracks, ``loss_patch``, ``logits_patch``, ``k_patch``, ``acc_patch``.
        """
        loss, logits, k = self.get_loss_and_keys(x_q, x_k)
        out = {
            "loss_frame": loss.detach(),
            "logits": logits.detach(),
            "k": k,
            "acc": positive_accuracy(logits.detach()),
        }
        out["pos_cos"], out["neg_cos"] = view_cosines(logits, self.T)
        if patch_q is not None:
            if patch_k is None or (boxes_q is None) != (boxes_k is None):
                raise ValueError("the patch path needs patch_q and patch_k, and boxes_q and boxes_k both or neither")
            loss_patch, logits_patch, k_patch = self.get_loss_and_keys(patch_q, patch_k, boxes_q, boxes_k)
            loss = 0.5 * loss + 0.5 * loss_patch
            out.update(
                loss_patch=loss_patch.detach(),
                logits_patch=logits_patch.detach(),
                k_patch=k_patch,
                acc_patch=positive_accuracy(logits_patch.detach()),
            )
        out["loss"] = loss
        return out

    # ------------------------------------------------------------------ after the SGD step
    @torch.no_grad()
    def momentum_update(self) -> None:
        """f_k.params = m*f_k.params + (1-m)*f_q.params (parameters only, as the official code)."""
        params_k = list(self.encoder_k.parameters())
        params_q = [p.detach() for p in self.encoder_q.parameters()]
        torch._foreach_mul_(params_k, self.m)
        torch._foreach_add_(params_k, params_q, alpha=1.0 - self.m)

    @torch.no_grad()
    def enqueue(self, keys: Tensor, step: int = 0) -> None:
        """Enqueue the keys of every process (gathered) and dequeue the oldest as many (ring buffer)."""
        keys = concat_all_gather(keys.detach().to(self.queue.dtype))  # keys: (N*world)xC
        n = keys.shape[0]
        if self.K % n:
            raise ConfigError(
                f"queue_size K={self.K} must be a multiple of the global batch size {n} "
                "(as in the official MoCo code); change queue_size or batch_size"
            )
        ptr = int(self.queue_ptr)
        self.queue[:, ptr : ptr + n] = keys.T
        self.queue_step[ptr : ptr + n] = step
        self.queue_ptr[0] = (ptr + n) % self.K

    def queue_age(self, step: int) -> float:
        """Mean age in steps of the queue's keys (columns still random count from step 0)."""
        return float((step - self.queue_step.clamp(min=0)).float().mean())

    # ------------------------------------------------------------------ shuffled BN
    @torch.no_grad()
    def _batch_shuffle(self, x: Tensor, boxes: Tensor | None):
        """Official ``_batch_shuffle_ddp``, carrying the boxes along; with one process, a permutation of the
        batch across the BN sub-batches when ``bn_splits`` > 1 (MoCo's one-GPU demo), else the identity."""
        n = world_size()
        if not self.shuffle_bn or (n == 1 and self.bn_splits <= 1):
            return x, boxes, None
        if n == 1:
            idx_shuffle = torch.randperm(x.shape[0], device=x.device)
            return x[idx_shuffle], None if boxes is None else boxes[idx_shuffle], torch.argsort(idx_shuffle)
        x_all = concat_all_gather(x)
        idx_shuffle = torch.randperm(x_all.shape[0]).to(x.device)
        dist.broadcast(idx_shuffle, src=0)
        idx_unshuffle = torch.argsort(idx_shuffle)
        idx_this = idx_shuffle.view(n, -1)[dist.get_rank()]
        boxes = None if boxes is None else concat_all_gather(boxes)[idx_this]
        return x_all[idx_this], boxes, idx_unshuffle

    @torch.no_grad()
    def _batch_unshuffle(self, k: Tensor, idx_unshuffle: Tensor | None) -> Tensor:
        if idx_unshuffle is None:
            return k
        if world_size() == 1:
            return k[idx_unshuffle]
        k_all = concat_all_gather(k)
        return k_all[idx_unshuffle.view(world_size(), -1)[dist.get_rank()]]
