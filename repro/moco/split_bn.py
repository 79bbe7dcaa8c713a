"""Split BatchNorm: MoCo's one-GPU recipe for shuffled BatchNorm.

MoCo (Sec. 3.3) shuffles the key batch across GPUs so that the query and key encoders normalise with
statistics of different samples; without it "the model appears to 'cheat' the pretext task and easily finds
a low-loss solution" that does not transfer. With one process there is nothing to shuffle across, so the
official one-GPU demo (MoCo's CIFAR-10 Colab notebook) splits each batch into ``num_splits`` sub-batches
that are normalised separately (``SplitBatchNorm``) and shuffles the key batch across them
(``MoCo._batch_shuffle``): the BN statistics of a query and of its key then come from different samples.

In training, sample n of the batch is normalised with the statistics of the samples with the same index
modulo ``num_splits``; the running statistics are the mean over the splits. In evaluation it is a plain
BatchNorm2d, and the parameter and buffer names are BatchNorm2d's, so checkpoints load either way.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError


class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are computed over ``num_splits`` sub-batches."""

    def __init__(self, num_features: int, num_splits: int, **kw):
        super().__init__(num_features, **kw)
        self.num_splits = num_splits

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        n, c, h, w = x.shape
        s = self.num_splits
        if n % s:
            raise ConfigError(
                f"a batch of {n} cannot be split into bn_splits={s} sub-batches; make the "
                "per-process batch a multiple of bn_splits"
            )
        mean, var = self.running_mean.repeat(s), self.running_var.repeat(s)  # (s*C)
        out = F.batch_norm(
            x.reshape(n // s, c * s, h, w),
            mean,
            var,
            self.weight.repeat(s),
            self.bias.repeat(s),
            True,
            self.momentum,
            self.eps,
        )  # out: (N/s)x(s*C)xHxW
        self.running_mean.copy_(mean.view(s, c).mean(0))
        self.running_var.copy_(var.view(s, c).mean(0))
        self.num_batches_tracked.add_(1)
        return out.reshape(n, c, h, w)


def split_batchnorm(module: nn.Module, num_splits: int) -> nn.Module:
    """``module`` with every BatchNorm2d replaced by a ``SplitBatchNorm`` holding the same parameters and
    statistics (in place; returned for chaining). ``num_splits`` <= 1 leaves it unchanged."""
    if num_splits <= 1:
        return module
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            bn = SplitBatchNorm(child.num_features, num_splits, eps=child.eps, momentum=child.momentum)
            bn.load_state_dict(child.state_dict())
            setattr(module, name, bn)
        else:
            split_batchnorm(child, num_splits)
    return module
