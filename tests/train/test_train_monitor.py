"""The kNN monitor and the linear probe against naive references and data whose answer is known."""

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from repro.errors import ConfigError, DatasetLayoutError
from repro.models import build_backbone, load_backbone, normalize
from repro.train import monitor
from repro.train.loop import MONITOR_FIELDS, read_log, train


def _naive_knn(bank, bank_labels, queries, k, temperature):
    """One query at a time, sorting all similarities (the textbook weighted kNN)."""
    out = []
    for q in queries:
        sims = [float(F.cosine_similarity(q, b, dim=0)) for b in bank]
        order = sorted(range(len(bank)), key=lambda i: -sims[i])[:k]
        votes = {}
        for i in order:
            w = np.exp(sims[i] / temperature) if temperature > 0 else 1.0
            votes[int(bank_labels[i])] = votes.get(int(bank_labels[i]), 0.0) + w
        out.append(max(sorted(votes), key=votes.get))  # ties: the lowest label, as argmax
    return np.array(out)


@pytest.mark.parametrize("k, temperature", [(1, 0.07), (5, 0.07), (20, 0.5), (7, 0.0)])
def test_knn_matches_the_naive_reference(k, temperature):
    g = torch.Generator().manual_seed(k)
    bank, queries = torch.randn(60, 8, generator=g), torch.randn(25, 8, generator=g)
    labels = torch.randint(0, 4, (60,), generator=g)
    scores = monitor.knn_predict(bank, labels, queries, 4, k, temperature)
    assert np.array_equal(scores.argmax(1).numpy(), _naive_knn(bank, labels, queries, k, temperature))


def test_knn_is_perfect_on_separated_clusters_and_at_chance_on_noise():
    g = torch.Generator().manual_seed(0)
    centres = 10 * torch.eye(5)
    labels = torch.arange(200) % 5
    bank = centres[labels] + torch.randn(200, 5, generator=g)
    queries = centres[labels[:100]] + torch.randn(100, 5, generator=g)
    assert monitor.knn_top1(bank, labels, queries, labels[:100]) == 1.0
    noise = monitor.knn_top1(
        torch.randn(2000, 5, generator=g),
        torch.arange(2000) % 5,
        torch.randn(1000, 5, generator=g),
        torch.arange(1000) % 5,
    )
    assert abs(noise - 0.2) < 0.05


def test_knn_refuses_a_k_larger_than_the_bank():
    with pytest.raises(ValueError, match="bank size"):
        monitor.knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 2), 2, k=4)


def test_linear_probe_separates_linearly_separable_classes_and_not_noise():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 6, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + 2 * (x[:, 2] > 0).long()  # 4 classes, linear boundaries
    assert monitor.linear_top1(x[:200], y[:200], x[200:], y[200:]) >= 0.9
    labels = torch.randint(0, 4, (300,), generator=g)
    assert monitor.linear_top1(x[:200], labels[:200], x[200:], labels[200:]) < 0.45


def test_colour_histograms_count_every_pixel_once():
    img = np.zeros((2, 4, 4, 3), np.uint8)
    img[0, :2] = 255  # half white, half black
    img[1] = [200, 10, 10]  # all red
    h = monitor.colour_histogram(img, bins=4).numpy()
    assert h.shape == (2, 64) and np.allclose(h.sum(1), 1)
    assert h[0, 0] == 0.5 and h[0, 63] == 0.5
    assert h[1, (3 * 4 + 0) * 4 + 0] == 1.0


def test_embed_returns_pooled_features_resizes_and_restores_the_mode():
    torch.manual_seed(0)
    net = build_backbone("resnet18_w16").train()
    images = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 3), dtype=np.uint8)
    f = monitor.embed(net, images, image_size=32, batch_size=2)
    assert f.shape == (5, 128) and net.training
    net.eval()
    with torch.no_grad():
        x = F.interpolate(
            torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255,
            size=(32, 32),
            mode="bilinear",
            antialias=True,
            align_corners=False,
        )
        assert torch.allclose(f, net(normalize(x)), atol=1e-5)


@pytest.mark.parametrize("max_mb", [256, 0])
def test_monitor_features_equal_embed_whether_the_stills_are_kept_prepared_or_not(monkeypatch, max_mb):
    """The monitor prepares its stills once (when they fit in PREPARED_MAX_MB) and must give exactly the
    numbers of ``embed``, which prepares them at every call; with max 0 it falls back to ``embed``."""
    monkeypatch.setattr(monitor, "PREPARED_MAX_MB", max_mb)
    rng = np.random.default_rng(1)
    bank, queries = rng.integers(0, 256, (7, 40, 40, 3), dtype=np.uint8), rng.integers(0, 256, (3, 40, 40, 3), np.uint8)
    mon = monitor.KnnMonitor(bank, np.arange(7) % 2, queries, np.arange(3) % 2, image_size=32)
    torch.manual_seed(0)
    net = build_backbone("resnet18_w16").train()
    calls = []
    prepare = monitor.prepare
    monkeypatch.setattr(monitor, "prepare", lambda *a, **kw: calls.append(1) or prepare(*a, **kw))
    first, second = mon.features(net, batch_size=2), mon.features(net, batch_size=2)
    batches = 4 + 2  # ceil(7 / 2) + ceil(3 / 2)
    assert len(calls) == (batches if max_mb else 2 * batches)  # prepared once, or at each call
    for got in (first, second):
        assert torch.equal(got[0], monitor.embed(net, bank, 32, batch_size=2)) and torch.equal(
            got[1], monitor.embed(net, queries, 32, batch_size=2)
        )
    assert net.training


def test_training_logs_the_knn_monitor_from_the_random_init_on_and_resumes_it(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(knn_every=2, train_steps=6)
    full = train(cfg, "images", out_dir=tmp_path / "full")
    log = read_log(tmp_path / "full" / "knn.csv", MONITOR_FIELDS)
    assert log["step"].tolist() == [0, 2, 4, 6]
    assert np.all((log["knn_top1"] >= 0) & (log["knn_top1"] <= 1))
    assert list((tmp_path / "full" / "tensorboard").glob("*.knn")) and full.total_steps == 6
    train(cfg, "images", out_dir=tmp_path / "cut", stop_after=3)
    train(cfg, "images", out_dir=tmp_path / "cut")
    assert (tmp_path / "cut" / "knn.csv").read_text() == (tmp_path / "full" / "knn.csv").read_text()


def _weights(path):
    return torch.load(path, weights_only=False)["model"]


def test_the_monitor_changes_nothing_training_computes_so_its_interval_may_change_on_resume(tiny_cfg, tmp_path):
    """The monitor reads the encoder in eval mode and draws nothing: weights trained with it equal those
    trained without it, and a run resumed with another ``knn_every`` goes on (it is resume-free)."""
    cfg = tiny_cfg.replace(train_steps=4)
    train(cfg.replace(knn_every=1), "images", out_dir=tmp_path / "on", tensorboard=False)
    train(cfg.replace(knn_every=0), "images", out_dir=tmp_path / "off", tensorboard=False)
    train(cfg.replace(knn_every=3), "images", out_dir=tmp_path / "cut", tensorboard=False, stop_after=2)
    assert train(cfg.replace(knn_every=2), "images", out_dir=tmp_path / "cut", tensorboard=False).steps_run == 2
    on, off, cut = (_weights(tmp_path / d / "checkpoint.pt") for d in ("on", "off", "cut"))
    assert on.keys() == off.keys() == cut.keys()
    assert all(torch.equal(on[k], off[k]) and torch.equal(on[k], cut[k]) for k in on)
    assert read_log(tmp_path / "cut" / "knn.csv", MONITOR_FIELDS)["step"].tolist() == [0, 4]


def test_the_monitor_value_is_the_knn_of_the_query_encoder(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(knn_every=3, train_steps=3)
    result = train(cfg, "supervised", out_dir=tmp_path / "s", tensorboard=False)
    net = load_backbone(result.checkpoint, cfg.train.arch)
    knn = monitor.KnnMonitor.from_config(cfg)
    assert read_log(tmp_path / "s" / "knn.csv", MONITOR_FIELDS)["knn_top1"][-1] == pytest.approx(knn(net), abs=1e-6)


def test_the_monitor_refuses_an_image_root_it_does_not_read(tiny_cfg):
    with pytest.raises(ConfigError, match="set probe_root.*or knn_every=0"):
        monitor.KnnMonitor.from_config(tiny_cfg.replace(knn_every=5, image_root="/data/ImageNet/train"))


def test_probe_root_reads_train_and_val_class_folders(tiny_cfg, tmp_path):
    """probe_root (the paper's ImageNet): bank = train/<class>/, queries = val/<class>/ with the bank's
    classes, at most probe_per_class each, resized (short side x 256/224) and centre-cropped."""
    sample = monitor.KnnMonitor.from_config(tiny_cfg)
    size = tiny_cfg.train.image_size
    splits = {"train": (sample.bank_images, sample.bank_labels), "val": (sample.query_images, sample.query_labels)}
    for split, (images, labels) in splits.items():
        for n, (img, y) in enumerate(zip(images, labels.tolist())):
            path = tmp_path / "probe" / split / f"c{y}" / f"{n:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), img[..., ::-1])
    wide = np.zeros((2 * size, 4 * size, 3), np.uint8)
    wide[:, 2 * size - 4 : 2 * size + 4] = 255  # a white stripe in the centre survives the centre crop
    cv2.imwrite(str(tmp_path / "probe" / "train" / "c0" / "999.png"), wide)
    folders = monitor.KnnMonitor.from_config(tiny_cfg.replace(probe_root=str(tmp_path / "probe")))
    assert folders.bank_labels.tolist() == sorted(sample.bank_labels.tolist() + [0])
    assert folders.query_labels.tolist() == sorted(sample.query_labels.tolist())
    assert folders.bank_images.shape == (len(sample.bank_labels) + 1, size, size, 3)
    stripe = folders.bank_images[(folders.bank_labels == 0).sum() - 1]
    assert stripe[:, size // 2].min() > 200 and stripe[:, 0].max() < 20
    capped = monitor.KnnMonitor.from_config(tiny_cfg.replace(probe_root=str(tmp_path / "probe"), probe_per_class=1))
    assert capped.bank_labels.tolist() == sorted(set(sample.bank_labels.tolist()))
    with pytest.raises(DatasetLayoutError, match="probe_root's train folder .*train/train does not exist"):
        monitor.KnnMonitor.from_config(tiny_cfg.replace(probe_root=str(tmp_path / "probe" / "train")))
