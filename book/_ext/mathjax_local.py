"""Sphinx extension: serve MathJax 3 from the build itself, so the book's formulas render offline.

Jupyter Book 1 (through ``sphinx.ext.mathjax``) loads MathJax from ``cdn.jsdelivr.net``; without the network
every formula stays raw ``\\( ... \\)`` text. The ``django-static-mathjax`` wheel (in ``requirements.lock``,
importable as ``mathjax``; no Django needed) bundles MathJax's ``es5`` distribution. Its tree is copied to
``_build/html/_static/mathjax/`` and ``mathjax_path`` points there (Sphinx reads a relative ``mathjax_path``
as relative to ``_static``), so every page loads MathJax, its fonts and its extensions from the book.
The browser test (``tests/browser``) checks that no raw TeX is left in any page.
Config: ``mathjax_local_component`` (the combined component to load, default ``tex-mml-chtml.js``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

TARGET = "mathjax"  # under _static


def es5_dir() -> Path:
    """The ``es5`` tree of MathJax 3 bundled by ``django-static-mathjax``."""
    try:
        import mathjax
    except ImportError:
        mathjax = None
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" if mathjax else None
    if es5 is None or not es5.is_dir():
        raise ExtensionError(
            "MathJax for the offline book is missing: the `django-static-mathjax` package "
            "(requirements.lock) is not installed in this environment; run `make setup`."
        )
    return es5


def _set_path(app: Sphinx, config: Config) -> None:
    component = es5_dir() / config.mathjax_local_component
    if not component.is_file():
        raise ExtensionError(f"mathjax_local_component: {component} does not exist (see {component.parent}).")
    config.mathjax_path = f"{TARGET}/{config.mathjax_local_component}"


def _copy(app: Sphinx) -> None:
    # Before the pages are written, so that Sphinx can stamp the script's URL with the file's checksum.
    if app.builder.format == "html":
        shutil.copytree(es5_dir(), Path(app.outdir) / "_static" / TARGET, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    app.add_config_value("mathjax_local_component", "tex-mml-chtml.js", "html")
    app.connect("config-inited", _set_path)
    app.connect("builder-inited", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
