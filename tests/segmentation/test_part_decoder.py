import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.segmentation.decoder import PartDecoder, predict, train_decoder
from repro.segmentation.metrics import pixel_accuracy


@pytest.mark.parametrize("in_dim,num_classes,size,width", [(512, 5, 64, 64), (2048, 3, 56, 32), (16, 2, 8, 8)])
def test_output_shape(in_dim, num_classes, size, width):
    dec = PartDecoder(in_dim, num_classes, width=width, output_size=size)
    out = dec(torch.randn(3, in_dim))
    assert out.shape == (3, num_classes, size, size)


def test_exactly_four_transposed_convolutions_with_norm_and_relu_between():
    dec = PartDecoder(512, 5)
    kinds = [type(m) for m in dec.layers]
    assert sum(k is nn.ConvTranspose2d for k in kinds) == 4
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in dec.modules()) == 4
    assert not any(isinstance(m, (nn.Conv2d, nn.Linear)) for m in dec.modules())
    assert kinds == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU] * 3 + [nn.ConvTranspose2d]
    group = PartDecoder(512, 5, norm="group")
    assert [type(m) for m in group.layers][1] is nn.GroupNorm


@pytest.mark.parametrize(
    "kw", [dict(output_size=60), dict(output_size=4), dict(width=6), dict(num_classes=1), dict(norm="layer")]
)
def test_bad_arguments_are_config_errors(kw):
    args = dict(in_dim=16, num_classes=3)
    args.update(kw)
    with pytest.raises(ConfigError):
        PartDecoder(**args)


def test_wrong_input_shape_is_clear():
    with pytest.raises(ValueError, match="B x 16"):
        PartDecoder(16, 3, output_size=8)(torch.randn(2, 17))


def test_decoder_learns_a_separable_problem(separable):
    (z, y), (z_val, y_val) = separable
    dec = train_decoder(z, y, 3, epochs=30, lr=3e-3, batch_size=16, width=32, output_size=16, seed=0)
    acc = pixel_accuracy(predict(dec, z_val), y_val)
    prior = pixel_accuracy(torch.zeros_like(y_val), y_val)  # all background: 0.75
    assert acc > 0.97 > prior + 0.2


def test_training_is_deterministic(separable):
    (z, y), _ = separable
    kw = dict(epochs=2, lr=1e-3, batch_size=16, width=8, output_size=16, seed=3)
    a, b = train_decoder(z, y, 3, **kw), train_decoder(z, y, 3, **kw)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_training_lowers_the_loss(separable):
    (z, y), _ = separable
    kw = dict(lr=3e-3, batch_size=16, width=16, output_size=16, seed=0)

    def loss(dec):
        dec.eval()
        with torch.no_grad():
            return torch.nn.functional.cross_entropy(dec(z), y).item()

    assert loss(train_decoder(z, y, 3, epochs=5, **kw)) < loss(train_decoder(z, y, 3, epochs=0, **kw))
