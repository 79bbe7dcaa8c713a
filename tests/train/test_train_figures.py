"""The loss summaries, printed lines, recorded numbers and closing text of the training chapter
(``repro.train.figures``), on hand-made logs."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from repro.config import Config
from repro.train import figures as F


def _log(n=60, loss=2.0):
    step = np.arange(n)
    return {
        "step": step,
        "loss": loss + 0.01 * step,
        "acc": np.full(n, 0.5),
        "queue_age": np.full(n, 3.0),
        "loss_patch": np.full(n, 1.5),
        "loss_frame": np.full(n, 2.5),
        "pos_cos": np.full(n, 0.9),
        "neg_cos": np.linspace(0.1, 0.7, n),
    }


def test_loss_summary_finds_when_the_queue_first_holds_only_real_keys():
    s = F.loss_summary("frames+tracks", _log(), queue_size=64, batch_size=8)
    assert s["full_step"] == 4  # 64 keys / (8 frame + 8 patch keys per step)
    assert s["full"] == pytest.approx(2.0 + 0.01 * np.arange(4, 14).mean())
    assert s["first"] == pytest.approx(2.0 + 0.01 * 4.5) and s["age"] == 3.0
    assert s["pos_cos"] == pytest.approx(0.9) and s["neg_cos"] == pytest.approx(np.linspace(0.1, 0.7, 60)[-10:].mean())
    assert s["neg_cos_full"] == pytest.approx(np.linspace(0.1, 0.7, 60)[4:14].mean())
    assert "full" not in F.loss_summary("supervised", _log(), 64, 8)


def test_headline_leaves_out_the_step():
    summaries = {m: F.loss_summary(m, _log(), 64, 8) for m in ("images", "supervised")}
    h = F.headline(summaries)
    assert "images.full_step" not in h and h["images.full"] == summaries["images"]["full"]
    assert set(h) == {
        f"images.{k}" for k in ("first", "last", "acc", "full", "age", "pos_cos", "neg_cos", "neg_cos_full")
    } | {f"supervised.{k}" for k in ("first", "last", "acc")}


def test_patch_locality_is_recorded_and_read_both_ways():
    reads_frame = {"pairs": 77, "roi.same_frame": 0.81, "roi.other_frames": 0.05}
    reads_frame.update({"crop.same_frame": 0.20, "crop.other_frames": 0.17})
    assert F.headline({}, locality=reads_frame)["patch_locality.roi.same_frame"] == 0.81
    text = F.locality_text(reads_frame, 32)
    assert "0.81" in text and "(2 x 2 cells at 32 px)" in text and "compares frames more than regions" in text
    reads_region = {**reads_frame, "roi.same_frame": 0.04}
    assert "at least as well as cutting them out" in F.locality_text(reads_region, 224)


def test_printed_lines():
    cfg = Config.smoke()
    text = F.datasets_text({"images": [0] * 5, "frames": [0] * 3}, cfg)
    assert text.splitlines()[:2] == ["        images: 5 images", "        frames: 3 chunks"]
    assert text.splitlines()[2].startswith(f"pair gap k = {cfg.video.pair_gap}")
    assert (
        F.results_text({"images": SimpleNamespace(total_steps=80)})
        == "        images: 80 steps -> checkpoints/images/checkpoint.pt"
    )
    ex = {"frames": {"sim_positive": [0.912, 0.5], "sim_negative": [0.1, 0.777], "positive_rank": np.array([0, 2])}}
    assert F.hardest_text(ex, 32) == (
        "        frames: positive similarity [0.91, 0.5], hardest negative [0.1, 0.78], "
        "keys above the positive [0, 2] of 31"
    )


def test_steps_text_names_the_supervised_steps_only_where_they_differ():
    cfg = Config.smoke().replace(train_steps=2750, supervised_steps=1500)
    assert F.steps_text(cfg) == "2,750 steps a model (supervised 1,500)"
    assert F.steps_text(cfg.replace(supervised_steps=0)) == "2,750 steps a model"
    assert F.steps_text(cfg.replace(modes=("images",))) == "2,750 steps a model"
    assert F.steps_text(cfg.replace(train_steps=1000)) == "1,000 steps a model"  # capped at train_steps
    assert F.steps_text(cfg.replace(train_steps=0, epochs=3)) == "3 epochs a model (supervised 1,500 steps)"
    assert F.steps_text(cfg.replace(train_steps=0, epochs=3, supervised_steps=0)) == "3 epochs a model"


def test_summary_names_every_mode_and_the_chance_levels():
    cfg = Config.smoke()
    modes = ("supervised", "images", "frames+tracks")
    logs = {m: _log() for m in modes}
    summaries = {m: F.loss_summary(m, logs[m], cfg.train.queue_size, cfg.train.batch_size) for m in modes}
    text = F.summary(cfg, summaries, logs, num_classes=4).text
    K = cfg.train.queue_size
    assert "We trained 3 models, 2,750 steps a model (supervised 1,500)," in text
    assert f"chance level log(1+K) = {math.log(1 + K):.2f}" in text
    assert "the patch loss ended at 1.50 and the frame loss at 2.50" in text
    assert "chance 25%" in text and "`images`" in text and "`frames+tracks`" in text
