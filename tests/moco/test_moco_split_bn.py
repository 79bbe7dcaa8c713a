"""Split BatchNorm (MoCo's one-GPU recipe) against BatchNorm applied to each sub-batch separately."""

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.moco import MoCo
from repro.moco.split_bn import SplitBatchNorm, split_batchnorm


def _pair(splits=4, c=3):
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(c)
    nn.init.normal_(bn.weight), nn.init.normal_(bn.bias)
    split = SplitBatchNorm(c, splits)
    split.load_state_dict(bn.state_dict())
    return bn, split


def test_training_normalises_each_sub_batch_with_its_own_statistics():
    bn, split = _pair()
    x = torch.randn(12, 3, 5, 5, generator=torch.Generator().manual_seed(1)) * 3 + 1
    out = split.train()(x)
    means, vars_ = [], []
    for b in range(4):  # sub-batch b: samples b, b+4, b+8
        ref = nn.BatchNorm2d(3)
        ref.load_state_dict(bn.state_dict())
        assert torch.allclose(out[b::4], ref.train()(x[b::4]), atol=1e-5)
        means.append(ref.running_mean), vars_.append(ref.running_var)
    assert torch.allclose(split.running_mean, torch.stack(means).mean(0), atol=1e-6)
    assert torch.allclose(split.running_var, torch.stack(vars_).mean(0), atol=1e-6)


def test_evaluation_is_plain_batchnorm_and_the_state_dict_names_are_batchnorms():
    bn, split = _pair()
    x = torch.randn(6, 3, 4, 4)
    assert torch.equal(split.eval()(x), bn.eval()(x))
    assert list(split.state_dict()) == list(bn.state_dict())


def test_converting_a_network_keeps_its_weights_and_eval_outputs():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)))
    net[1].running_mean.fill_(0.3)
    x = torch.randn(2, 3, 6, 6)
    before = net.eval()(x)
    split_batchnorm(net, 2)
    assert isinstance(net[1], SplitBatchNorm) and isinstance(net[2][1], SplitBatchNorm)
    assert torch.equal(net.eval()(x), before)
    assert split_batchnorm(nn.BatchNorm2d(2), 1).__class__ is nn.BatchNorm2d


def test_a_batch_that_does_not_split_evenly_is_a_clear_error():
    with pytest.raises(ConfigError, match="multiple of bn_splits"):
        SplitBatchNorm(3, 4).train()(torch.randn(6, 3, 2, 2))


def test_one_process_shuffles_keys_across_the_splits_and_puts_them_back():
    torch.manual_seed(0)
    moco = MoCo("resnet18_w8", dim=8, K=16, bn_splits=4)
    assert sum(isinstance(m, SplitBatchNorm) for m in moco.encoder_k.modules()) == 20
    x, boxes = torch.arange(8.0).view(8, 1, 1, 1), torch.arange(32.0).view(8, 4)
    xs, bs, idx = moco._batch_shuffle(x, boxes)
    assert not torch.equal(xs, x) and torch.equal(bs[:, 0] / 4, xs.flatten())
    assert torch.equal(moco._batch_unshuffle(xs.flatten(1), idx), x.flatten(1))
    plain = MoCo("resnet18_w8", dim=8, K=16)
    assert plain._batch_shuffle(x, boxes)[2] is None
