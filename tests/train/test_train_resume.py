"""A run killed with SIGKILL mid-way and resumed ends with the same weights as an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from repro.config import Config
from repro.paths import REPO_ROOT

MODE = "frames+tracks"  # the most state: two enqueues per step, patch path


def command(cfg, out):
    smoke = Config.smoke().flat()
    params = [f"{k}={v}" for k, v in cfg.flat().items() if v != smoke[k]]
    return [
        sys.executable,
        "-m",
        "repro.train.cli",
        "--mode",
        MODE,
        "--out",
        str(out),
        "--no-tensorboard",
        *sum((["-p", p] for p in params), []),
    ]


def rows(path):
    return path.read_text().count("\n") - 1 if path.is_file() else 0


@pytest.mark.slow
def test_sigkill_and_resume_gives_identical_weights(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(train_steps=8, checkpoint_every=2)
    env = {**os.environ, "REPRO_PROGRESS": "0", "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    p_whole = subprocess.Popen(command(cfg, whole), env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE)
    p_kill = subprocess.Popen(command(cfg, killed), env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while rows(killed / "log.csv") < 3:  # step 3 logged: the step-2 checkpoint exists
        assert p_kill.poll() is None, p_kill.stderr.read().decode()[-2000:]
        assert time.time() < deadline
        time.sleep(0.02)
    p_kill.send_signal(signal.SIGKILL)
    assert p_kill.wait() == -signal.SIGKILL
    step_at_kill = torch.load(killed / "checkpoint.pt", weights_only=False)["step"]
    assert 2 <= step_at_kill < 8
    resumed = subprocess.run(command(cfg, killed), env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"steps {step_at_kill}->8 of 8" in resumed.stdout
    assert p_whole.wait() == 0, p_whole.stderr.read().decode()[-2000:]

    a = torch.load(whole / "checkpoint.pt", weights_only=False)
    b = torch.load(killed / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == 8
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k  # encoders, BN statistics, queue, ptr
    assert torch.equal(a["queue_step"], b["queue_step"])
    for sa, sb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert torch.equal(sa["momentum_buffer"], sb["momentum_buffer"])
    # the log of the resumed run is the uninterrupted run's, row for row
    assert (killed / "log.csv").read_text() == (whole / "log.csv").read_text()
