"""``repro rehearse``: every chapter at the paper's settings on tiny data in the real layouts (issue 12).

repro rehearse                          the whole rehearsal in a temporary folder (removed afterwards)
repro rehearse --work /tmp/r --keep     in /tmp/r, kept (executed chapters, book, cache, timings)
repro rehearse --write-costs            also writes the cost table into book/paper_costs.inc
repro rehearse 01 02 --no-book          only these chapters (with their producers' outputs missing, a
                                        chapter fails and names the notebook to run first)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from ..config import CommandLineParser
from ..paths import REPO_ROOT
from .run import COSTS_INCLUDE, rehearse

COSTS_FILE = REPO_ROOT / "book" / COSTS_INCLUDE


def add_arguments(parser: CommandLineParser) -> None:
    parser.add_argument("notebooks", nargs="*", help="chapters to run (default: all, then the book)")
    parser.add_argument("--work", type=Path, default=None, help="folder to rehearse in (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the folder (always kept with --work)")
    parser.add_argument("--no-book", action="store_true", help="do not build the book")
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions of each unit of work")
    parser.add_argument("--write-costs", action="store_true", help=f"write the cost table to {COSTS_FILE}")


def main(args) -> int:
    work = args.work or Path(tempfile.mkdtemp(prefix="repro-rehearsal-"))
    try:
        report = rehearse(work, args.notebooks or None, book=not args.no_book, repeats=args.repeats)
        if args.write_costs:
            shutil.copyfile(report.costs_md, COSTS_FILE)
            print(f"rehearse: cost table written to {COSTS_FILE}", file=sys.stderr)
        total = sum(report.seconds.values())
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items())
        print(f"rehearse: passed in {total:.0f} s ({stages}); chapters in {work / 'runs' / 'paper'}")
        if report.html:
            print(f"rehearse: book in {report.html}")
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0
