"""The lock, pyproject.toml, environment.yml and the installed environment agree, and the README, Makefile
and CI entry point keep their promises."""

import re
from pathlib import Path

import pytest
import tomllib
import yaml

from repro import lockfile

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {_name(d): d for d in deps}


def test_lock_pins_every_package_exactly_and_satisfies_pyproject():
    pins = lockfile.read_lock()  # raises on any line that is not name==version
    assert {"torch", "opencv-contrib-python-headless", "numpy", "pip", "setuptools"} <= pins.keys()
    problems = lockfile.unmet_ranges(pins, lockfile.project_requirements())
    assert not problems, "\n".join(problems) + f"\nregenerate the lock: {lockfile.FIX_LOCK}"


def test_installed_environment_equals_the_lock():
    problems = lockfile.differences(lockfile.read_lock(), lockfile.installed())
    assert not problems, (
        "the installed environment differs from requirements.lock:\n  "
        + "\n  ".join(problems)
        + f"\nfix: {lockfile.FIX_INSTALLED}"
    )


def test_a_changed_pin_is_reported_with_the_fix(tmp_path):
    pins = lockfile.read_lock()
    changed = dict(pins, numpy="0.0.1")
    lock = tmp_path / "requirements.lock"
    lock.write_text("".join(f"{n}=={v}\n    # via x\n" for n, v in changed.items()))
    problems = lockfile.differences(lockfile.read_lock(lock), lockfile.installed())
    assert problems == [f"numpy: locked 0.0.1, installed {pins['numpy']}"]
    assert lockfile.unmet_ranges(changed, lockfile.project_requirements()) == [
        "numpy==0.0.1 in the lock is outside pyproject.toml's numpy>=1.24"
    ]
    fewer = {n: v for n, v in pins.items() if n != "six"}
    assert lockfile.differences(fewer, pins) == [f"six: installed {pins['six']}, not in the lock"]
    assert lockfile.differences(pins, fewer) == [f"six: locked {pins['six']}, not installed"]


def test_a_malformed_lock_line_names_the_fix(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy>=1.24\n")
    with pytest.raises(ValueError, match="not an exact pin.*make lock"):
        lockfile.read_lock(lock)


def test_environment_yml_carries_the_lock():
    assert lockfile.environment_pins() == lockfile.read_lock(), (
        "environment.yml drifted from requirements.lock: python -m repro.lockfile environment.yml"
    )
    assert (ROOT / "environment.yml").read_text() == lockfile.environment_yml(lockfile.read_lock())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip[-1] == "-e ."


def test_make_setup_installs_exactly_the_lock():
    make = (ROOT / "Makefile").read_text()
    setup = make[make.index("$(STAMP):") : make.index("setup: $(STAMP)")]
    assert "pip install --no-deps -r requirements.lock" in setup
    assert "pip-sync" in setup and "--no-deps --no-build-isolation -e ." in setup
    assert re.search(r"^lock: ", make, re.M) and "pip-compile" in make and "make notebooks" in make


def test_required_packages_and_console_script():
    deps = _pyproject()
    for name in (
        "torch",
        "torchvision",
        "opencv-contrib-python-headless",
        "matplotlib",
        "jupytext",
        "papermill",
        "nbval",
        "jupyter-book",
        "tqdm",
        "scipy",
        "scikit-video",
    ):
        assert name in deps
    assert "<2" in deps["jupyter-book"] and "opencv-python" not in deps
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["repro"] == "repro.cli:main"


def test_readme_commands_and_ci_entry_point():
    readme = (ROOT / "README.md").read_text()
    assert "make all" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    assert commands[-1].strip() == "make test"
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: setup", make, re.M) and "--nbval" in make and "-m venv" in make
    assert "-m fresh_run" in make and "--fresh-results" in make  # the tolerance test runs after nbval


def test_repository_is_citable():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["license"] == "MIT"
    paper = cff["references"][0]
    assert paper["title"].startswith("Demystifying Contrastive Self-Supervised Learning")
    assert [a["family-names"] for a in paper["authors"]] == ["Purushwalkam", "Gupta"] and paper["year"] == 2020
    assert (ROOT / "LICENSE").read_text().startswith("MIT License") and "CC BY 4.0" in (ROOT / "LICENSE").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "## How to cite" in readme and "purushwalkam2020demystifying" in readme
