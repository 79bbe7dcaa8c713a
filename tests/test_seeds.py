"""``repro seeds``: the spread table on hand-made results (closed form), resuming, and one tiny real run."""

from __future__ import annotations

import json
import math

import pytest

from repro import seeds
from repro.cli import main as repro_main
from repro.config import Config
from repro.samples import build_samples
from repro.train.checkpoint import mode_dir


def _result(knn: float, inv: float, t5: float) -> dict:
    return {
        "knn_top1": {"random init": 0.25, "images": knn},
        "linear_top1": {"random init": 0.3, "images": knn + 0.1},
        "invariance": {"viewpoint": {"random init": 6.0, "images": inv}, "occlusion": {"images": inv - 1}},
        "table5_avg": {"random init": 80.0, "images": t5, "per-pixel prior": 79.0},
    }


def test_spread_table_mean_and_sample_sd():
    per_seed = {"0": _result(0.3, 7.0, 81.0), "1": _result(0.4, 8.0, 83.0), "2": _result(0.5, 9.0, 82.0)}
    rows = dict(seeds.spread_rows(per_seed))
    assert rows["knn_top1 images"] == [0.3, 0.4, 0.5]
    assert rows["invariance viewpoint images"] == [7.0, 8.0, 9.0]
    assert rows["table5_avg per-pixel prior"] == [79.0, 79.0, 79.0]
    assert rows["knn_top1 gain over random init images"] == pytest.approx([0.05, 0.15, 0.25])  # random init 0.25
    assert "linear_top1 gain over random init images" not in rows  # the target is on kNN only
    names = [what for what, _ in seeds.spread_rows(per_seed)]
    assert names[:3] == ["knn_top1 random init", "knn_top1 images", "knn_top1 gain over random init images"]
    shuffled = {s: json.loads(json.dumps(r, sort_keys=True)) for s, r in per_seed.items()}  # as seeds.json holds it
    assert [what for what, _ in seeds.spread_rows(shuffled)] == names  # the chapters' order, however stored
    assert names[-2:] == ["table5_avg images", "table5_avg per-pixel prior"]
    assert names.index("invariance viewpoint images") < names.index("invariance occlusion images")
    table = seeds.spread_table(per_seed)
    assert list(table.header) == ["number", "seed 0", "seed 1", "seed 2", "mean", "sd"]
    knn = next(r for r in table.rows if r[0] == "knn_top1 images")
    assert knn[-2] == pytest.approx(0.4) and knn[-1] == pytest.approx(0.1)  # sd of (0.3, 0.4, 0.5), ddof=1
    t5 = next(r for r in table.rows if r[0] == "table5_avg images")
    assert t5[-1] == pytest.approx(1.0)


def test_a_number_missing_from_one_seed_is_nan_not_a_crash():
    per_seed = {"0": _result(0.3, 7.0, 81.0), "1": _result(0.4, 8.0, 83.0)}
    del per_seed["1"]["knn_top1"]["images"]
    row = next(r for r in seeds.spread_table(per_seed).rows if r[0] == "knn_top1 images")
    assert row[1] == 0.3 and math.isnan(row[2]) and math.isnan(row[-2])


def test_seeds_resume_and_restart_when_the_environment_or_the_settings_changed(tmp_path, monkeypatch):
    trained, evaluated = [], []
    monkeypatch.setattr(seeds, "train_modes", lambda c: trained.append(c.train.train_seed))
    monkeypatch.setattr(
        seeds, "evaluate_seed", lambda c: evaluated.append(c.training_seed()) or _result(0.1 * c.training_seed(), 1, 2)
    )
    path, cfg = tmp_path / "runs" / "seeds.json", Config.smoke().replace(seed=10)
    out = seeds.seed_spread(cfg, [0, 1], path)
    assert trained == [0, 1] and evaluated == [10, 11] and set(out["seeds"]) == {"0", "1"}
    seeds.seed_spread(cfg, [0, 1, 2], path)  # only the new seed runs
    assert trained == [0, 1, 2]
    assert set(json.loads(path.read_text())["seeds"]) == {"0", "1", "2"}
    seeds.seed_spread(cfg.replace(cache_dir="/elsewhere", num_workers=3), [0, 1, 2], path)  # where, not what
    assert trained == [0, 1, 2]
    seeds.seed_spread(cfg.replace(train_steps=7), [0], path)  # numbers of other settings are not reused
    assert trained == [0, 1, 2, 0] and set(json.loads(path.read_text())["seeds"]) == {"0"}
    monkeypatch.setattr(seeds, "lock_sha256", lambda: "another environment")
    seeds.seed_spread(cfg.replace(train_steps=7), [0], path)  # nor numbers of another environment
    assert trained == [0, 1, 2, 0, 0] and set(json.loads(path.read_text())["seeds"]) == {"0"}


def test_train_seed_moves_training_not_the_world():
    cfg = Config.smoke().replace(seed=3, train_seed=2)
    assert cfg.training_seed() == 5 and cfg.run.seed == 3
    assert mode_dir(cfg, "images").parts[-2:] == ("train_seed2", "images")
    assert mode_dir(Config.smoke(), "images").parts[-2:] == ("checkpoints", "images")


def test_two_seeds_of_a_tiny_run_differ_and_are_written_to_the_book(tiny_samples_cfg, tmp_cache, tmp_path, monkeypatch):
    cfg = tiny_samples_cfg.replace(
        arch="resnet18_w16",
        image_size=32,
        batch_size=8,
        queue_size=32,
        bn_splits=2,
        train_steps=2,
        knn_every=0,
        seg_epochs=1,
        modes=("images",),
    )
    build_samples(cfg)
    monkeypatch.setattr(seeds, "BOOK_INCLUDE", tmp_path / "seed_spread.inc")
    monkeypatch.setattr(seeds, "config_from_args", lambda args: cfg)
    monkeypatch.chdir(tmp_path)
    assert repro_main(["seeds", "--seeds", "0", "1", "--write-book"]) == 0
    spread = json.loads((tmp_path / "runs" / "smoke" / "seeds.json").read_text())
    s0, s1 = spread["seeds"]["0"], spread["seeds"]["1"]
    assert set(s0) == set(seeds.METRICS) and set(s0["knn_top1"]) == {"random init", "images"}
    assert s0["invariance"]["viewpoint"]["images"] != s1["invariance"]["viewpoint"]["images"]  # other weights
    assert s0["knn_top1"].keys() == s1["knn_top1"].keys()
    text = (tmp_path / "seed_spread.inc").read_text()
    assert "| knn_top1 images |" in text and "seed 1" in text
    assert f"K = {max(cfg.invariance.invariance_top_ks)}," in text and spread["config_digest"] in text
    assert (tmp_cache / "checkpoints" / "train_seed1" / "images" / "checkpoint.pt").is_file()
