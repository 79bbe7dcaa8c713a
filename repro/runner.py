"""Headless notebook execution: jupytext source -> papermill -> executed copy in an output folder.

* The ``.py`` (py:percent) file of each pair is read in memory with jupytext; papermill gets the notebook
  object with the kernel and language named explicitly (paired notebooks need not carry a kernelspec).
* Parameters are validated here, because papermill only warns on unknown names: a name must appear in the
  notebook's ``parameters`` cell, and its value must have the type the config declares for it. A preset
  injects every parameter of the notebook with that preset's value, so a paper run never keeps a smoke
  literal.
* Executed copies go to ``--output-dir`` (default ``runs/<preset>``), never over the paired ``.ipynb``
  (the injected cell would sync into the ``.py``). ``refresh`` is the exception by design: it executes
  with no injected cell (the smoke defaults of the cell itself) and stores the outputs in the pair.
* Notebooks run in dependency order (``CONSUMES``/``PRODUCES``), whatever order they were named in.
* Kernels run in the folder the runner was started from, so a relative path in a parameter (the paper
  preset's ``data/TrackingNet``, ...) means the same as for ``repro train`` and ``repro tracks`` started
  there, and the runner's check of every ``*_root`` looks where the chapter will read.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .config import (
    OVERRIDES_ENV,
    PRESETS,
    CommandLineParser,
    Config,
    add_parameter_option,
    coerce,
    describe_parameters,
    leaf_types,
)
from .data.layouts import check_roots
from .errors import ConfigError, ReproError
from .paths import REPO_ROOT
from .results import RESULTS_ENV, write_results
from .runtime import environment

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
KERNEL = "python3"

# Which cache artifacts (kinds of repro.paths.MADE_BY) each notebook makes and needs.
PRODUCES = {"00_sample_data": {"samples"}, "02_generating_tracks": {"tracks"}, "03_training": {"checkpoints"}}
CONSUMES = {
    "01_dataset_creation": {"samples"},
    "02_generating_tracks": {"samples"},
    "03_training": {"samples", "tracks"},
    "04_invariance": {"samples", "checkpoints"},
    "05_part_segmentation": {"samples", "checkpoints"},
}


class NotebookFailed(ReproError):
    """A cell raised; the partial executed copy was kept."""


@dataclass(frozen=True)
class Notebook:
    name: str  # e.g. "03_training"
    source: Path  # the canonical py:percent file

    @property
    def ipynb(self) -> Path:
        return self.source.with_suffix(".ipynb")


def available(notebook_dir: Path | None = None) -> list[Notebook]:
    return [Notebook(p.stem, p) for p in sorted((notebook_dir or NOTEBOOK_DIR).glob("[0-9][0-9]_*.py"))]


def resolve(names: list[str] | None, notebook_dir: Path | None = None) -> list[Notebook]:
    """Notebooks by name (``03_training``, ``03``, ``training`` or a path), in dependency order."""
    nbs = available(notebook_dir)
    if not names:
        return dependency_order(nbs)
    chosen = []
    for name in names:
        key = Path(name).stem
        hits = [nb for nb in nbs if key in (nb.name, nb.name[:2], nb.name[3:])]
        if len(hits) != 1:
            raise ConfigError(f"unknown notebook {name!r}; available: " + ", ".join(nb.name for nb in nbs))
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return dependency_order(chosen)


def dependency_order(nbs: list[Notebook]) -> list[Notebook]:
    """Producers before consumers; otherwise by number. Raises on a cycle."""
    remaining, ordered = sorted(nbs, key=lambda nb: nb.name), []
    while remaining:
        ready = [
            nb
            for nb in remaining
            if not any(CONSUMES.get(nb.name, set()) & PRODUCES.get(o.name, set()) for o in remaining if o is not nb)
        ]
        if not ready:
            raise ReproError("notebook dependencies form a cycle: " + ", ".join(n.name for n in remaining))
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered


def read(nb: Notebook):
    import jupytext  # jupytext and papermill are imported where used, not by every `repro` command

    return jupytext.read(nb.source)


def parameters_cell(notebook) -> dict[str, Any]:
    """Names and literal values of the single cell tagged ``parameters``."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReproError(f"a notebook needs exactly one cell tagged 'parameters', found {len(cells)}")
    out = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ReproError("the parameters cell may only hold `name = literal` lines, found: " + ast.unparse(node))
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ReproError(
                "the parameters cell may only hold literals (papermill replaces them), found: " + ast.unparse(node)
            ) from None
    return out


def build_parameters(nb: Notebook, preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The full parameter set to inject: the preset's value of every parameter of the notebook, then
    ``overrides`` (validated by name against the notebook and by type against the config)."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    names = parameters_cell(read(nb))
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ConfigError(
            f"{nb.name} has no parameter {', '.join(map(repr, unknown))}.\n"
            + describe_parameters([n for n in names if n != "preset"]).replace(
                "valid parameters", f"valid parameters of {nb.name}"
            )
            + "\n  preset: str (one of "
            + ", ".join(PRESETS)
            + ")"
        )
    values = Config.preset(preset).flat()
    types = leaf_types()
    params: dict[str, Any] = {}
    for name in names:
        if name == "preset":
            params[name] = preset
        elif name in types:
            params[name] = coerce(name, overrides.get(name, values[name]))
        else:
            raise ReproError(f"{nb.name}: parameter {name!r} is not a config field")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def execute(nb: Notebook, output: Path, parameters: dict[str, Any] | None, progress: bool = False):
    """Runs one notebook with papermill; a failing cell raises NotebookFailed naming it."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        return papermill.execute_notebook(
            read(nb),
            str(output),
            parameters=parameters or None,
            kernel_name=KERNEL,
            language="python",
            progress_bar=progress,
            log_output=False,
            cwd=os.getcwd(),
        )
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{nb.name} failed in cell {exc.cell_index} (execution count {exc.exec_count}): "
            f"{exc.ename}: {exc.evalue}\n  the partial executed copy is {output}\n"
            f"  failing cell:\n" + "\n".join("    " + ln for ln in exc.source.splitlines()[:12])
        ) from None


def run(
    names: list[str] | None = None,
    preset: str = "smoke",
    overrides: dict[str, Any] | None = None,
    output_dir: str | Path | None = None,
) -> list[Path]:
    """Executes notebooks in dependency order; returns the executed copies' paths."""
    nbs = resolve(names)
    overrides = overrides or {}
    _check_overrides_used(nbs, overrides)
    plans = [
        (nb, build_parameters(nb, preset, {k: v for k, v in overrides.items() if k in parameters_cell(read(nb))}))
        for nb in nbs
    ]
    for _, params in plans:  # a missing dataset stops here, before any kernel starts
        check_roots(params)
    out_dir = Path(output_dir) if output_dir else REPO_ROOT / "runs" / preset
    parts = out_dir / "results.d"
    with _recording_into(parts, [nb for nb, _ in plans]), environment(OVERRIDES_ENV, json.dumps(overrides)):
        executed = [
            _timed(nb, out_dir / f"{nb.name}.ipynb", params, i, len(plans)) for i, (nb, params) in enumerate(plans)
        ]
    write_results(out_dir / "results.json", preset, parts)
    print(f"results: {out_dir / 'results.json'}", file=sys.stderr, flush=True)
    return executed


@contextlib.contextmanager
def _recording_into(parts: Path, nbs: list[Notebook]) -> Iterator[None]:
    """Points the kernels' ``repro.results.record`` at ``parts`` (a kernel inherits the environment) and
    removes the parts of the notebooks about to run, so a failed chapter leaves no stale numbers; parts of
    chapters not rerun stay and are gathered too. Absolute, since a kernel may run in another folder."""
    parts = parts.resolve()
    parts.mkdir(parents=True, exist_ok=True)
    for nb in nbs:
        (parts / f"{nb.name}.json").unlink(missing_ok=True)
    with environment(RESULTS_ENV, str(parts)):
        yield


def _check_overrides_used(nbs: list[Notebook], overrides: dict[str, Any]) -> None:
    """An override must be a config field, of the right type; either error lists the valid parameters. It
    applies to the whole run: to the notebooks whose parameters cell lists it (injected there) and to the
    config of every other one (``repro.config.run_overrides``), so that chapters agree on shared data."""
    known = set(leaf_types())
    listing = describe_parameters(sorted(known))
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(
            f"no notebook among {', '.join(nb.name for nb in nbs)} has parameter(s) {', '.join(unknown)}.\n" + listing
        )
    for name, value in overrides.items():
        try:
            coerce(name, value)
        except ConfigError as exc:
            raise ConfigError(f"{exc}\n{listing}") from None


def _timed(nb: Notebook, output: Path, params: dict | None, i: int, n: int) -> Path:
    t0 = time.perf_counter()
    print(f"[{i + 1}/{n}] {nb.name} -> {output}", file=sys.stderr, flush=True)
    execute(nb, output, params, progress=sys.stderr.isatty())
    print(f"[{i + 1}/{n}] {nb.name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return output


def refresh(names: list[str] | None = None, work_dir: str | Path | None = None) -> list[Path]:
    """Re-executes notebooks with their own (smoke) parameters cell and stores the outputs in the paired
    ``.ipynb``, so the committed notebooks hold the outputs that nbval compares against."""
    import jupytext
    import nbformat

    work = Path(work_dir) if work_dir else REPO_ROOT / "runs" / "refresh"
    written = []
    nbs = resolve(names)
    for i, nb in enumerate(nbs):
        with _recording_into(work / "results.d", [nb]):
            executed = _timed(nb, work / f"{nb.name}.ipynb", None, i, len(nbs))
        out = nbformat.read(executed, as_version=4)
        paired = read(nb)
        if [c.source for c in out.cells] != [c.source for c in paired.cells]:
            raise ReproError(f"{nb.name}: executed cells differ from the source; not refreshing the pair")
        for cell, done in zip(paired.cells, out.cells):
            if cell.cell_type == "code":
                cell.outputs = done.outputs
                cell.execution_count = done.execution_count
        paired.metadata.setdefault(
            "kernelspec", {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
        )
        jupytext.write(paired, nb.ipynb, fmt="ipynb")
        written.append(nb.ipynb)
    write_results(work / "results.json", "smoke", work / "results.d")
    return written


def add_arguments(parser: CommandLineParser) -> None:
    parser.add_argument(
        "notebooks",
        nargs="*",
        help="notebook names (e.g. 03_training, 03 or training); default: all, in dependency order",
    )
    parser.add_argument("--preset", default="smoke", choices=PRESETS)
    add_parameter_option(parser)  # validated against the notebooks and the config
    parser.add_argument("--output-dir", default=None, help="where executed copies go (default runs/<preset>)")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="store the smoke-preset outputs in the paired .ipynb (what `make notebooks` does)",
    )


def main(args) -> int:
    if args.refresh:
        if args.param or args.preset != "smoke":
            raise ConfigError("--refresh stores the default (smoke) outputs; it takes no -p or --preset")
        for path in refresh(args.notebooks or None):
            print(f"refreshed {path}")
        return 0
    overrides = dict(args.param)
    for path in run(args.notebooks or None, args.preset, overrides, args.output_dir):
        print(f"executed {path}")
    return 0
