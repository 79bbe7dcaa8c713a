"""``repro train``: train the models of Section B / Table 5 from the typed config.

    repro train                                   every mode of cfg.train.modes (smoke: all four)
    repro train --mode frames+tracks --preset paper
    repro train --mode images -p batch_size=64 -p train_steps=500 --out runs/images
    torchrun --nproc_per_node 8 -m repro.train.cli --mode frames+tracks --preset paper

A rerun resumes from ``<out>/checkpoint.pt`` (``--fresh`` starts over); a corrupt or mismatched
checkpoint is an error naming the fix.
"""

from __future__ import annotations

import sys

from ..config import CommandLineParser, add_parameter_option, config_from_args
from ..errors import ConfigError, ReproError
from .data import MODES
from .loop import train


def add_arguments(parser: CommandLineParser) -> None:
    parser.add_argument("--preset", default="smoke", help="config preset (smoke or paper)")
    add_parameter_option(parser, ("train_steps", "500"))
    parser.add_argument(
        "--mode",
        action="append",
        default=None,
        choices=MODES,
        help="training mode (repeatable); default: the config's modes",
    )
    parser.add_argument("--out", default=None, help="output folder (one mode only; default <cache>/checkpoints/<mode>)")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    parser.add_argument("--stop-after", type=int, default=None, help="run at most N steps, then checkpoint")
    parser.add_argument("--no-tensorboard", action="store_true", help="only the CSV log")


def main(args) -> int:
    cfg = config_from_args(args)
    modes = tuple(args.mode or cfg.train.modes)
    if args.out and len(modes) > 1:
        raise ConfigError("--out names one run's folder; give a single --mode with it")
    for mode in modes:
        r = train(
            cfg, mode, args.out, resume=not args.fresh, tensorboard=not args.no_tensorboard, stop_after=args.stop_after
        )
        if r.steps_run == 0 and r.start_step >= r.total_steps:
            print(f"{mode}: already trained ({r.total_steps} steps) -> {r.checkpoint}")
            continue
        last = ", ".join(f"{k} {v:.4g}" for k, v in r.last.items() if k in ("loss", "acc", "lr"))
        print(
            f"{mode}: steps {r.start_step}->{r.start_step + r.steps_run} of {r.total_steps} in "
            f"{r.seconds:.1f} s ({last}) -> {r.checkpoint}"
        )
    return 0


if __name__ == "__main__":  # torchrun -m repro.train.cli ...
    p = CommandLineParser(prog="repro train", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    try:
        sys.exit(main(p.parse_args()))
    except ReproError as exc:
        print(f"repro train: error: {exc}", file=sys.stderr)
        sys.exit(2)
