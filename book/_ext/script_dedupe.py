"""Sphinx extension: drop duplicate ``<script>`` entries from each page.

Sphinx 7.4 lists an inline script that an extension adds after the builder has started
(``app.add_js_file(None, body=...)``) twice: once under the file name ``None`` and once under ``''``, which
compare unequal. sphinx-thebe adds ``const THEBE_JS_URL = ...`` that way, so every page declared the
constant twice and a reader's console showed "SyntaxError: Identifier 'THEBE_JS_URL' has already been
declared" (found by the browser test, tests/browser). Harmless when there is no duplicate.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _dedupe(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    files = context.get("script_files")
    if not files:
        return
    seen, unique = set(), []
    for js in files:
        key = (
            str(getattr(js, "filename", js) or ""),
            getattr(js, "priority", None),
            tuple(sorted(getattr(js, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique  # the builder restores its own list after each page


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _dedupe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
