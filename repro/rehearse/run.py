"""The rehearsal of the paper preset: every chapter, at the paper's settings, on tiny data in the real layouts.

``rehearse(work)``:

1. writes the datasets and checkpoints of the paper preset under ``work`` at the preset's relative paths
   (``repro.rehearse.datasets.write_all``: ``data/TrackingNet``, ``data/ImageNet``, ...);
2. times each unit of work at the paper's settings (``repro.rehearse.costs``) and writes the cost table of
   the full runs (``paper_costs.md``);
3. runs every chapter with ``repro run --preset paper`` from ``work`` (so the preset's relative paths are
   the ones read), with its cache in ``work/cache``, cutting only items and steps (``CUTS``);
4. builds the book from the executed chapters (a copy of the book's sources with the executed notebooks in
   place of the stored ones), as ``make book`` does: warnings are errors.

Everything else is the paper preset: ResNet-50 at 224 px, 300 proposals at a short side of 224, K = 65536,
m = 0.999, T = 0.2, the MLP head, 60-frame chunks with pairs at least 40 frames apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .. import runner
from ..config import Config
from ..errors import ReproError
from ..paths import REPO_ROOT
from ..runtime import environment
from . import costs
from .datasets import write_all

#: What the rehearsal cuts from the paper preset: items and steps only (and the batch, for CPU memory).
CUTS = {
    "num_chunks": 1,  # chapters 01-02: one 60-frame chunk of the 240-frame video (paper: every chunk)
    "track_workers": 2,  # chapter 02: this machine's cores (paper preset: 8)
    "train_steps": 2,  # chapter 03: steps per mode (paper: 200 epochs)
    "batch_size": 4,  # chapter 03: fits CPU memory at ResNet-50, 224 px (paper: 256)
    "checkpoint_every": 2,  # chapter 03: one checkpoint, at the end
    "seg_epochs": 1,  # chapter 05: decoder epochs (paper preset: 30)
}
BOOK_FILES = ("_config.yml", "_toc.yml", "book", "LICENSE")
COSTS_INCLUDE = "paper_costs.inc"  # under book/, included by book/how_to_run.md


@dataclass
class Rehearsal:
    """What one rehearsal did: the executed chapters, the built book, seconds per stage, unit costs."""

    work: Path
    executed: list[Path] = field(default_factory=list)
    html: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    units: dict[str, float] = field(default_factory=dict)
    costs_md: Path | None = None


@contextlib.contextmanager
def _in(work: Path) -> Iterator[None]:
    """Run from ``work`` with its cache in ``work/cache``; restore both afterwards."""
    cwd = Path.cwd()
    os.chdir(work)
    try:
        with environment("REPRO_CACHE", str(work / "cache")):
            yield
    finally:
        os.chdir(cwd)


@contextlib.contextmanager
def _stage(report: Rehearsal, name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    print(f"rehearse: {name} ...", file=sys.stderr, flush=True)
    yield
    report.seconds[name] = time.perf_counter() - t0
    print(f"rehearse: {name} done in {report.seconds[name]:.1f} s", file=sys.stderr, flush=True)


def build_book(work: Path, executed: list[Path], costs_md: Path | None = None) -> Path:
    """The book of ``executed`` chapters: the book's sources copied to ``work/book``, each executed notebook
    in place of the stored one and the rehearsal's own cost table (``costs_md``) in place of the committed
    one, built as ``make book`` builds it. Returns the HTML folder."""
    src = work / "book"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in BOOK_FILES:
        path = REPO_ROOT / name
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, src / name)
    (src / "notebooks").mkdir()
    for nb in runner.available():
        shutil.copy2(nb.source, src / "notebooks" / nb.source.name)
    for path in executed:
        shutil.copy2(path, src / "notebooks" / path.name)
    if costs_md is not None:
        shutil.copy2(costs_md, src / "book" / COSTS_INCLUDE)
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(src), "--all", "--builder", "html", "-W", "-n", "--keep-going"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=src)
    if res.returncode != 0:
        raise ReproError(
            "the rehearsal's book does not build; its output ends with:\n" + (res.stdout + res.stderr)[-4000:]
        )
    return src / "_build" / "html"


def rehearse(work: Path, notebooks: list[str] | None = None, book: bool = True, repeats: int = 3) -> Rehearsal:
    """The whole rehearsal in ``work`` (created if missing); ``notebooks`` limits the chapters run (and then
    the book is not built)."""
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    report, cfg = Rehearsal(work), Config.paper()
    with _in(work):
        with _stage(report, "datasets"):
            write_all(work, cfg)
        with _stage(report, "unit costs"):
            report.units = costs.measure(cfg, work, CUTS["batch_size"], repeats)
            report.costs_md = write_costs(report.units, cfg, work / "paper_costs.md")
        with _stage(report, "chapters"):
            report.executed = runner.run(notebooks, "paper", dict(CUTS), work / "runs" / "paper")
    if book and not notebooks:
        with _stage(report, "book"):
            report.html = build_book(work, report.executed, report.costs_md)
    (work / "rehearsal.json").write_text(
        json.dumps({"seconds": report.seconds, "units": report.units, "cuts": CUTS}, indent=2) + "\n"
    )
    return report


def write_costs(units: dict[str, float], cfg: Config, path: Path) -> Path:
    """The cost table (``costs.cost_table``) as the Markdown that ``book/how_to_run.md`` includes."""
    table = costs.cost_table(units, cfg)
    text = (
        "<!-- written by `repro rehearse --write-costs` (repro/rehearse/costs.py); do not edit by hand -->\n\n"
        + table._repr_markdown_()
        + "\n"
    )
    path.write_text(text)
    return path
