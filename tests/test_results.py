"""repro.results: chapters record their headline numbers, the runner gathers them with the preset, the
lock's hash and the machine, and a fresh run is compared with the committed ``results/smoke.json`` within
stated tolerances."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from repro import lockfile, results, runner
from repro.errors import ReproError
from repro.results import Tolerance

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results" / "smoke.json"


def test_record_and_collect_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "parts"))
    path = results.record(
        "03_training",
        {"images.loss": np.float32(6.25), "steps": np.int64(80), "mode": "images", "ok": True, "tau": float("nan")},
    )
    assert path == tmp_path / "parts" / "03_training.json"
    assert results.collect(tmp_path / "parts") == {
        "03_training": {"images.loss": 6.25, "steps": 80, "mode": "images", "ok": True, "tau": None}
    }


def test_record_defaults_to_the_cache(tmp_cache, monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    assert results.record("00_sample_data", {"n": 1}) == tmp_cache.resolve() / "results" / "00_sample_data.json"


def test_record_refuses_what_is_not_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    with pytest.raises(ReproError, match="'table': list is not a number"):
        results.record("x", {"table": [1, 2]})


def test_collect_of_nothing_says_what_writes_results(tmp_path):
    with pytest.raises(ReproError, match="repro run"):
        results.collect(tmp_path)


TOLS = (Tolerance("nb/loss*", 0.05, 0.0, "training"), Tolerance("nb/*", 0.0, 0.1, "anything else"))


@pytest.mark.parametrize("fresh, ok", [(6.20, True), (6.25, True), (6.31, False), (6.0, False)])
def test_compare_uses_the_first_matching_tolerance(fresh, ok):
    problems = results.compare({"nb": {"loss": fresh}}, {"nb": {"loss": 6.25}}, TOLS)
    assert (problems == []) is ok
    if not ok:
        assert problems[0].startswith("nb/loss: fresh") and "(training)" in problems[0]


def test_compare_relative_exact_and_missing():
    committed = {"nb": {"count": 100, "name": "a", "gone": 1}, "old": {"x": 1}}
    fresh = {"nb": {"count": 109, "name": "b", "new": 2}}
    problems = results.compare(fresh, committed, TOLS)
    assert problems == [
        "nb/gone: only in the committed results",
        "nb/name: fresh 'b' vs committed 'a' (compared exactly)",
        "nb/new: only in the fresh results",
        "old: only in the committed results",
    ]
    assert results.compare({"other": {"v": 1.0000001}}, {"other": {"v": 1.0}}, TOLS) == [
        "other/v: fresh 1.0000001 vs committed 1.0 (compared exactly)"
    ]
    assert results.compare({"nb": {"v": None}}, {"nb": {"v": None}}, TOLS) == []


def test_write_results_names_preset_lock_and_machine(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "parts"))
    results.record("01_dataset_creation", {"chunks": 12})
    out = results.write_results(tmp_path / "run" / "results.json", "smoke", tmp_path / "parts")
    assert json.loads((tmp_path / "run" / "results.json").read_text()) == out
    assert out["preset"] == "smoke" and out["lock_sha256"] == lockfile.lock_sha256()
    assert out["results"] == {"01_dataset_creation": {"chunks": 12}}
    assert {"cpu", "torch_threads", "cuda_device", "cpu_capability"} <= out["machine"].keys()
    assert not list((tmp_path / "run").glob(".*tmp"))  # written atomically


def test_headline_results_go_to_the_top_level_and_are_compared_as_values(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "parts"))
    results.record("03_training", {"n": 1}, headline={"knn_top1": {"images": np.float32(0.5), "random init": 0.25}})
    results.record("04_invariance", {}, headline={"invariance": {"viewpoint": {"frames": 3.0}}})
    out = results.write_results(tmp_path / "results.json", "smoke", tmp_path / "parts")
    assert out["knn_top1"] == {"images": 0.5, "random init": 0.25}
    assert out["invariance"] == {"viewpoint": {"frames": 3.0}}
    assert out["results"]["03_training"] == {"n": 1, "knn_top1.images": 0.5, "knn_top1.random init": 0.25}
    assert out["results"]["04_invariance"] == {"invariance.viewpoint.frames": 3.0}
    results.record("05_part_segmentation", {}, headline={"knn_top1": {"x": 1.0}})
    with pytest.raises(ReproError, match="recorded twice"):
        results.collect_headline(tmp_path / "parts")
    with pytest.raises(ReproError, match="also plain values"):
        results.record("06", {"a.b": 1}, headline={"a": {"b": 2}})


def test_cli_compares_two_files(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"results": {"nb": {"n": 1}}}))
    b.write_text(json.dumps({"results": {"nb": {"n": 2}}}))
    assert results.main(type("A", (), {"fresh": a, "committed": a})) == 0
    assert results.main(type("A", (), {"fresh": a, "committed": b})) == 1
    assert "nb/n: fresh 1 vs committed 2" in capsys.readouterr().out


def test_two_records_share_a_cpu_path_only_when_every_key_is_known_and_equal():
    here = {**{key: f"{key} of this machine" for key in results.CPU_PATH}, "cuda_device": None}
    assert results.same_cpu_path(here, dict(here))
    for key in results.CPU_PATH:
        assert not results.same_cpu_path(here, {**here, key: "other"}), key
        assert not results.same_cpu_path({**here, key: None}, {**here, key: None}), key
    assert not results.same_cpu_path({**here, "cuda_device": "GPU"}, {**here, "cuda_device": "GPU"})


def test_every_tolerance_is_stated_and_used():
    committed = json.loads(COMMITTED.read_text())["results"]
    names = [f"{nb}/{k}" for nb, values in committed.items() for k in values]
    for tol in results.TOLERANCES:
        assert tol.why and tol.abs_tol >= 0 and tol.rel_tol >= 0
        assert any(results.tolerance_for(n) is tol for n in names), f"{tol.pattern} matches no committed key"


def test_committed_results_belong_to_this_lock_and_every_chapter():
    committed = json.loads(COMMITTED.read_text())
    assert committed["preset"] == "smoke"
    assert committed["lock_sha256"] == lockfile.lock_sha256(), (
        "results/smoke.json was computed with another requirements.lock: after `make lock`, run "
        "`make notebooks` (it refreshes the stored outputs and results/smoke.json) and commit them together"
    )
    assert set(committed["results"]) == {nb.name for nb in runner.available()}
    for values in committed["results"].values():
        assert values and all(v is None or not isinstance(v, float) or math.isfinite(v) for v in values.values())


@pytest.mark.fresh_run
def test_a_fresh_run_matches_the_committed_results(fresh_results):
    """``make test`` runs this after nbval has executed every chapter in a fresh cache: bit for bit where this
    machine's float path is the one that wrote results/smoke.json, else within ``TOLERANCES``."""
    committed = json.loads(COMMITTED.read_text())
    exact = results.same_cpu_path(results.machine(), committed["machine"])
    problems = results.compare(
        results.collect(fresh_results), committed["results"], () if exact else results.TOLERANCES
    )
    where = "the CPU path that wrote results/smoke.json, so every number must be equal" if exact else "another CPU path"
    assert not problems, f"on {where}:\n" + "\n".join(problems)
