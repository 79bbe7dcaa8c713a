"""benchmarks/gpu.sh waits for a session lent a GPU (issue 12), where device time is scarce: its dry run on the
CPU (GPU_DRY=1, tiny sizes) goes through every variant and the invariance measures, and records nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_script_dry_run_covers_every_variant_and_records_nothing():
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    env = {**os.environ, "GPU_DRY": "1", "PY": str(Path(sys.executable))}
    res = subprocess.run(["bash", "benchmarks/gpu.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    for title in (
        "channels_last on, autocast bf16",
        "channels_last on, autocast off",
        "channels_last off, autocast bf16",
        "channels_last off, autocast off",
    ):
        assert f"### {title}" in res.stdout
    assert res.stdout.count("| frames+tracks |") == 4 and "| class_conditional_invariance(K=25) |" in res.stdout
    assert (ROOT / "benchmarks" / "RESULTS.md").read_text() == results
