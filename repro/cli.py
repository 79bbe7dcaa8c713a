"""``repro`` command line: one entry point, one sub-command per job.

    repro samples            build the sample data into the cache
    repro run [NB ...]       execute notebooks headless (papermill), in dependency order
    repro tracks             proposals -> features -> Eq. 4-5 scores -> tracks, per chunk, resumable
    repro train              Algorithm 1 / MoCo v2 / supervised training, resumable, torchrun-ready
    repro seeds              retrain with other training seeds: the spread of every comparison
    repro results A [B]      compare two runs' headline numbers within the stated tolerances
    repro config             print a preset's configuration

A ReproError (bad input: unknown parameter, missing dataset, corrupt checkpoint ...) is printed as one
clear message with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .config import CommandLineParser, Config
from .errors import ReproError

# sub-command -> module exposing add_arguments(parser) and main(args) -> int (imported lazily)
COMMANDS = {
    "samples": ("repro.samples", "build the sample data (real clips + synthetic sets) into the cache"),
    "run": ("repro.runner", "execute notebooks headless with papermill"),
    "tracks": ("repro.tracks.cli", "generate region tracks for every video chunk (Section B)"),
    "train": ("repro.train.cli", "train a model (Algorithm 1, MoCo v2 on images, supervised)"),
    "results": ("repro.results", "compare a run's results.json with another (default: results/smoke.json)"),
    "config": ("repro.cli", "print the configuration of a preset"),
    "seeds": ("repro.seeds", "retrain every mode with other training seeds: the seed-to-seed spread"),
    "rehearse": (
        "repro.rehearse.cli",
        "every chapter with the paper preset on tiny data in the real layouts, then the book",
    ),
}


def add_arguments(parser) -> None:
    parser.add_argument("--preset", default="smoke")


def main_config(args) -> int:
    for name, value in Config.preset(args.preset).flat().items():
        print(f"{name} = {value!r}")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of ``command`` is imported (torch etc. load only when needed)."""
    parser = CommandLineParser(
        prog="repro", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if name != command:
            continue
        mod = importlib.import_module(module)
        mod.add_arguments(p)
        p.set_defaults(handler=main_config if name == "config" else mod.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        return args.handler(args)
    except ReproError as exc:
        print(f"repro {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"repro {args.command}: interrupted; finished work is kept and a rerun resumes", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
