"""The rehearsal of the paper preset (issue 12): its datasets are read by the paper preset's readers at the
preset's own relative paths, its cost table scales the measured units by the stated counts, and the whole
rehearsal (every chapter with --preset paper, then the book) passes."""

from __future__ import annotations

import json

import pytest

from repro.config import Config
from repro.data import list_chunks
from repro.invariance.datasets import measurement_datasets
from repro.models import load_backbone
from repro.rehearse import costs
from repro.rehearse.datasets import write_all
from repro.rehearse.run import CUTS, rehearse
from repro.segmentation.crops import load_part_crops
from repro.train.monitor import KnnMonitor


@pytest.mark.slow
def test_the_paper_readers_read_the_rehearsal_datasets_at_the_preset_paths(tmp_path, monkeypatch):
    paths = write_all(tmp_path)
    monkeypatch.chdir(tmp_path)  # the paper preset's paths are relative: data/TrackingNet, ...
    cfg = Config.paper().replace(cache_dir=str(tmp_path / "cache"))
    assert all(p.exists() for p in paths.values())
    chunks = list_chunks(cfg)
    assert [(c.start, c.length) for c in chunks] == [(0, 60), (60, 60), (120, 60), (180, 60)]
    assert set(measurement_datasets(cfg)) == {
        "ALOI viewpoint",
        "ALOI illumination color",
        "ALOI illumination direction",
        "GOT-10k occlusion",
        "PASCAL3D+ instance",
        "PASCAL3D+ viewpoint+instance",
    }
    train, val, skips = load_part_crops(cfg)
    assert train.classes == cfg.segmentation.seg_classes and len(val) == len(cfg.segmentation.seg_classes)
    probe = KnnMonitor.from_config(cfg)
    assert probe.bank_images.shape[1:] == (224, 224, 3) and len(probe.bank_labels) >= 20  # k = 20
    for weights in (cfg.tracks.track_checkpoint, cfg.train.supervised_weights):  # official MoCo, torchvision
        assert load_backbone(weights, "resnet50") is not None


def test_the_cost_table_is_the_units_times_the_paper_counts():
    units = dict.fromkeys(costs.UNITS, 3600.0)  # an hour per unit: CPU-hours equal the counts
    units["training image-step (images, frames)"] = costs.V100_SECONDS_PER_IMAGE_STEP  # CPU = V100
    table = costs.cost_table(units, Config.paper())
    rows = {r[0]: r for r in table.rows}
    s = costs.PAPER_SCALE
    assert rows["selective search"][1] == f"{s['videos'] * s['chunks_per_video'] * 60:,} frames"
    assert rows["selective search"][3] == f"{s['videos'] * s['chunks_per_video'] * 60:,}"
    assert rows["selective search"][4] == "CPU only"
    steps = s["epochs"] * s["imagenet_images"]
    assert rows["training: ImageNet MoCo v2"][4] == f"{steps * costs.V100_SECONDS_PER_IMAGE_STEP / 3600:,.0f}" == "424"
    assert rows["training: frames"][1] == f"{s['epochs'] * s['videos'] * s['chunks_per_video']:,} image-steps"


@pytest.mark.slow
def test_the_whole_rehearsal_passes(tmp_path):
    """Every chapter with --preset paper at the paper's settings on the rehearsal data, then the book."""
    report = rehearse(tmp_path, repeats=1)
    assert [p.stem for p in report.executed] == [
        "00_sample_data",
        "01_dataset_creation",
        "02_generating_tracks",
        "03_training",
        "04_invariance",
        "05_part_segmentation",
    ]
    assert (report.html / "notebooks" / "05_part_segmentation.html").is_file()
    results = json.loads((tmp_path / "runs" / "paper" / "results.json").read_text())
    assert results["preset"] == "paper" and set(results["table5_avg"]) >= {"random init", "per-pixel prior"}
    assert set(report.units) == set(costs.UNITS) and all(v > 0 for v in report.units.values())
    assert "V100-hours" in report.costs_md.read_text()
    assert set(CUTS) <= set(Config.paper().flat())
