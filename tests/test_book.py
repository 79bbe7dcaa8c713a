"""The book builds with warnings as errors from the stored notebook outputs."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_book_builds_with_warnings_as_errors(tmp_path):
    exe = Path(sys.executable).with_name("jupyter-book")
    res = subprocess.run(
        [str(exe), "build", str(ROOT), "--path-output", str(tmp_path), "--builder", "html", "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").exists()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        page = html / "notebooks" / f"{nb.stem}.html"
        assert page.exists(), page
        assert "<img" in page.read_text(), f"{page.name} shows no figure"
    shutil.rmtree(tmp_path / "_build", ignore_errors=True)
