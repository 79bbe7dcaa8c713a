"""``repro tracks``: the command line of the track pipeline (``repro.tracks.pipeline``).

    repro tracks [--preset P] [-p NAME VALUE ...] [--source trackingnet|synthetic] [--workers N]
                 [--scheduler ADDRESS] [--shard-index I --num-shards N] [--limit N] [--reindex]

    dask scheduler & ; dask worker tcp://host:8786 --nthreads 1 --nworkers 32   (on each machine)
    repro tracks --preset paper --scheduler tcp://host:8786

``--reindex`` only rebuilds ``index.json`` from the chunk files present (``repro.tracks.store``), e.g. after
a multi-machine run.
"""

from __future__ import annotations

from ..config import CommandLineParser, add_parameter_option, config_from_args
from ..errors import ConfigError
from .pipeline import run_tracks
from .store import track_params, tracks_dir, write_index


def add_arguments(parser: CommandLineParser) -> None:
    parser.add_argument("--preset", default="smoke", help="config preset (smoke or paper)")
    add_parameter_option(parser, ("trackingnet_root", "/data/TrackingNet"))
    parser.add_argument(
        "--source",
        default="trackingnet",
        choices=("trackingnet", "synthetic"),
        help="the config's videos (default) or the synthetic sample videos",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the local Dask cluster (default: track_workers of the config; 0 = in-process)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="a Dask scheduler address (tcp://host:8786) whose workers run the tasks (default: the config's "
        "scheduler; '' = a local cluster)",
    )
    parser.add_argument("--shard-index", type=int, default=None, help="this machine's shard (0-based)")
    parser.add_argument(
        "--num-shards", type=int, default=None, help="number of shards (default: torchrun's WORLD_SIZE, else 1)"
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N videos of the shard")
    parser.add_argument("--reindex", action="store_true", help="only rebuild index.json from the files")


def main(args) -> int:
    cfg = config_from_args(args)
    if (args.shard_index is None) != (args.num_shards is None):
        raise ConfigError("give both --shard-index and --num-shards (or neither)")
    if args.reindex:
        out = tracks_dir(cfg, args.source)
        index = write_index(out, track_params(cfg, args.source))
        print(f"index of {len(index['chunks'])} chunk(s) written to {out / 'index.json'}")
        return 0
    run = run_tracks(
        cfg, args.source, args.shard_index, args.num_shards, args.workers, args.limit, scheduler=args.scheduler
    )
    print(run.summary())
    fps = run.frames_processed / run.seconds if run.seconds else 0.0
    print(f"{run.frames_processed} frame(s) in {run.seconds:.1f} s ({fps:.1f} frames/s)")
    return 0


__all__ = ["add_arguments", "main"]
