"""The notebook runner: name resolution, dependency order, parameter validation, failures."""

import json
import subprocess
import sys

import pytest

from repro import runner
from repro.config import OVERRIDES_ENV, Config, from_notebook_parameters
from repro.errors import ConfigError
from repro.runner import Notebook

NB = """# %% [markdown]
# # Tiny

# %% tags=["parameters"]
preset = "smoke"
chunk_len = 24
lr = 0.03

# %%
print("chunk", chunk_len, "lr", lr, "preset", preset)
"""

FAILING = (
    NB
    + """
# %%
raise ValueError("broken on purpose")
"""
)


@pytest.fixture
def nb_dir(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    for name, text in [("00_sample_data", NB), ("03_training", NB), ("04_invariance", NB), ("09_failing", FAILING)]:
        (d / f"{name}.py").write_text(text)
    return d


def test_resolve_by_full_name_number_or_title(nb_dir):
    names = [nb.name for nb in runner.resolve(["invariance", "00", "03_training.py"], nb_dir)]
    assert names == ["00_sample_data", "03_training", "04_invariance"]


def test_unknown_notebook_lists_the_available_ones(nb_dir):
    with pytest.raises(ConfigError, match="unknown notebook 'nosuch'; available: 00_sample_data, 03_training"):
        runner.resolve(["nosuch"], nb_dir)


def test_dependency_order_puts_producers_first():
    nbs = [
        Notebook(n, None)
        for n in (
            "05_part_segmentation",
            "03_training",
            "00_sample_data",
            "02_generating_tracks",
            "01_dataset_creation",
        )
    ]
    assert [nb.name for nb in runner.dependency_order(nbs)] == [
        "00_sample_data",
        "01_dataset_creation",
        "02_generating_tracks",
        "03_training",
        "05_part_segmentation",
    ]


def test_repository_notebooks_run_in_dependency_order():
    names = [nb.name for nb in runner.resolve(None)]
    assert names == sorted(names), "numbering must follow data dependencies"


def test_parameters_are_injected_from_the_preset(nb_dir):
    nb = Notebook("03_training", nb_dir / "03_training.py")
    assert runner.build_parameters(nb, "paper", {}) == {"preset": "paper", "chunk_len": 60, "lr": 0.03}
    assert runner.build_parameters(nb, "smoke", {"lr": "0.1"})["lr"] == 0.1


def test_unknown_parameter_and_wrong_type_list_valid_parameters(nb_dir):
    nbs = runner.resolve(["03"], nb_dir)
    with pytest.raises(
        ConfigError,
        match="(?s)no notebook among 03_training has parameter.*chunk_lenn.*chunk_len: int = 24.*lr: float = 0.03",
    ):
        runner._check_overrides_used(nbs, {"chunk_lenn": 3})
    with pytest.raises(ConfigError, match="(?s)'chunk_len' expects int, got 'ten'.*valid parameters"):
        runner._check_overrides_used(nbs, {"chunk_len": "ten"})
    nb = nbs[0]
    with pytest.raises(ConfigError, match="03_training has no parameter 'x'"):
        runner.build_parameters(nb, "smoke", {"x": 1})


def test_parameters_cell_must_be_single_and_literal(tmp_path):
    two = tmp_path / "x.py"
    two.write_text(NB + '\n# %% tags=["parameters"]\nseed = 1\n')
    with pytest.raises(runner.ReproError, match="exactly one cell tagged 'parameters', found 2"):
        runner.parameters_cell(runner.read(Notebook("x", two)))
    expr = tmp_path / "y.py"
    expr.write_text('# %% tags=["parameters"]\nseed = 1 + len("ab")\n')
    with pytest.raises(runner.ReproError, match="may only hold literals.*len"):
        runner.parameters_cell(runner.read(Notebook("y", expr)))


@pytest.mark.slow
def test_execute_writes_copy_and_names_the_failing_cell(nb_dir, tmp_path):
    out = tmp_path / "runs" / "03.ipynb"
    runner.execute(Notebook("03_training", nb_dir / "03_training.py"), out, {"chunk_len": 7})
    text = out.read_text()
    assert "chunk 7 lr 0.03 preset smoke" in text and "injected-parameters" in text
    assert "chunk_len = 24" in (nb_dir / "03_training.py").read_text()  # the source is untouched
    bad = tmp_path / "runs" / "09.ipynb"
    with pytest.raises(
        runner.NotebookFailed,
        match="(?s)09_failing failed in cell .*ValueError: broken on purpose.*partial executed copy",
    ):
        runner.execute(Notebook("09_failing", nb_dir / "09_failing.py"), bad, None)
    assert bad.exists() and "broken on purpose" in bad.read_text()


@pytest.mark.parametrize("params", [["-p", "chunk_len", "7", "-p", "lr=0.5"], ["-pchunk_len=7", "-p", "lr", "0.5"]])
def test_cli_takes_both_parameter_forms(params, monkeypatch):
    from repro.cli import build_parser

    calls = []
    monkeypatch.setattr(runner, "run", lambda names, preset, overrides, out: calls.append((names, overrides)) or [])
    args = build_parser("run").parse_args(["run", *params, "03"])
    assert runner.main(args) == 0 and calls == [(["03"], {"chunk_len": "7", "lr": "0.5"})]


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nosuch"], "unknown notebook 'nosuch'"),
        (["run", "00", "-p", "nosuch", "1"], "has parameter(s) nosuch"),
        (["run", "00", "-p", "nosuch=1"], "has parameter(s) nosuch"),
        (["run", "00", "-p", "seed", "zero"], "'seed' expects int"),
        (["run", "00", "-p", "seed=zero"], "'seed' expects int"),
        (["run", "00", "-p", "seed"], "expected NAME VALUE or NAME=VALUE"),
        (["config", "--preset", "papr"], "unknown preset 'papr'"),
    ],
)
def test_cli_errors_are_one_clear_message(args, message):
    res = subprocess.run([sys.executable, "-m", "repro.cli", *args], capture_output=True, text=True)
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr


def test_missing_dataset_root_stops_before_running_with_the_layout(tmp_path, monkeypatch):
    d = tmp_path / "notebooks"
    d.mkdir()
    (d / "01_dataset_creation.py").write_text(
        '# %% tags=["parameters"]\npreset = "smoke"\ntrackingnet_root = ""\n\n# %%\nprint(1)\n'
    )
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", d)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        runner.ReproError,
        match="(?s)trackingnet_root = 'data/TrackingNet': no such folder"
        ".*TRAIN_0 ... TRAIN_11.*anno/<seq>.txt.*-p trackingnet_root",
    ):
        runner.run(["01"], preset="paper", output_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_kernels_record_results_where_the_runner_gathers_them(nb_dir, tmp_path, monkeypatch):
    """A relative --output-dir (as `make all` passes) must not become relative to the kernel's folder."""
    import os
    from pathlib import Path

    from repro.results import RESULTS_ENV, collect

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    src = nb_dir / "05_recording.py"
    src.write_text(NB + '\n# %%\nfrom repro.results import record\nrecord("05_recording", {"lr": lr})\n')
    with runner._recording_into(Path("runs/x/results.d"), [Notebook("05_recording", src)]):
        assert os.environ[RESULTS_ENV] == str(tmp_path / "runs" / "x" / "results.d")
        runner.execute(Notebook("05_recording", src), tmp_path / "runs" / "x" / "05.ipynb", {"lr": 0.5})
    assert RESULTS_ENV not in os.environ
    assert collect(tmp_path / "runs" / "x" / "results.d") == {"05_recording": {"lr": 0.5}}


def test_run_overrides_reach_every_chapter_config(monkeypatch):
    """`repro run -p num_chunks 1` holds for the whole run: a chapter whose parameters cell does not list
    the field (chapter 03 and num_chunks) still reads the tracks chapter 02 wrote with it; a notebook's own
    parameter (injected with the same value) wins, and an unknown name is refused."""
    monkeypatch.setenv(OVERRIDES_ENV, json.dumps({"num_chunks": 1, "trackingnet_root": "/elsewhere"}))
    cfg = from_notebook_parameters("smoke", train_steps=3)
    assert (cfg.video.num_chunks, cfg.video.trackingnet_root, cfg.train.train_steps) == (1, "/elsewhere", 3)
    assert from_notebook_parameters("smoke", num_chunks=2).video.num_chunks == 2
    monkeypatch.setenv(OVERRIDES_ENV, json.dumps({"nosuch": 1}))
    with pytest.raises(ConfigError, match="unknown parameter.*nosuch"):
        from_notebook_parameters("smoke")
    monkeypatch.delenv(OVERRIDES_ENV)
    assert from_notebook_parameters("smoke").video.num_chunks == Config.smoke().video.num_chunks
