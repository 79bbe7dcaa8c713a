"""The models every chapter after training compares (``repro.train.model_checkpoints``): one list, one name
for the random baseline, the training notebook named when a checkpoint is missing, the ImageNet-supervised
weights as a row of the paper preset."""

from __future__ import annotations

import pytest

from repro.config import Config
from repro.errors import DatasetLayoutError, MissingArtifactError
from repro.models import RANDOM_INIT
from repro.train import model_checkpoints


def test_model_checkpoints_name_the_training_notebook(tmp_cache):
    cfg = Config.smoke()
    with pytest.raises(MissingArtifactError, match=r"training mode 'supervised'.*03_training"):
        model_checkpoints(cfg)
    for mode in cfg.train.modes:
        path = tmp_cache / "checkpoints" / mode / "checkpoint.pt"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
    models = model_checkpoints(cfg)
    assert list(models) == [RANDOM_INIT, *cfg.train.modes] and models[RANDOM_INIT] is None


def test_the_paper_preset_compares_imagenet_supervised_weights_without_training_them(tmp_cache, tmp_path):
    weights = tmp_path / "resnet50-0676ba61.pth"
    cfg = Config.paper().replace(cache_dir=str(tmp_cache), supervised_weights=str(weights))
    for mode in cfg.train.modes:
        path = tmp_cache / "checkpoints" / mode / "checkpoint.pt"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match=r"resnet50-0676ba61\.pth.*download\.pytorch\.org"):
        model_checkpoints(cfg)
    weights.write_bytes(b"")
    assert model_checkpoints(cfg)["supervised"] == weights
    assert "supervised" not in model_checkpoints(cfg.replace(supervised_weights=""))
    assert Config.paper().train.supervised_weights.endswith("resnet50-0676ba61.pth")
