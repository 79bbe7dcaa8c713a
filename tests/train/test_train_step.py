"""One Algorithm 1 step: queue pointer and contents with and without tracks; a few steps lower the loss."""

import pytest
import torch
import torch.nn.functional as F

from repro.moco import contrastive_loss
from repro.moco.augment import color_augment
from repro.train.data import StepSampler, build_dataset, build_loader
from repro.train.loop import build_model, learning_rate, moco_step, train

CPU = torch.device("cpu")


def batches(cfg, mode, n):
    ds = build_dataset(cfg, mode)
    return list(build_loader(ds, StepSampler(len(ds), cfg.train.batch_size, cfg.run.seed, n)))


class Recorder:
    """Calls the model and keeps its outputs (to compare the queue with the keys)."""

    def __init__(self, model):
        self.model, self.outs = model, []

    def __call__(self, *a, **kw):
        out = self.model(*a, **kw)
        self.outs.append(out)
        return out


@pytest.mark.parametrize("mode", ["frames", "frames+tracks"])
def test_queue_after_steps(tiny_cfg, mode):
    B, K = 8, 32
    model = build_model(tiny_cfg, mode)
    opt = torch.optim.SGD(model.encoder_q.parameters(), lr=0.05, momentum=0.9)
    rec = Recorder(model)
    initial = model.queue.clone()
    data = batches(tiny_cfg, mode, 3)
    enqueues = 2 if mode == "frames+tracks" else 1
    for step, b in enumerate(data):
        row = moco_step(rec, model, opt, b, CPU, step)
        assert int(model.queue_ptr) == (step + 1) * enqueues * B % K
        assert ("loss_patch" in row) == (mode == "frames+tracks")
    keys = []  # the order of enqueues: frame keys, then patch keys
    for out in rec.outs:
        keys += [out["k"]] + ([out["k_patch"]] if enqueues == 2 else [])
    # ring buffer of K=32 columns, B=8 per enqueue: the last 4 enqueues (or fewer) are in the queue
    for n, k in enumerate(keys):
        col = n * B % K
        if n >= len(keys) - K // B:
            assert torch.equal(model.queue[:, col : col + B], k.T)
    if len(keys) < K // B:
        assert torch.equal(model.queue[:, len(keys) * B :], initial[:, len(keys) * B :])
    assert torch.allclose(model.queue.norm(dim=0), torch.ones(K), atol=1e-5)
    if enqueues == 2:  # patch keys differ from frame keys of the same step
        assert not torch.allclose(rec.outs[0]["k"], rec.outs[0]["k_patch"])
    expected_steps = [s for s in range(3) for _ in range(enqueues)][-K // B :]
    expected = sum(([s] * B for s in expected_steps), [])
    assert sorted(model.queue_step.tolist()) == sorted(expected + [-1] * (K - len(expected)))


def test_key_encoder_follows_query_encoder(tiny_cfg):
    model = build_model(tiny_cfg, "images")
    opt = torch.optim.SGD(model.encoder_q.parameters(), lr=0.05, momentum=0.9)
    b = batches(tiny_cfg, "images", 1)[0]
    k_before = [p.clone() for p in model.encoder_k.parameters()]
    moco_step(model, model, opt, b, CPU, 0)
    m = tiny_cfg.train.moco_momentum
    for pk, kb, pq in zip(model.encoder_k.parameters(), k_before, model.encoder_q.parameters()):
        assert torch.allclose(pk, m * kb + (1 - m) * pq, atol=1e-6)
    assert any(not torch.equal(pk, kb) for pk, kb in zip(model.encoder_k.parameters(), k_before))


@pytest.mark.parametrize("mode", ["images", "frames+tracks"])
def test_few_steps_lower_the_loss_on_a_fixed_batch(tiny_cfg, mode):
    """Measured against a fixed random queue, so that only the encoders change."""
    torch.manual_seed(0)
    model = build_model(tiny_cfg, mode)
    opt = torch.optim.SGD(model.encoder_q.parameters(), lr=0.1, momentum=0.9)
    b = batches(tiny_cfg, mode, 1)[0]
    queue = F.normalize(torch.randn_like(model.queue), dim=0)
    x_q, x_k = color_augment(b["view_q"], b["color_q"]), color_augment(b["view_k"], b["color_k"])

    def loss_now():  # BN with batch statistics, as in training
        with torch.no_grad():
            q, k = model.embed(model.encoder_q, x_q), model.embed(model.encoder_k, x_k)
            return contrastive_loss(q, k, queue, model.T)[0].item()

    before = loss_now()
    for step in range(6):
        moco_step(model, model, opt, b, CPU, step)
    after = loss_now()
    assert after < 0.9 * before


def test_cosine_schedule():
    by_step = {"base_lr": 0.03, "cosine": True, "by_epoch": False, "total_steps": 100}
    assert learning_rate(by_step, 0) == pytest.approx(0.03)
    assert learning_rate(by_step, 50) == pytest.approx(0.015)
    assert learning_rate(by_step, 100) == pytest.approx(0.0, abs=1e-12)
    by_epoch = {"base_lr": 0.03, "cosine": True, "by_epoch": True, "steps_per_epoch": 10.0, "epochs": 200}
    assert learning_rate(by_epoch, 9) == learning_rate(by_epoch, 0) == pytest.approx(0.03)  # per epoch
    assert learning_rate(by_epoch, 1000) == pytest.approx(0.015)  # epoch 100
    assert learning_rate({**by_step, "cosine": False}, 77) == 0.03


def test_a_one_process_moco_run_without_split_bn_is_warned_about(tiny_cfg, tmp_path, caplog):
    with caplog.at_level("WARNING", logger="repro.train"):
        train(tiny_cfg.replace(train_steps=1, bn_splits=1), "images", out_dir=tmp_path / "a", tensorboard=False)
    assert "bn_splits" in caplog.text and "cheat" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="repro.train"):
        train(tiny_cfg.replace(train_steps=1, bn_splits=2), "images", out_dir=tmp_path / "b", tensorboard=False)
        train(tiny_cfg.replace(train_steps=1, bn_splits=1), "supervised", out_dir=tmp_path / "c", tensorboard=False)
    assert "bn_splits" not in caplog.text
