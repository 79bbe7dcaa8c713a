"""The locked environment: ``requirements.lock`` (pip-compile's output, every package pinned with ``==``)
against ``pyproject.toml``'s ranges, ``environment.yml``'s pins and what is installed.

``make lock`` regenerates the lock with pip-compile and then runs ``python -m repro.lockfile
environment.yml`` to write the same pins into the conda file; ``tests/test_environment.py`` checks all
three agree with each other and with the installed environment. The lock is resolved on the machine
kind the project runs on (CPython 3.11, Linux x86_64, pip's configured indexes); its hash goes into every
run's ``results.json`` so that two runs say whether they used the same environment.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .io import atomic_path, file_sha256
from .paths import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"
PYPROJECT = REPO_ROOT / "pyproject.toml"
ENVIRONMENT = REPO_ROOT / "environment.yml"
PROJECT = "repro"  # installed editable on top of the lock, not part of it
FIX_INSTALLED = "make setup (or: .venv/bin/python -m pip install --no-deps -r requirements.lock)"
FIX_LOCK = "make lock, then make notebooks, and commit the lock with the refreshed outputs"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#.*)?$")


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line; anything else is an error."""
    pins: dict[str, str] = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _PIN.match(line)
        if not m:
            raise ValueError(f"{path}:{n}: not an exact pin (name==version): {line!r}; regenerate with {FIX_LOCK}")
        name = canonicalize_name(m[1])
        if name in pins:
            raise ValueError(f"{path}:{n}: {name} is pinned twice")
        pins[name] = m[2]
    return pins


def lock_sha256(path: Path = LOCK) -> str:
    return file_sha256(path)


def project_requirements(path: Path = PYPROJECT) -> list[Requirement]:
    return [Requirement(r) for r in tomllib.loads(Path(path).read_text())["project"]["dependencies"]]


def unmet_ranges(pins: dict[str, str], requirements: list[Requirement]) -> list[str]:
    """Each requirement of ``pyproject.toml`` the lock leaves out or pins outside its range."""
    problems = []
    for req in requirements:
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is required by pyproject.toml ({req}) but not in the lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} in the lock is outside pyproject.toml's {req}")
    return problems


def installed() -> dict[str, str]:
    """``{canonical name: version}`` of every distribution importable by this interpreter, the project
    itself left out."""
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    found.pop(PROJECT, None)
    return found


def differences(pins: dict[str, str], env: dict[str, str]) -> list[str]:
    """Package by package: missing, extra and different versions of ``env`` against ``pins``."""
    out = [f"{n}: locked {v}, not installed" for n, v in sorted(pins.items()) if n not in env]
    out += [f"{n}: installed {v}, not in the lock" for n, v in sorted(env.items()) if n not in pins]
    out += [f"{n}: locked {pins[n]}, installed {env[n]}" for n in sorted(pins.keys() & env.keys()) if pins[n] != env[n]]
    return out


def environment_yml(pins: dict[str, str], python: str = "3.11") -> str:
    """The conda file with the lock's pins: conda provides Python and pip only, pip installs the exact
    lock (mixing conda and pip builds of torch, numpy and friends would be another environment)."""
    lines = [
        "# Conda equivalent of requirements.lock, written by `make lock` (python -m repro.lockfile",
        "# environment.yml): the same exact pins, installed by pip inside a conda Python. Do not edit by",
        "# hand; tests/test_environment.py fails when it drifts from the lock.",
        "#   conda env create -f environment.yml && conda activate repro",
        "name: repro",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in sorted(pins.items())]
    lines += ["      - -e ."]
    return "\n".join(lines) + "\n"


def environment_pins(path: Path = ENVIRONMENT) -> dict[str, str]:
    """The pip pins of ``environment.yml``."""
    import yaml  # here: only this reader needs it

    deps = yaml.safe_load(Path(path).read_text())["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    return {canonicalize_name(p.split("==")[0]): p.split("==")[1] for p in pip if "==" in p}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else ENVIRONMENT
    with atomic_path(target) as tmp:
        tmp.write_text(environment_yml(read_lock()))
    print(f"wrote {target} from {LOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
