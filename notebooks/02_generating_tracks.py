# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Section B: Generating tracks
#
# **Aim.** The "with tracks" model of Section B adds a second contrastive pair per frame pair: two
# patches, one in each frame, that follow the same region (Algorithm 1, `sample_track(x1, x2)`). The
# supplement finds those regions without supervision:
#
# > "For each frame, we extract region proposals using the unsupervised method - selective search. We
# > choose the top 300 region proposals for frames which produce more than 300 regions. [...] The matching
# > score between region $z_i^r$ and a region $z_j^{r'}$ is defined as the cosine similarity between their
# > features f i.e. $\max(0, d_{\cos}(f(z_i^r), f(z_j^{r'})))$. Here the features $f(x)$ are extracted by
# > ROI-pooling the layer 3 of the ResNet model f."
#
# $$S(z_i^r, z_j^{r'}) = \sum_k \frac{j-i-1}{j-i}\, S(z_i^r, z_{j-1}^k)\, \max(0, d_{\cos}(f(z_{j-1}^k), f(z_j^{r'}))) \qquad (4)$$
# $$S(z_t^r, z_{t+1}^k) = \max(0, d_{\cos}(f(z_t^r), f(z_{t+1}^k))) \qquad (5)$$
#
# > "For any pair of frames, we only consider tracks that have a score above a chosen threshold."
#
# This chapter runs the whole job on the sample clips (its output is what the training chapter reads),
# then opens one chunk to show each step, checks the closed form of Eq. 4 numerically, draws tracks on
# real frames, and measures precision and recall on synthetic videos whose object boxes are known.

# %%
import json

import numpy as np
from IPython.display import display

from repro.config import from_notebook_parameters
from repro.data import list_chunks, open_videos
from repro.tracks import (figures, load_tracks, log_track_scores, region_similarities, run_tracks,
                          track_scores, tracks_dir)
from repro.tracks.features import load_layer3, region_features
from repro.tracks.pipeline import chunk_file
from repro.tracks.quality import evaluate_regions, rank_one_share, synthetic_regions
from repro.report import Text
from repro.results import record

# %% tags=["parameters"]
preset = "smoke"
seed = 0
device = "cpu"
num_workers = 0
trackingnet_root = ""
trackingnet_splits = ("TRAIN_0",)
num_chunks = 4
chunk_len = 24
pair_gap = 8
pair_mode = "random"
proposal_mode = "fast"
proposal_short_side = 80
max_proposals = 100
min_box_side = 8
track_checkpoint = ""
track_arch = "resnet18"
feature_short_side = 128
track_quantile = 0.9
one_to_one = True
max_tracks_per_pair = 0
center_features = True

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, device=device, num_workers=num_workers, trackingnet_root=trackingnet_root,
    trackingnet_splits=trackingnet_splits, num_chunks=num_chunks, chunk_len=chunk_len, pair_gap=pair_gap,
    pair_mode=pair_mode, proposal_mode=proposal_mode, proposal_short_side=proposal_short_side,
    max_proposals=max_proposals, min_box_side=min_box_side, track_checkpoint=track_checkpoint,
    track_arch=track_arch, feature_short_side=feature_short_side, track_quantile=track_quantile,
    one_to_one=one_to_one, max_tracks_per_pair=max_tracks_per_pair, center_features=center_features)

# %% [markdown]
# ## The job: tracks for every chunk
#
# `run_tracks` (the `repro tracks` command) goes over every chunk of the dataset: selective search
# proposals (in worker processes when `num_workers > 0`), layer-3 ROI features, the scores of Eq. 4-5 for
# the chunk's frame pairs, and the tracks above the threshold. Each chunk is written atomically to
# `<cache>/tracks/<key>/<split>/<seq>__c<chunk>.npz`, where the key hashes every parameter that changes
# tracks; a rerun skips finished chunks. The threshold is a quantile of each pair's own scores
# (`track_quantile`), because raw scores grow with the number of regions and the gap (see below).

# %% tags=["nbval-ignore-output"]
run = run_tracks(cfg)                       # a rerun finds the files and skips every chunk
out = tracks_dir(cfg)
index = json.loads((out / "index.json").read_text())
n_tracks = sum(e["num_tracks"] for e in index["chunks"])
print(f"key: {out.name}")
print(f"{len(index['chunks'])} of {run.chunks_total} chunks have tracks: {n_tracks} tracks over "
      f"{sum(e['num_pairs'] for e in index['chunks'])} frame pairs")

# %% [markdown]
# ## Inside one chunk
# ### Proposals
# Selective search runs at a working resolution (shorter side `proposal_short_side`, never enlarged) and
# its boxes are mapped back to frame pixels; degenerate boxes (a side under `min_box_side`) and duplicates
# are removed and the first `max_proposals` in OpenCV's ranking are kept (paper: 300).

# %% tags=["nbval-ignore-output"]
videos = open_videos(cfg)
chunk = list_chunks(cfg, videos)[0]
stored = load_tracks(chunk_file(out, chunk))
offsets = stored["proposal_offsets"]
boxes = [stored["proposals"][offsets[n]:offsets[n + 1]] for n in range(len(stored["frames"]))]
frames = [videos.read_frame(chunk.split, chunk.seq, t) for t in stored["frames"]]
print(f"{chunk.name}: frames {chunk.start}-{chunk.start + chunk.length - 1}, "
      f"{min(map(len, boxes))}-{max(map(len, boxes))} proposals per frame")
figures.show_proposals(frames[0], boxes[0], top=25, title=f"{chunk.seq}, frame {chunk.start}: top 25 proposals")

# %% [markdown]
# ### Similarities and scores
# $f(z)$ is the ROI-aligned layer-3 feature of a box (stride 16), averaged over 7 x 7 cells. With this
# run's seeded random backbone, layer-3 features are outputs of a ReLU that share a large common
# component: their cosine is about 0.98 for any two regions and $\max(0,\cdot)$ never acts.
# `center_features` (smoke default; the paper value is off) subtracts the chunk's mean feature first.
# $M_t$ is the matrix of Eq. 5 between frames $t$ and $t+1$; the right panel is $\log S(i \to i+k)$.
# Its stripes show what summing over every path does: after a few steps $S$ is close to a product
# $a_r b_{r'}$ of a score of the region in frame $i$ and one of the region in frame $j$ (how similar each is
# to *many* regions), the leading eigenvector at work. We measure how close with the share of $S$ in its
# best rank-1 approximation.

# %% tags=["nbval-ignore-output"]
layer3 = load_layer3(cfg.tracks.track_checkpoint, cfg.tracks.track_arch, cfg.run.seed)
feats = region_features(layer3, frames, boxes, feature_short_side=cfg.tracks.feature_short_side)
M_plain = region_similarities(feats)
M = region_similarities(feats, center=cfg.tracks.center_features)
k = cfg.video.pair_gap
log_S = log_track_scores(M, 0, k)
print(f"plain cosine between consecutive frames: median {np.median(M_plain[0]):.3f}, "
      f"5% quantile {np.quantile(M_plain[0], 0.05):.3f}")
print(f"centred: median {np.median(M[0]):.3f}, fraction clipped to 0 by max(0, .): {(M[0] == 0).mean():.3f}")
shares = {g: rank_one_share(log_track_scores(M, 0, g)) for g in (1, k, chunk.length - 1)}
print("share of S(0 -> j) in its best rank-1 approximation: "
      + ", ".join(f"j = {g}: {v:.3f}" for g, v in shares.items()))
figures.show_scores(M[0], log_S, k)

# %% [markdown]
# ### Eq. 4 is a scaled matrix product
# The sum over $k$ in Eq. 4 is a matrix product, so with $M_t$ the $R_t \times R_{t+1}$ matrix of Eq. 5,
# $S(i \to j) = \frac{j-i-1}{j-i}\, S(i \to j-1)\, M_{j-1}$, and by induction (the weights telescope,
# $\frac12 \cdot \frac23 \cdots \frac{n-1}{n} = \frac1n$)
#
# $$S(i \to j) = \frac{1}{j-i}\, M_i M_{i+1} \cdots M_{j-1}.$$
#
# So a track's score sums the similarity products of every path of regions from $z_i^r$ to $z_j^{r'}$,
# divided by the number of steps. Every path counts, so the score grows like $R^{\,j-i-1}$: the package
# works with $\log S$, renormalising each row after every product.

# %% tags=["nbval-ignore-output"]
j = chunk.length - 1
S_rec = track_scores(M, 0, j)                                    # Eq. 4 as written, float64
S_prod = np.linalg.multi_dot(M[0:j]) / j                         # the closed form
rel = np.abs(S_rec - S_prod).max() / np.abs(S_prod).max()
log_all = log_track_scores(M, 0, j)
print(f"max relative difference, recursion vs closed form over {j} steps: below 1e-12: {rel < 1e-12}")
print(f"log S(0 -> {j}) agrees with log of the float64 scores: {np.allclose(log_all, np.log(S_rec))}")
paper_bound = (58 * np.log(300) - np.log(59)) / np.log(10)        # all similarities 1, 300 regions, 60 frames
print(f"largest S(0 -> {j}) here: 10^{log_all.max() / np.log(10):.0f} (float32 ends at 10^38); "
      f"for 60 frames x 300 regions scores can reach 10^{paper_bound:.0f}")

# %% [markdown]
# ### Tracks on real frame pairs
# The best tracks of the widest pair of the first chunk of each clip (same colour and number in both
# frames); with `one_to_one` each region appears in at most one track.

# %% tags=["nbval-ignore-output"]
for c in [next(c for c in list_chunks(cfg, videos) if c.seq == s.seq) for s in videos.sequences()[:2]]:
    t = load_tracks(chunk_file(out, c))
    n = int(np.argmax(t["pairs"][:, 1] - t["pairs"][:, 0]))
    i, j = t["pairs"][n]
    sel = t["pair_index"] == n
    print(f"{c.name}: pair ({i}, {j}), {sel.sum()} tracks")
    display(figures.show_tracks(videos.read_frame(c.split, c.seq, i), videos.read_frame(c.split, c.seq, j),
                                t["boxes_i"][sel], t["boxes_j"][sel], n=6, title=f"{c.seq}"))

# %% [markdown]
# ## How good are the tracks? Synthetic videos with known boxes
# The supplement does not evaluate its tracks; this measure is ours. On the synthetic videos, a track is
# correct when both of its boxes overlap the same object with IoU >= 0.5; recall counts the (pair, object)
# instances that some correct track covers. The baseline keeps as many uniformly random region pairs as
# the tracker did. We compare the features as the text uses them with centred ones, for several
# threshold quantiles: this is how to choose `track_quantile`.

# %% tags=["nbval-ignore-output"]
regions = synthetic_regions(cfg, chunks_per_video=1)
quantiles = (0.5, 0.8, 0.9, 0.95, 0.99)
results = {"as written": evaluate_regions(regions, cfg, quantiles, center=False),
           "centred": evaluate_regions(regions, cfg, quantiles, center=True)}
for name, q in results.items():
    print(f"{name}: {q.pairs} pairs, {q.instances} object instances, proposal recall {q.proposal_recall:.3f}")
    display(q.table(caption=f"Tracks from {name} features against random region pairs"))
figures.show_quality(results)

# %% [markdown]
# ## What we saw

# %% tags=["nbval-ignore-output"]
chosen = cfg.tracks.track_quantile
row = {name: dict(zip(q.quantiles, q.rows()))[chosen] for name, q in results.items()} \
    if chosen in quantiles else None
text = (f"The job wrote {len(index['chunks'])} chunk files with {n_tracks} tracks "
        f"({n_tracks / sum(e['num_pairs'] for e in index['chunks']):.1f} per frame pair). "
        f"Eq. 4 evaluated as written and its closed form $\\frac{{1}}{{j-i}} M_i \\cdots M_{{j-1}}$ agree to "
        f"machine precision. Over {chunk.length - 1} steps with up to {cfg.tracks.max_proposals} regions the "
        f"scores reach $10^{{{log_all.max() / np.log(10):.0f}}}$ "
        f"({'beyond' if log_all.max() > np.log(np.finfo(np.float32).max) else 'within'} float32); at the paper's "
        f"60 frames x 300 regions they can reach $10^{{{paper_bound:.0f}}}$, which is why the package works with "
        "$\\log S$. ")
text += (f"Summing over every path makes $S(0 \\to j)$ nearly rank one as $j$ grows (share of the best rank-1 "
         f"approximation {shares[1]:.3f} for one step, {shares[chunk.length - 1]:.3f} for {chunk.length - 1}), so "
         "a track's score is dominated by how similar each of its two regions is to many regions, not only "
         "to each other. ")
if row:
    a, c = row["as written"], row["centred"]
    text += (f"On the synthetic videos at the quantile {chosen}, tracks from the features as written have "
             f"precision {a['precision']:.3f} (random pairs: {a['random_precision']:.3f}); with centred features "
             f"{c['precision']:.3f} (random: {c['random_precision']:.3f}) at recall {c['recall']:.3f}. "
             f"Selective search itself covers {results['centred'].proposal_recall:.3f} of the object instances in "
             "both frames, an upper bound on recall.")
summary = Text(text)
record("02_generating_tracks", {
    "chunks_with_tracks": len(index["chunks"]), "tracks": n_tracks, "log10_max_score": log_all.max() / np.log(10),
    "plain_cosine_median": np.median(M_plain[0]), "rank_one_share_last": shares[chunk.length - 1],
    "proposal_recall": results["centred"].proposal_recall,
    **{f"{name.replace(' ', '_')}.{k}": v for name, r in (row or {}).items() for k, v in r.items()
       if k in ("precision", "recall", "random_precision", "random_recall")}})
summary
