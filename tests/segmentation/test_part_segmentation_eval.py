import math

import numpy as np
import pytest
import torch

from repro.config import Config
from repro.errors import ConfigError, DatasetLayoutError, MissingArtifactError
from repro.models import RANDOM_INIT
from repro.segmentation import evaluate, features
from repro.segmentation.checkpoints import paper_row_map, table5_models
from repro.segmentation.crops import load_part_crops, synthetic_part_crops
from repro.segmentation.evaluate import run_table5
from repro.segmentation.table5 import AVG


def small_cfg(cache, **kw):
    args = dict(
        cache_dir=str(cache),
        arch="resnet18",
        image_size=32,
        modes=("supervised", "images"),
        seg_epochs=2,
        seg_output_size=16,
        seg_width=16,
        seg_batch_size=8,
    )
    args.update(kw)
    return Config.smoke().replace(**args)


def test_synthetic_crops_follow_the_npz(parts_cache):
    cfg = small_cfg(parts_cache)
    train, val = synthetic_part_crops(cfg)
    assert train.classes == ("vbar", "hbar") and train.part_names == (("top", "bottom"), ("left", "right", "centre"))
    assert len(train) == 16 and len(val) == 8 and train.images.shape[1:] == (32, 32, 3)
    assert train.targets.shape[1:] == (16, 16)
    vbar = train.targets[train.labels == 0]
    assert set(np.unique(vbar)) <= {0, 1, 2} and (vbar[:, 2, 8] == 1).all() and (vbar[:, 13, 8] == 2).all()
    only = synthetic_part_crops(small_cfg(parts_cache, seg_classes=("hbar",)))[0]
    assert only.classes == ("hbar",) and (only.labels == 0).all() and len(only) == 8
    with pytest.raises(ConfigError, match="not synthetic categories"):
        synthetic_part_crops(small_cfg(parts_cache, seg_classes=("cow",)))


def test_missing_checkpoint_names_the_training_notebook(parts_cache, tmp_path):
    cfg = small_cfg(parts_cache, modes=("supervised", "frames"))
    with pytest.raises(MissingArtifactError, match="03_training"):
        table5_models(cfg)
    with pytest.raises(MissingArtifactError, match="00_sample_data"):
        load_part_crops(small_cfg(tmp_path / "empty"))


def test_extra_checkpoints_and_paper_rows(parts_cache):
    ckpt = parts_cache / "checkpoints" / "images" / "checkpoint.pt"
    cfg = small_cfg(parts_cache, seg_checkpoints=(f"ImageNet MOCOv2={ckpt}",))
    models = table5_models(cfg)
    assert list(models) == [RANDOM_INIT, "supervised", "images", "ImageNet MOCOv2"]
    assert paper_row_map(models) == {
        "supervised": "ImageNet Supervised",
        "images": "ImageNet MOCOv2",
        "ImageNet MOCOv2": "ImageNet MOCOv2",
    }
    with pytest.raises(ConfigError, match="Row name=path"):
        table5_models(small_cfg(parts_cache, seg_checkpoints=("no-equals-sign",)))


def test_supervised_weights_give_the_imagenet_supervised_row_when_that_mode_is_not_trained(parts_cache, tmp_path):
    weights = tmp_path / "resnet50-0676ba61.pth"
    weights.write_bytes(b"")
    cfg = small_cfg(parts_cache, modes=("images",), supervised_weights=str(weights))
    models = table5_models(cfg)
    assert models["supervised"] == weights and paper_row_map(models)["supervised"] == "ImageNet Supervised"
    trained = small_cfg(parts_cache, supervised_weights=str(weights))  # trained here: its own checkpoint
    assert table5_models(trained)["supervised"].name == "checkpoint.pt"


def test_table5_end_to_end_with_cached_representations(parts_cache, monkeypatch):
    cfg = small_cfg(parts_cache)
    res = run_table5(cfg)
    assert list(res.accuracy) == [RANDOM_INIT, "supervised", "images"]
    for row in res.accuracy.values():
        assert set(row) == {"vbar", "hbar", AVG}
        assert all(0 <= v <= 100 for v in row.values())
        assert row[AVG] == pytest.approx((row["vbar"] + row["hbar"]) / 2)
    assert set(res.difference()) == {"Supervised − ImageNet Supervised", "MoCo v2 (images) − ImageNet MOCOv2"}
    assert res.predictions["images"]["hbar"].shape == (1, 16, 16)
    for name in res.models:  # one feature file per model
        files = list((parts_cache / "features" / features._safe(name)).glob("parts-*.pt"))
        assert len(files) == 1
    # second run: representations come from the cache (the encoder is never built) and numbers repeat
    monkeypatch.setattr(features, "load_backbone", lambda *a, **k: pytest.fail("encoder rebuilt"))
    again = run_table5(cfg)
    assert again.accuracy == res.accuracy


def test_changed_checkpoint_recomputes_representations(parts_cache):
    cfg = small_cfg(parts_cache, modes=("images",))
    first = run_table5(cfg)
    ckpt = parts_cache / "checkpoints" / "images" / "checkpoint.pt"
    obj = torch.load(ckpt, weights_only=False)
    obj["model"]["conv1.weight"] = obj["model"]["conv1.weight"] * 2
    torch.save(obj, ckpt)
    z_old = torch.load(next((parts_cache / "features" / "images").glob("parts-*.pt")))["train"]
    second = run_table5(cfg)
    z_new = torch.load(next((parts_cache / "features" / "images").glob("parts-*.pt")))["train"]
    assert not torch.allclose(z_old, z_new)
    assert first.accuracy[RANDOM_INIT] == second.accuracy[RANDOM_INIT]
    assert not math.isnan(second.accuracy["images"][AVG])


def test_encoder_change_during_evaluation_is_caught(parts_cache):
    """A (deliberately broken) encoder that updates itself on every forward pass trips the assertion."""
    from torch import nn

    class Drifting(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3, 4))

        def forward(self, x):
            with torch.no_grad():
                self.w.add_(1.0)
            return x.mean((2, 3)) @ self.w

    cfg = small_cfg(parts_cache, modes=())
    train, val, _ = load_part_crops(cfg)
    with pytest.raises(AssertionError, match="frozen encoder changed"):
        evaluate.evaluate_model(cfg, "drift", "", train, val, encoder_fn=Drifting)


def test_pascal_parts_through_the_config(voc_parts, tmp_path):
    cfg = Config.smoke().replace(
        arch="resnet18",
        cache_dir=str(tmp_path / "cache"),
        pascal_parts_root=str(voc_parts["root"]),
        voc_root=str(voc_parts["voc"]),
        seg_classes=("cow", "car"),
        image_size=32,
        seg_output_size=16,
    )
    train, val, report = load_part_crops(cfg)
    assert [train.classes[c] for c in train.labels] == ["cow", "car"] and len(val) == 1
    assert report.counts["missing image"] == 1 and report.counts["unreadable annotation"] == 1
    again_train, _, again_report = load_part_crops(cfg)  # from the crop cache
    assert (again_train.targets == train.targets).all() and again_report.counts == report.counts
    assert str(again_report) == str(report) and "missing image" in str(report)
    assert again_train.part_names == train.part_names
    with pytest.raises(ConfigError, match="voc_root"):
        load_part_crops(cfg.replace(voc_root="", crop_margin=0.2))
    with pytest.raises(DatasetLayoutError, match="0 training and 0 val|1 training and 0 val"):
        evaluate.evaluate_model(cfg, RANDOM_INIT, None, train, val)


def test_the_chapter_and_older_code_find_their_names():
    """Notebook 05 imports these from ``evaluate`` and calls these on ``table5``; other code imports the
    re-exported names from ``evaluate``."""
    from repro.segmentation import table5

    for name in ("plot_examples", "render", "render_paper", "summary_text"):
        assert callable(getattr(table5, name))
    for name in evaluate.__all__:
        assert hasattr(evaluate, name), name
    assert {"ROW_NAMES", "load_part_crops", "run_table5"} <= set(evaluate.__all__)
