"""Promises of the notebook pipeline that hold for every chapter: paired and in sync, stored outputs,
one parameters cell with the smoke defaults, listed in the book, uniform structure."""

import ast
import json
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from repro import runner
from repro.config import Config, leaf_sections

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = runner.available()


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_sample_data"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_pair_is_in_sync(nb):
    assert nb.ipynb.exists(), f"{nb.ipynb} missing: run `make notebooks`"
    as_py = jupytext.writes(jupytext.read(nb.ipynb), fmt="py:percent")
    assert as_py == nb.source.read_text(), (
        f"{nb.source.name} and {nb.ipynb.name} differ: edit the .py, then `make notebooks`"
    )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_stored_outputs_exist(nb):
    cells = json.loads(nb.ipynb.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "run `make notebooks` to store the outputs"
    assert sum(bool(c["outputs"]) for c in code) >= 2, "nbval needs stored outputs to compare"
    assert json.loads(nb.ipynb.read_text())["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_parameters_cell_holds_the_smoke_defaults(nb):
    params = runner.parameters_cell(runner.read(nb))
    assert params.pop("preset") == "smoke"
    smoke, where = Config.smoke().flat(), leaf_sections()
    for name, value in params.items():
        assert name in where, f"{name} is not a config field"
        value = tuple(value) if isinstance(value, list) else value
        assert value == smoke[name], f"{name} = {value!r} but the smoke preset says {smoke[name]!r}"
    source = nb.source.read_text()
    for name in params:  # every parameter reaches the config
        assert re.search(rf"\b{name}={name}\b", source), f"{name} is not passed to from_notebook_parameters"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_uniform_structure(nb):
    cells = runner.read(nb).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "**Aim.**" in cells[0].source
    assert any(c.cell_type == "markdown" and "What we saw" in c.source for c in cells[-3:])
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "from repro" in code
    assert not re.search(r"^def |^class ", code, re.M), "logic belongs in the repro package"


def test_every_notebook_is_a_chapter_of_the_book():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    assert {f"notebooks/{nb.name}" for nb in NOTEBOOKS} <= set(files)
    for f in files + [toc["root"]]:
        assert (ROOT / f"{f}.md").exists() or (ROOT / f"{f}.ipynb").exists(), f


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_every_chapter_records_its_headline_numbers(nb):
    """``repro.results.record`` under the notebook's own name, and never as a cell's last expression (its
    return value, a path into the cache, would be a stored output that differs on every machine)."""
    cells = [c for c in runner.read(nb).cells if c.cell_type == "code"]
    recording = [c for c in cells if f'record("{nb.name}", ' in c.source]
    assert len(recording) == 1, f"{nb.name} must call record({nb.name!r}, {{...}}) once"
    last = ast.parse(recording[0].source).body[-1]
    assert not (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and getattr(last.value.func, "id", "") == "record"
    ), "record(...) must not end its cell"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.name)
def test_cells_that_glue_a_figure_are_not_compared(nb):
    """nbval compares ``application/papermill.record/image/png`` (a glued figure) byte for byte."""
    for cell in runner.read(nb).cells:
        if cell.cell_type == "code" and "glue(" in cell.source and "fig" in cell.source.split("glue(", 1)[1][:40]:
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), cell.source[:80]
