"""``python -m tools.bookcheck [--root R] [--no-build] [--screenshots DIR]``: check the built book (after
``make book``); exit 0 when every page is as a reader should see it. Without Chromium: a skip with the install
command on a user's machine, a failure on CI (``CI`` set)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from repro.errors import ReproError

from .browser import find_chromium, missing_browser_message
from .check import BookReport, run_check


def print_report(report: BookReport) -> None:
    for doc, page in report.pages.items():
        state = "ok" if not page.problems else f"{len(page.problems)} problem(s)"
        print(
            f"{doc:40s} {state:14s} figures={page.figures:<3d} formulas={page.formulas:<3d} {page.seconds:5.1f} s  "
            f"{page.screenshot or ''}"
        )
        for problem in page.problems:
            print(f"    - {problem}")
    print(
        f"bookcheck: {len(report.pages)} page(s) in Chromium {report.browser}, {report.seconds:.1f} s, "
        f"{len(report.problems)} problem(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bookcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (with _toc.yml)")
    parser.add_argument("--no-build", action="store_true", help="fail instead of building a stale book")
    parser.add_argument("--screenshots", type=Path, default=None, help="default: <root>/_build/screenshots")
    args = parser.parse_args(argv)
    exe = find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            print(
                f"bookcheck: FAILED: {missing_browser_message()} (on CI, .ci/install-chromium installs it)",
                file=sys.stderr,
            )
            return 1
        print(f"bookcheck: SKIPPED: {missing_browser_message()}")
        return 0
    try:
        report = run_check(args.root, exe, build=not args.no_build, screenshots=args.screenshots)
    except ReproError as exc:
        print(f"bookcheck: FAILED: {exc}", file=sys.stderr)
        return 1
    print_report(report)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
