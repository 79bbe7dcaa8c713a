"""One style, checked: ruff's formatter and linter as configured in pyproject.toml ([tool.ruff]: line length
120, rules E, F, W and I) on every Python file of the repository but the paired notebooks (jupytext writes
those)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_code_is_formatted():
    res = _ruff("format", "--check", "--diff", ".")
    assert res.returncode == 0, f"run `.venv/bin/ruff format .`:\n{res.stdout[-3000:]}{res.stderr[-2000:]}"


def test_code_passes_the_linter():
    res = _ruff("check", "--output-format", "concise", ".")
    assert res.returncode == 0, f"run `.venv/bin/ruff check --fix .`:\n{res.stdout[-3000:]}{res.stderr[-2000:]}"


def test_the_checks_fail_on_unformatted_code(tmp_path):
    """The two checks above can fail: ruff, run the same way, rejects a badly written file."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os,sys\nx=[1,\n2]\n")
    assert _ruff("format", "--check", "--config", str(ROOT / "pyproject.toml"), str(bad)).returncode == 1
    assert _ruff("check", "--config", str(ROOT / "pyproject.toml"), str(bad)).returncode == 1
