"""How good are the tracks? Precision and recall against synthetic videos with known object boxes.

The supplement gives no evaluation of its tracks; this measure is ours. On the synthetic videos of
``repro.samples`` (``objects/<seq>.npz``: ``boxes`` T x M x 4 as x, y, w, h and ``visible`` T x M) a track
(box_i in frame i, box_j in frame j) is *correct* when some object m is visible in both frames and
IoU(box_i, object m in frame i) >= 0.5 and IoU(box_j, object m in frame j) >= 0.5 (the same object at both
ends). For a set of frame pairs:

    precision = correct tracks / tracks
    recall    = (pair, object) instances covered by at least one correct track
                / (pair, object) instances with the object visible in both frames
    proposal recall (upper bound) = the recall of "every region pair": the instances for which selective
                search found a box with IoU >= 0.5 on the object in both frames.

The baseline draws, for every pair, as many region pairs uniformly at random (without replacement) as the
tracker kept, so its precision is the chance level of the proposals themselves.

**The tracks the model trains on** (``stored_quality``): the same test applied to the stored track files of
every chunk whose video has ground truth (the world's videos; the real clips have none), with one more
number, the probability that a patch pair drawn as the ``frames+tracks`` loader draws one (a frame pair
uniformly among the chunk's pairs with tracks, then one of its tracks uniformly; ``repro.train.data``) is
correct: the share of the patch half of Algorithm 1's loss that pairs an object with itself. Its baseline is a
uniformly random proposal pair of the same two frames (exact, over every pair of proposals). Values are per
video (mean over its chunks); the interval of the difference is the paired bootstrap over videos.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..config import Config
from ..data import Chunk, SkipLog, TrackingNet, list_chunks, open_videos
from ..errors import MissingArtifactError
from ..report import Table
from ..runtime import resolve_device
from ..stats import paired_bootstrap
from .extract import extract_tracks
from .features import load_layer3
from .pipeline import chunk_pair_scores, iter_task_regions
from .store import chunk_file, frame_proposals, load_tracks, tracks_dir

IOU_THRESHOLD = 0.5


def xywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    b = np.asarray(b, np.float64)
    return np.concatenate([b[..., :2], b[..., :2] + b[..., 2:]], axis=-1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (N x 4) with every box of ``b`` (M x 4), both x1, y1, x2, y2: N x M."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])  # N x M x 2
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])  # N x M x 2
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)  # N x M
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def objects_file(dataset: TrackingNet, split: str, seq: str) -> Path:
    """Where a sample video's ground truth lives (``repro.samples``); real videos have none."""
    return Path(dataset.root) / split / "objects" / f"{seq}.npz"


def load_objects(dataset: TrackingNet, split: str, seq: str) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth of a sample video: boxes T x M x 4 (x1, y1, x2, y2) and visible T x M."""
    z = np.load(objects_file(dataset, split, seq))
    return xywh_to_xyxy(z["boxes"]), z["visible"].astype(bool)


def rank_one_share(log_scores: np.ndarray) -> float:
    """sigma_1^2 / sum_k sigma_k^2 of S = exp(log_scores) (scaled by its maximum): the share of S in its best
    rank-1 approximation. 1 means S(r, r') = a_r b_r', a score of each region times a score of the other,
    so the ranking of region pairs no longer depends on which regions match each other."""
    L = np.asarray(log_scores, np.float64)
    if not np.isfinite(L).any():
        return float("nan")
    sv = np.linalg.svd(np.exp(L - L[np.isfinite(L)].max()), compute_uv=False)
    return float(sv[0] ** 2 / (sv**2).sum())


@dataclass
class PairTruth:
    """For one frame pair: which object (or -1) each region of frame i / frame j covers with IoU >= 0.5,
    as a boolean matrix regions x objects, and which objects are visible in both frames."""

    hit_i: np.ndarray  # R_i x M
    hit_j: np.ndarray  # R_j x M
    both_visible: np.ndarray  # M

    def correct(self, r: np.ndarray, r2: np.ndarray) -> np.ndarray:
        """N x M: track n is a correct track of object m."""
        return self.hit_i[r] & self.hit_j[r2] & self.both_visible[None, :]

    def covered(self, r: np.ndarray, r2: np.ndarray) -> np.ndarray:
        """M: objects (visible in both frames) with at least one correct track among (r, r2)."""
        return self.correct(r, r2).any(axis=0) if len(r) else np.zeros_like(self.both_visible)


def pair_truth(
    boxes_i: np.ndarray,
    boxes_j: np.ndarray,
    gt_i: np.ndarray,
    gt_j: np.ndarray,
    vis_i: np.ndarray,
    vis_j: np.ndarray,
    iou: float = IOU_THRESHOLD,
) -> PairTruth:
    return PairTruth(box_iou(boxes_i, gt_i) >= iou, box_iou(boxes_j, gt_j) >= iou, vis_i & vis_j)


@dataclass
class Quality:
    """Precision/recall per quantile for the tracker and the random baseline (module docstring)."""

    quantiles: list[float]
    tracks: list[int] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    random_precision: list[float] = field(default_factory=list)
    random_recall: list[float] = field(default_factory=list)
    proposal_recall: float = 0.0
    pairs: int = 0
    instances: int = 0

    def rows(self, digits: int = 3) -> list[dict]:
        return [
            dict(
                quantile=q,
                tracks=n,
                precision=round(p, digits),
                recall=round(r, digits),
                random_precision=round(rp, digits),
                random_recall=round(rr, digits),
            )
            for q, n, p, r, rp, rr in zip(
                self.quantiles, self.tracks, self.precision, self.recall, self.random_precision, self.random_recall
            )
        ]

    def table(self, caption: str = "", digits: int = 3):
        """A ``repro.report.Table`` (HTML in the book, Markdown in notebooks, plain text for nbval)."""
        return Table(
            ["quantile", "tracks", "precision", "recall", "random precision", "random recall"],
            [
                [r["quantile"], r["tracks"], r["precision"], r["recall"], r["random_precision"], r["random_recall"]]
                for r in self.rows(digits)
            ],
            caption=caption,
            digits=digits,
        )

    def markdown(self, digits: int = 3) -> str:
        return self.table(digits=digits)._repr_markdown_()


def evaluate_pairs(
    scored: Iterable[tuple[PairTruth, np.ndarray]], quantiles: Sequence[float], one_to_one: bool = True, seed: int = 0
) -> Quality:
    """Quality of the tracks extracted at each quantile from (truth, log S) of many frame pairs."""
    rng = np.random.default_rng(seed)
    q = Quality(list(map(float, quantiles)))
    totals = defaultdict(lambda: np.zeros(len(quantiles)))
    for truth, logS in scored:
        n_inst = int(truth.both_visible.sum())
        q.pairs += 1
        q.instances += n_inst
        any_i, any_j = truth.hit_i.any(axis=0), truth.hit_j.any(axis=0)
        totals["proposal_cover"][0] += int((any_i & any_j & truth.both_visible).sum())
        Ri, Rj = logS.shape
        for n, quant in enumerate(quantiles):
            r, r2, _ = extract_tracks(logS, quantile=quant, one_to_one=one_to_one)
            totals["tracks"][n] += len(r)
            totals["correct"][n] += int(truth.correct(r, r2).any(axis=1).sum())
            totals["covered"][n] += int(truth.covered(r, r2).sum())
            # baseline: the same number of uniformly random region pairs
            flat = rng.choice(Ri * Rj, size=min(len(r), Ri * Rj), replace=False) if len(r) else np.zeros(0, int)
            b, b2 = flat // max(Rj, 1), flat % max(Rj, 1)
            totals["rand_correct"][n] += int(truth.correct(b, b2).any(axis=1).sum())
            totals["rand_covered"][n] += int(truth.covered(b, b2).sum())
    div = lambda a, b: float(a / b) if b else 0.0  # noqa: E731
    for n in range(len(quantiles)):
        t = totals["tracks"][n]
        q.tracks.append(int(t))
        q.precision.append(div(totals["correct"][n], t))
        q.recall.append(div(totals["covered"][n], q.instances))
        q.random_precision.append(div(totals["rand_correct"][n], t))
        q.random_recall.append(div(totals["rand_covered"][n], q.instances))
    q.proposal_recall = div(totals["proposal_cover"][0], q.instances)
    return q


@dataclass
class VideoRegions:
    """Proposals and features of the frames of a synthetic video's chunks, with its ground truth."""

    video: tuple[str, str]
    chunks: list[Chunk]
    boxes: dict[int, np.ndarray]
    feats: dict
    gt: np.ndarray  # T x M x 4 (x1, y1, x2, y2)
    visible: np.ndarray  # T x M


def synthetic_regions(
    cfg: Config,
    chunks_per_video: int = 1,
    max_videos: int = 0,
    workers: int | None = None,
    dataset: TrackingNet | None = None,
) -> list[VideoRegions]:
    """Proposals and layer-3 features for the first ``chunks_per_video`` chunks (0 = all) of the first
    ``max_videos`` (0 = all) synthetic videos (``open_videos(cfg, "synthetic")``)."""
    dataset = open_videos(cfg, "synthetic") if dataset is None else dataset
    chunks = list_chunks(cfg, dataset)
    if chunks_per_video:
        chunks = [c for c in chunks if c.chunk_index < chunks_per_video]
    by_video: dict[tuple[str, str], list[Chunk]] = defaultdict(list)
    for c in chunks:
        by_video[(c.split, c.seq)].append(c)
    if max_videos:
        by_video = dict(list(by_video.items())[:max_videos])
    device = resolve_device(cfg.run.device)
    layer3 = load_layer3(cfg.tracks.track_checkpoint, cfg.tracks.track_arch, cfg.run.seed, device)
    workers = cfg.run.num_workers if workers is None else workers
    out = []
    for v, boxes, feats in iter_task_regions(dataset, by_video, cfg, layer3, device, workers, SkipLog()):
        gt, vis = load_objects(dataset, *v)
        out.append(VideoRegions(v, by_video[v], boxes, feats, gt, vis))
    return out


def evaluate_regions(
    regions: Sequence[VideoRegions],
    cfg: Config,
    quantiles: Sequence[float] = (0.5, 0.8, 0.9, 0.95, 0.99),
    center: bool | None = None,
) -> Quality:
    """Precision/recall of the tracks of every frame pair of ``regions`` (``cfg.video.pair_mode`` pairs,
    ``cfg.tracks.one_to_one``), for each quantile threshold; ``center`` overrides
    ``cfg.tracks.center_features``."""
    center = cfg.tracks.center_features if center is None else center

    def scored():  # streamed: one pair in memory at a time
        for r in regions:
            for c in r.chunks:
                for i, j, logS in chunk_pair_scores(
                    c, r.boxes, r.feats, cfg.video.pair_gap, cfg.video.pair_mode, center
                ):
                    yield pair_truth(r.boxes[i], r.boxes[j], r.gt[i], r.gt[j], r.visible[i], r.visible[j]), logS

    return evaluate_pairs(scored(), quantiles, cfg.tracks.one_to_one, cfg.run.seed)


# ------------------------------------------------------------------------------ the stored training tracks
@dataclass
class StoredQuality:
    """The stored tracks of the videos with ground truth, one value per video (module docstring)."""

    videos: list[str]
    tracks: np.ndarray  # V: stored tracks
    precision: np.ndarray  # V: share of the stored tracks that are correct
    training_precision: np.ndarray  # V: P(correct) of a patch pair drawn as the frames+tracks loader draws it
    random_precision: np.ndarray  # V: P(correct) of a uniformly random proposal pair of the same frame pairs

    def gain(self) -> tuple[float, float, float]:
        """Mean over videos of training - random precision, with its 95% paired bootstrap interval."""
        return paired_bootstrap(self.training_precision, self.random_precision)

    def record(self) -> dict[str, float]:
        """The numbers chapter 02 records (``world.*``)."""
        gain, lo, hi = self.gain()
        return {
            "world.videos": len(self.videos),
            "world.precision": float(np.average(self.precision, weights=self.tracks)),
            "world.training_precision": float(self.training_precision.mean()),
            "world.random_precision": float(self.random_precision.mean()),
            "world.gain": gain,
            "world.gain_lo": lo,
            "world.gain_hi": hi,
        }


def chunk_quality(tracks: dict, gt: np.ndarray, visible: np.ndarray) -> tuple[int, int, float, float]:
    """One stored chunk (``load_tracks``) against its video's ground truth (T x M x 4 x1y1x2y2, T x M):
    (tracks, correct tracks, training precision, random-pair precision), the last two means over the frame
    pairs that have tracks."""
    pairs, pair_index = tracks["pairs"], tracks["pair_index"]
    proposals = frame_proposals(tracks)
    where = {int(f): n for n, f in enumerate(tracks["frames"])}
    correct, training, random = 0, [], []
    for p in np.unique(pair_index):
        i, j = (int(f) for f in pairs[p])
        m = pair_index == p
        truth = pair_truth(tracks["boxes_i"][m], tracks["boxes_j"][m], gt[i], gt[j], visible[i], visible[j])
        r = np.arange(int(m.sum()))
        ok = truth.correct(r, r).any(axis=1)  # tracks of this pair: correct or not
        correct += int(ok.sum())
        training.append(ok.mean())
        every = pair_truth(proposals[where[i]], proposals[where[j]], gt[i], gt[j], visible[i], visible[j])
        hits = every.hit_i[:, None, :] & every.hit_j[None, :, :] & every.both_visible  # R_i x R_j x M
        random.append(hits.any(axis=2).mean())
    return len(pair_index), correct, float(np.mean(training)), float(np.mean(random))


def stored_quality(
    cfg: Config, out_dir: Path | None = None, dataset: TrackingNet | None = None
) -> StoredQuality | None:
    """``chunk_quality`` of every stored chunk (``run_tracks``' files in ``out_dir``, default
    ``tracks_dir(cfg)``) whose video has ground truth; None if no video has. No track folder is a
    MissingArtifactError naming the chapter that makes it."""
    dataset = open_videos(cfg) if dataset is None else dataset
    out_dir = tracks_dir(cfg) if out_dir is None else Path(out_dir)
    if not out_dir.is_dir():
        raise MissingArtifactError(
            f"no tracks at {out_dir}; they are made by notebook 02_generating_tracks (or `repro tracks` with the "
            "same parameters)"
        )
    truth: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # video -> its ground truth, read once
    per_video: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    for c in list_chunks(cfg, dataset):
        path, video = chunk_file(out_dir, c), f"{c.split}/{c.seq}"
        if not (path.is_file() and objects_file(dataset, c.split, c.seq).is_file()):
            continue
        if video not in truth:
            truth[video] = load_objects(dataset, c.split, c.seq)
        per_video[video].append(chunk_quality(load_tracks(path), *truth[video]))
    if not per_video:
        return None
    rows = {v: np.array(r, np.float64) for v, r in per_video.items()}  # chunks x 4
    return StoredQuality(
        videos=list(rows),
        tracks=np.array([r[:, 0].sum() for r in rows.values()]),
        precision=np.array([r[:, 1].sum() / max(r[:, 0].sum(), 1) for r in rows.values()]),
        training_precision=np.array([r[:, 2].mean() for r in rows.values()]),
        random_precision=np.array([r[:, 3].mean() for r in rows.values()]),
    )
