"""The MoCo module: names, initialisation, momentum update, queue, patch path, Algorithm 1 order."""

import pytest
import torch
import torch.nn.functional as F

from repro.errors import ConfigError
from repro.moco import MoCo
from repro.moco.builder import encode_patches


def test_official_state_dict_names(moco):
    keys = set(moco.state_dict())
    assert {
        "queue",
        "queue_ptr",
        "encoder_q.conv1.weight",
        "encoder_k.conv1.weight",
        "encoder_q.fc.0.weight",
        "encoder_q.fc.2.weight",
        "encoder_k.fc.2.bias",
    } <= keys
    assert all(k.split(".")[0] in ("encoder_q", "encoder_k", "queue", "queue_ptr") for k in keys)
    assert "queue_step" not in keys  # bookkeeping only, not persistent
    assert moco.encoder_q.fc[0].weight.shape == (512, 512)  # MLP head d -> d -> ReLU -> dim
    assert moco.encoder_q.fc[2].weight.shape == (16, 512)


def test_initialisation(moco):
    assert moco.queue.shape == (16, 64)
    assert torch.allclose(moco.queue.norm(dim=0), torch.ones(64), atol=1e-5)
    assert int(moco.queue_ptr) == 0
    for pq, pk in zip(moco.encoder_q.parameters(), moco.encoder_k.parameters()):
        assert torch.equal(pq, pk) and not pk.requires_grad and pq.requires_grad


def test_momentum_update_formula(moco):
    with torch.no_grad():
        for p in moco.encoder_q.parameters():
            p.add_(torch.randn_like(p))
    before_k = [p.clone() for p in moco.encoder_k.parameters()]
    q = [p.clone() for p in moco.encoder_q.parameters()]
    moco.momentum_update()
    for pk, bk, pq in zip(moco.encoder_k.parameters(), before_k, q):
        assert torch.allclose(pk, 0.9 * bk + 0.1 * pq, atol=1e-6)
    for pq, qq in zip(moco.encoder_q.parameters(), q):
        assert torch.equal(pq, qq)


def test_enqueue_ring_buffer(moco):
    keys = [F.normalize(torch.randn(16, 16), dim=1) for _ in range(5)]
    for s, k in enumerate(keys):
        moco.enqueue(k, step=s)
        assert int(moco.queue_ptr) == (s + 1) * 16 % 64
    # 5 enqueues of 16 into K=64: columns 0..15 hold the 5th batch, 16..63 batches 2..4
    assert torch.equal(moco.queue[:, :16], keys[4].T)
    for b in (1, 2, 3):
        assert torch.equal(moco.queue[:, 16 * b : 16 * (b + 1)], keys[b].T)
    assert moco.queue_step.tolist() == [4] * 16 + [1] * 16 + [2] * 16 + [3] * 16
    assert moco.queue_age(5) == pytest.approx((1 + 4 + 3 + 2) / 4)


def test_enqueue_requires_divisible_queue(moco):
    with pytest.raises(ConfigError, match="multiple of the global batch"):
        moco.enqueue(torch.randn(10, 16))


def test_forward_outputs(moco, batch):
    x_q, x_k = batch
    out = moco(x_q, x_k)
    assert out["logits"].shape == (8, 65) and out["k"].shape == (8, 16)
    assert not out["k"].requires_grad and out["loss"].requires_grad
    assert torch.allclose(out["k"].norm(dim=1), torch.ones(8), atol=1e-5)
    boxes = torch.tensor([[4.0, 4.0, 20.0, 24.0]]).repeat(8, 1)
    out2 = moco(x_q, x_k, x_q, x_k, boxes, boxes)
    assert torch.allclose(out2["loss"], 0.5 * out2["loss_frame"] + 0.5 * out2["loss_patch"])
    assert out2["k_patch"].shape == (8, 16)
    with pytest.raises(ValueError, match="patch path needs"):
        moco(x_q, x_k, x_q, x_k, boxes, None)


def test_patches_without_boxes_take_the_frame_path(moco, batch):
    """``patch_input="crop"``: the patches arrive cut out and are encoded as frames, so patches equal to the
    frames give the frame loss exactly (one process, bn_splits 1: no shuffle)."""
    x_q, x_k = batch
    out = moco(x_q, x_k, x_q.clone(), x_k.clone())
    assert torch.equal(out["loss_patch"], out["loss_frame"])
    assert torch.equal(out["k_patch"], out["k"])
    assert torch.allclose(out["loss"], out["loss_frame"])


def test_patch_path_reads_only_the_box_at_stride_16(make_moco):
    """Gradient of a patch feature w.r.t. the layer3 map is zero outside the box's cells."""
    moco = make_moco(roi_size=3).eval()
    enc = moco.encoder_q
    x = torch.rand(1, 3, 128, 128)  # layer3: 8x8 cells of 16 px
    box = torch.tensor([[40.0, 72.0, 88.0, 120.0]])  # cells x 2.5..5.5, y 4.5..7.5
    store = {}

    def hook(module, inp, out):
        out.retain_grad()
        store["f"] = out

    h = enc.layer3.register_forward_hook(hook)
    encode_patches(enc, x, box, roi_size=3).sum().backward()
    h.remove()
    g = store["f"].grad[0].abs().sum(0)  # 8x8
    rows, cols = torch.nonzero(g).unbind(1)
    assert g.sum() > 0
    # aligned ROI-align samples at box/16 - 0.5, bilinear: touches cells floor(..) .. ceil(..)
    assert rows.min() >= 4 and rows.max() <= 7 and cols.min() >= 2 and cols.max() <= 5


def test_algorithm1_order_equals_official_order(batch, make_moco):
    """Momentum update after the SGD step (Algorithm 1) or before the keys (official MoCo): same weights.

    In float64, because float32 rounding (m*theta + (1-m)*theta != theta by an ulp) is amplified by the
    training dynamics within a few steps."""
    x_q, x_k = (x.double() for x in batch)
    a, b = make_moco().double(), make_moco().double()
    opt_a = torch.optim.SGD(a.encoder_q.parameters(), lr=0.05, momentum=0.9)
    opt_b = torch.optim.SGD(b.encoder_q.parameters(), lr=0.05, momentum=0.9)
    for step in range(3):
        out = a(x_q, x_k)  # Algorithm 1: keys, SGD, momentum update, enqueue
        opt_a.zero_grad()
        out["loss"].backward()
        opt_a.step()
        a.momentum_update()
        a.enqueue(out["k"])

        b.momentum_update()  # official: momentum update first, then keys
        out = b(x_q, x_k)
        opt_b.zero_grad()
        out["loss"].backward()
        opt_b.step()
        b.enqueue(out["k"])
    for pa, pb in zip(a.encoder_q.parameters(), b.encoder_q.parameters()):
        assert torch.allclose(pa, pb, rtol=0, atol=1e-10)
    assert torch.allclose(a.queue, b.queue, rtol=0, atol=1e-10)
    # what differs is only the key encoder held between steps: b is one update behind
    b.momentum_update()
    for pa, pb in zip(a.encoder_k.parameters(), b.encoder_k.parameters()):
        assert torch.allclose(pa, pb, rtol=0, atol=1e-10)


def test_callable_base_encoder():
    import torchvision

    m = MoCo(torchvision.models.resnet18, dim=8, K=16, mlp=False)
    assert m.encoder_q.fc.weight.shape == (8, 512)


def test_patches_come_from_their_own_image_at_batch_300_under_bf16_autocast():
    """bfloat16 holds integers exactly only up to 256: a batch index cast to it would send patch 257 to
    image 256. Each patch of a batch of 300 must equal the same patch computed alone."""
    from repro.moco.builder import build_encoder

    torch.manual_seed(0)
    enc = build_encoder("resnet18_w8", dim=8, mlp=False).eval()
    x = torch.rand(300, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    boxes = torch.tensor([[2.0, 3.0, 30.0, 29.0]]).repeat(300, 1)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        together = encode_patches(enc, x, boxes, roi_size=2).float()
        alone = torch.cat(
            [encode_patches(enc, x[i : i + 1], boxes[i : i + 1], 2) for i in (255, 256, 257, 299)]
        ).float()
    assert torch.allclose(together[[255, 256, 257, 299]], alone, atol=1e-2, rtol=1e-2)
    assert not torch.allclose(together[257], together[256], atol=1e-2, rtol=1e-2)
