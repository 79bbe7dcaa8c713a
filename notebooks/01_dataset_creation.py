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
# # Section B: Dataset creation and sampling frames
#
# **Aim.** The video model of the supplement learns from pairs of frames of the same video. Section B
# builds those pairs in two steps, which this chapter executes and shows:
#
# > *Dataset Creation.* "From each video we extract 4 temporal chunks of 60 consecutive frames such that the
# > chunks are maximally spaced apart in time. Each chunk is considered a separate video for all training
# > purposes."
#
# > *Sampling Frames.* "Training the Frame Temporal Invariance model requires sampling pairs of frames that
# > are temporally separated $\mathcal{V}_{\text{pairs}} = \{(z_i, z_{i+k}) \mid z \in \mathcal{V},
# > i \in \mathbb{N}(z), i \bmod k = 0\}$. We sample frames that are at least $k = 40$ frames apart."
#
# We read the videos in the TrackingNet layout (by default the real sample clips and the world's videos of
# chapter 00, all of TrackingNet at paper scale), place the chunks, enumerate and sample the pairs, and
# look at a few pairs.

# %%
import numpy as np
from IPython.display import Markdown, display

from repro.config import from_notebook_parameters
from repro.data import (chunk_starts, frame_pairs, list_chunks, open_videos, pairs_at_least,
                        sample_frame_pair, track_pairs)
from repro.data import figures
from repro.results import record

# %% tags=["parameters"]
preset = "smoke"
seed = 0
trackingnet_root = ""
trackingnet_splits = ("TRAIN_0",)
num_chunks = 4
chunk_len = 24
pair_gap = 8
pair_mode = "random"

# %%
cfg = from_notebook_parameters(preset, seed=seed, trackingnet_root=trackingnet_root,
                               trackingnet_splits=trackingnet_splits, num_chunks=num_chunks,
                               chunk_len=chunk_len, pair_gap=pair_gap, pair_mode=pair_mode)
videos = open_videos(cfg)
sequences = videos.sequences()
print(f"{len(sequences)} videos in {', '.join(videos.splits)}")
for s in sequences[:10]:
    print(f"  {s.name}: {s.num_frames} frames" + (f", {len(s.missing)} missing" if s.missing else ""))

# %% [markdown]
# ## Chunks: 4 maximally spaced runs of consecutive frames
#
# Chunk $c$ of a video with $N$ frames starts at
# $s_c = \operatorname{round}\bigl(c\,(N - L)/(C - 1)\bigr)$ for $c = 0, \dots, C-1$ ($C$ chunks of $L$
# frames; halves round up): the first chunk starts at the first frame, the last one ends at the last
# frame, and the gaps between chunks differ by at most one frame. A video shorter than $L$ gives no chunk;
# one shorter than $C \cdot L$ gives overlapping chunks (all four are kept, so every video counts the same
# in training). First the paper's values ($C = 4$, $L = 60$) on edge-case lengths, then this run's
# values on the sample videos.

# %%
edge = {f"{n} frames": n for n in (59, 60, 239, 240, 1000)}
for name, n in edge.items():
    print(f"{name:>12}: starts {chunk_starts(n, 4, 60)}")
figures.show_chunk_layout(edge, 4, 60, "paper: 4 chunks of 60 frames")

# %%
chunks = list_chunks(cfg, videos)
print(f"{len(chunks)} chunks from {len(sequences)} videos")
lengths = {s.name: s.num_frames for s in sequences[:12]}
figures.show_chunk_layout(lengths, cfg.video.num_chunks, cfg.video.chunk_len,
                          f"this run: {cfg.video.num_chunks} chunks of {cfg.video.chunk_len} frames")

# %% [markdown]
# ## Frame pairs inside a chunk
#
# Indices are 0-based within the chunk. With 1-based indices, $\mathcal{V}_{\text{pairs}}$ would be empty
# for the paper's sizes ($i = 40$ is the only multiple of $k$ in $1..60$, and $80 > 60$), so the 0-based
# reading is the usable one: for $L = 60$, $k = 40$ it is the single pair $(0, 40)$. The second sentence
# ("at least $k$ frames apart") describes a larger set, every $(i, j)$ with $j - i \ge k$:
# $(L - k)(L - k + 1)/2 = 210$ pairs for the paper's sizes. Both are available (`pair_mode` "grid" and
# "random"); training samples uniformly from the second by default.

# %%
rng = np.random.default_rng(cfg.run.seed)
draws = [sample_frame_pair(cfg.video.chunk_len, cfg.video.pair_gap, rng) for _ in range(4000)]
print("paper V_pairs:", frame_pairs(60, 40), "| pairs >= 40 apart:", len(pairs_at_least(60, 40)))
print("this run V_pairs:", frame_pairs(cfg.video.chunk_len, cfg.video.pair_gap),
      "| pairs >= k apart:", len(pairs_at_least(cfg.video.chunk_len, cfg.video.pair_gap)))
figures.show_pairs([(60, 40), (cfg.video.chunk_len, cfg.video.pair_gap)], [j - i for i, j in draws])

# %% [markdown]
# ## Example pairs
# One sampled pair from the first chunk of each of the first three videos (absolute frame numbers).

# %%
examples = []
for s in sequences[:3]:
    c = next(c for c in chunks if (c.split, c.seq) == (s.split, s.seq))
    i, j = sample_frame_pair(c.length, cfg.video.pair_gap, rng)
    i, j = c.start + i, c.start + j
    examples.append((f"{s.seq} {i}->{j}", videos.read_frame(s.split, s.seq, i), videos.read_frame(s.split, s.seq, j)))
    print(f"{s.name}: chunk {c.chunk_index} (frames {c.start}-{c.start + c.length - 1}), pair ({i}, {j})")
figures.show_frame_pairs(examples)

# %% [markdown]
# ## What we saw

# %%
n_pairs = len(track_pairs(cfg.video.chunk_len, cfg.video.pair_gap, cfg.video.pair_mode))
overlapping = sum(1 for s in sequences if cfg.video.chunk_len <= s.num_frames < cfg.video.num_chunks * cfg.video.chunk_len)
gaps = np.array([j - i for i, j in draws])
record("01_dataset_creation", {"videos": len(sequences), "chunks": len(chunks), "pairs_per_chunk": n_pairs,
                               "mean_sampled_gap": gaps.mean()})
display(Markdown(
    f"The {len(sequences)} videos give {len(chunks)} chunks of {cfg.video.chunk_len} frames "
    f"({overlapping} of the videos are shorter than {cfg.video.num_chunks} chunks, so their chunks overlap). "
    f"With the paper's sizes a 1000-frame video gets chunks starting at {chunk_starts(1000)}, and a "
    f"59-frame video none. For this run's k = {cfg.video.pair_gap}, V_pairs has "
    f"{len(frame_pairs(cfg.video.chunk_len, cfg.video.pair_gap))} pairs per chunk and the 'at least k apart' "
    f"set {len(pairs_at_least(cfg.video.chunk_len, cfg.video.pair_gap))}; `pair_mode={cfg.video.pair_mode!r}` "
    f"uses {n_pairs} pairs per chunk. The sampled gaps range from {gaps.min()} to {gaps.max()} frames "
    f"(mean {gaps.mean():.2f}), short gaps being more frequent because more pairs have them."))
