"""The environment files agree, and the README, Makefile and CI entry point keep their promises."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}   # PyPI name -> conda name where they differ


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {_name(d): d for d in deps}


def _conda() -> tuple[set[str], set[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return conda, {_name(d) for d in pip if not d.startswith("-e")}


def test_every_dependency_is_in_both_files():
    py = {CONDA_NAMES.get(n, n) for n in _pyproject()}
    conda, pip = _conda()
    named = (conda | pip) - {"python", "pip"}
    assert py - named == set(), f"in pyproject.toml but not environment.yml: {py - named}"
    assert named - py == set(), f"in environment.yml but not pyproject.toml: {named - py}"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_required_packages_and_console_script():
    deps = _pyproject()
    for name in ("torch", "torchvision", "opencv-contrib-python-headless", "matplotlib", "jupytext",
                 "papermill", "nbval", "jupyter-book", "tqdm", "scipy", "scikit-video"):
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
