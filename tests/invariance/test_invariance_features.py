"""Feature extraction: every checkpoint format gives the same features for the same weights, hooks on
named layers, batching does not change results, the disk cache is keyed by checkpoint content and
dataset, and the chapter's model list names the notebook that makes a missing checkpoint."""

from __future__ import annotations

import shutil

import pytest
import torch

from repro.config import Config
from repro.invariance import compare as C
from repro.invariance import features as F
from repro.invariance.datasets import synthetic_trajectories
from repro.models import build_resnet

SIZE = 32


@pytest.fixture
def dataset(fake_trajectories_npz):
    return synthetic_trajectories(fake_trajectories_npz, "viewpoint")


@pytest.fixture
def weights(tmp_path):
    """One set of ResNet-18 weights saved in the three formats the repository reads."""
    torch.manual_seed(3)
    net = build_resnet("resnet18", num_classes=7)
    sd = net.state_dict()
    paths = {"repro": tmp_path / "repro.pt", "moco": tmp_path / "moco.pth.tar", "torchvision": tmp_path / "tv.pth"}
    torch.save({"format": "repro", "arch": "resnet18", "mode": "images", "model": sd}, paths["repro"])
    moco = {f"module.encoder_q.{k}": v for k, v in sd.items() if not k.startswith("fc.")}
    moco.update({f"module.encoder_k.{k}": v.clone() + 1 for k, v in sd.items() if not k.startswith("fc.")})
    moco.update({"module.encoder_q.fc.0.weight": torch.zeros(512, 512), "module.queue": torch.zeros(128, 16)})
    torch.save({"epoch": 200, "arch": "resnet18", "state_dict": moco}, paths["moco"])
    torch.save(sd, paths["torchvision"])
    net.fc = torch.nn.Identity()
    return net.eval(), paths


def test_pooled_features_equal_a_direct_forward(dataset, weights, tmp_cache):
    net, paths = weights
    f = F.extract_features(dataset, paths["repro"], "resnet18", SIZE, batch_size=5)
    x = F.preprocess([dataset.image(i) for i in range(len(dataset))], SIZE)
    with torch.no_grad():
        direct = net(x)
    assert f.acts.shape == (24, 512) and f.acts.dtype == torch.float32
    torch.testing.assert_close(f.acts, direct, rtol=1e-4, atol=1e-5)
    assert (f.trajectory_ids == dataset.trajectory_ids).all() and (f.labels == dataset.labels).all()


def test_all_checkpoint_formats_give_the_same_features(dataset, weights, tmp_cache):
    _, paths = weights
    got = {fmt: F.extract_features(dataset, p, "resnet18", SIZE, use_cache=False).acts for fmt, p in paths.items()}
    torch.testing.assert_close(got["moco"], got["repro"])
    torch.testing.assert_close(got["torchvision"], got["repro"])


def test_named_layer_through_a_hook(dataset, weights, tmp_cache):
    net, paths = weights
    f = F.extract_features(dataset, paths["torchvision"], "resnet18", SIZE, layer="layer3", use_cache=False)
    x = F.preprocess([dataset.image(i) for i in range(len(dataset))], SIZE)
    with torch.no_grad():
        h = net.layer3(net.layer2(net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x)))))))
    torch.testing.assert_close(f.acts, h.mean(dim=(2, 3)), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="no layer 'layer9'.*layer3"):
        F.extract_features(dataset, paths["torchvision"], "resnet18", SIZE, layer="layer9", use_cache=False)


def test_batches_and_random_init_are_deterministic(dataset, tmp_cache):
    a = F.extract_features(dataset, None, "resnet18", SIZE, batch_size=24, seed=1, use_cache=False).acts
    b = F.extract_features(dataset, None, "resnet18", SIZE, batch_size=7, seed=1, use_cache=False).acts
    c = F.extract_features(dataset, None, "resnet18", SIZE, seed=2, use_cache=False).acts
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(a, c)


def test_cache_is_keyed_by_checkpoint_and_dataset(dataset, weights, tmp_cache, monkeypatch, fake_trajectories_npz):
    _, paths = weights
    first = F.extract_features(dataset, paths["repro"], "resnet18", SIZE)
    cached = list((tmp_cache / "features").rglob("*.pt"))
    assert len(cached) == 1 and cached[0].parent.name == first.model_key
    assert first.model_key.startswith("resnet18-") and first.dataset_key.endswith(f"-{SIZE}px")

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded although the features are cached")

    monkeypatch.setattr(F, "load_backbone", refuse)
    again = F.extract_features(dataset, paths["repro"], "resnet18", SIZE)
    assert torch.equal(again.acts, first.acts)
    # a different checkpoint (same format), input size or dataset is a different entry
    copy = paths["repro"].with_name("copy.pt")
    shutil.copy(paths["repro"], copy)
    assert F.model_key(copy, "resnet18") == first.model_key  # same content, same key
    torch.save(
        {"format": "repro", "arch": "resnet18", "mode": "images", "model": build_resnet("resnet18").state_dict()}, copy
    )
    assert F.model_key(copy, "resnet18") != first.model_key
    assert F.dataset_key(dataset, SIZE + 1) != first.dataset_key
    assert F.dataset_key(synthetic_trajectories(fake_trajectories_npz, "occlusion"), SIZE) != first.dataset_key
    assert F.model_key(None, "resnet18", "layer3", seed=4) == "resnet18-random-seed4-layer3"


def test_compare_models_rows(dataset, weights, tmp_cache, fake_trajectories_npz):
    _, paths = weights
    cfg = Config.smoke().replace(arch="resnet18", image_size=SIZE, invariance_top_ks=(5, 10))
    rows = C.compare_models(cfg, {"viewpoint": dataset}, {"random init": None, "images": paths["repro"]})
    measures = [r["measure"] for r in rows if r["model"] == "images"]
    assert measures == [
        "Goodfellow",
        "Goodfellow, signed",
        "class-conditional K=5",
        "class-conditional K=5, signed",
        "class-conditional K=5, all",
        "class-conditional K=10",
        "class-conditional K=10, signed",
        "class-conditional K=10, all",
        "released K=5",
        "released K=10",
    ]
    assert all(r["value"] >= 0 for r in rows) and len(rows) == 20


def test_each_real_dataset_is_resized_as_the_released_configs_do(dataset):
    cfg = Config.smoke()
    sizes = {
        name: C.input_size(cfg, type(dataset)(**{**vars(dataset), "name": name}))
        for name in ("aloi-viewpoint", "got10k-occlusion", "pascal3d-instance", "synthetic-viewpoint")
    }
    assert sizes == {
        "aloi-viewpoint": 128,
        "got10k-occlusion": 128,
        "pascal3d-instance": 224,
        "synthetic-viewpoint": cfg.train.image_size,
    }
    assert C.input_size(cfg.replace(aloi_image_size=96), type(dataset)(**{**vars(dataset), "name": "aloi-x"})) == 96


def test_rate_readings_set_the_realised_reading_beside_the_default_p_y(
    dataset, weights, tmp_cache, fake_trajectories_npz
):
    _, paths = weights
    cfg = Config.smoke().replace(arch="resnet18", image_size=SIZE, invariance_top_ks=(5, 10))
    models = {"random init": None, "images": paths["repro"]}
    rows = C.rate_readings(cfg, {"viewpoint": dataset}, models, 10)
    assert [r["model"] for r in rows] == ["random init", "images"]
    for r in rows:  # a tie only ever lowers the realised rate, so the realised score is never the smaller
        assert r["realised"] >= r["nominal"] > 0 and 0 <= r["sparse"] <= 1
    cc = [r for r in C.compare_models(cfg, {"viewpoint": dataset}, models) if r["measure"] == "class-conditional K=10"]
    assert [r["nominal"] for r in rows] == [r["value"] for r in cc]
