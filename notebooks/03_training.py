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
# # Section B: Training with Frame Temporal Invariance (Algorithm 1)
#
# **Aim.** Train the models that the paper compares, with one entry point (`repro.train.train`):
# `images` — MoCo v2 on single images, two augmentations of one image (the "ImageNet MoCo v2" row);
# `frames` — Algorithm 1, the query and the key are two frames of a video chunk at least k apart;
# `frames+tracks` — Algorithm 1 with region tracks: a second contrastive loss on a tracked patch pair,
# whose features are ROI-aligned at layer 3, `loss = 0.5*loss + 0.5*loss_patch` (the "Region Tracker" row);
# and `supervised` — classification on the labelled images (the "ImageNet supervised" row). At the default
# scale they train for minutes on the sample data (the world's videos and the real clips, with the tracks of
# chapter 02, and the world's labelled stills); with `preset = "paper"` the same cells run the paper's settings on
# TrackingNet and ImageNet (or use `repro train` under `torchrun`). The checkpoints saved here are the
# models that the invariance and part-segmentation chapters evaluate.

# %%
from myst_nb import glue

from repro.config import from_notebook_parameters
from repro.paths import artifact
from repro.results import record
from repro.train import build_dataset, example_views, hardest_negatives, model_checkpoints, read_log, train_modes
from repro.train import figures
from repro.train.locality import measure_patch_locality
from repro.train.monitor import evaluate_models

# %% tags=["parameters"]
preset = "smoke"
seed = 0
arch = "resnet18_w16"
image_size = 32
batch_size = 64
queue_size = 128
moco_momentum = 0.99
temperature = 0.2
lr = 0.03
supervised_lr = 0.025
bn_splits = 8
patch_input = "roi"
train_steps = 2750
supervised_steps = 1500
pairs_per_chunk = 1
checkpoint_every = 100
knn_every = 125
train_procs = 2
train_threads = 1
modes = ("supervised", "images", "frames", "frames+tracks")

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, arch=arch, image_size=image_size, batch_size=batch_size, queue_size=queue_size,
    moco_momentum=moco_momentum, temperature=temperature, lr=lr, supervised_lr=supervised_lr, bn_splits=bn_splits,
    patch_input=patch_input, train_steps=train_steps, supervised_steps=supervised_steps,
    pairs_per_chunk=pairs_per_chunk, checkpoint_every=checkpoint_every, knn_every=knn_every,
    train_procs=train_procs, train_threads=train_threads, modes=modes)

# %% [markdown]
# ## The training data of each mode
#
# A training item is an image (`images`, `supervised`) or a video chunk (`frames`, `frames+tracks`; a
# chunk is one of the 4 maximally spaced runs of `chunk_len` frames of a video, and `frames+tracks` keeps
# the chunks that have tracks above the threshold). For `frames`, each sample draws a pair of frames at
# least k = `pair_gap` apart; with tracks, the pair is one that has tracks and one of its tracks is drawn.

# %%
datasets = {m: build_dataset(cfg, m) for m in cfg.train.modes}
print(figures.datasets_text(datasets, cfg))

# %% [markdown]
# What one step sees: the query and key views of four samples (MoCo v2 augmentation: random resized crop,
# colour jitter, grayscale, blur, flip). For `frames+tracks`, the bottom rows are the patch views: the same
# two frames augmented again together with the tracked boxes (drawn), whose layer-3 features are ROI-aligned
# (`patch_input = "roi"`; with `"crop"` the rows show the boxes cut out and augmented).

# %%
contrastive = [m for m in cfg.train.modes if m != "supervised"]
views = {m: example_views(cfg, m, n=4) for m in contrastive}
figures.show_views(views, contrastive)

# %% [markdown]
# ## Training
#
# **What an epoch is for the video models.** The supplement trains for 200 epochs and treats "each chunk
# [as] a separate video", so we read an epoch of `frames` and `frames+tracks` as one frame pair per chunk
# (`pairs_per_chunk = 1`): on TrackingNet's 30,132 training videos that is 120,528 chunks, 470 steps an
# epoch at batch 256 and 94 K steps in all, against about 1.0 M for MoCo v2's 200 ImageNet epochs.
# `pairs_per_chunk = 11` draws 11 pairs per chunk per epoch (5,178 steps an epoch), the other reading:
# equal training compute.
#
# Each mode trains for `train_steps` steps (paper: 200 epochs) with SGD (momentum 0.9, weight decay 1e-4)
# and a cosine learning-rate schedule; the MoCo modes use the query/key encoders, the queue of K negatives
# and the momentum update of Algorithm 1. Checkpoints are written atomically every `checkpoint_every`
# steps to `<cache>/checkpoints/<mode>/`, so rerunning this cell after an interruption resumes exactly
# where the run stopped, and a finished run is not retrained.
#
# **The default scale, and why.** A ResNet-18 at a quarter of every width (`resnet18_w16`, torchvision's
# layer names, so the layer-3 patch path and every loader apply unchanged) at 32 px, batch 64, 2,750 steps
# a model (`supervised` 1,500). The queue keeps the paper's share of the training set:
# K = 65,536 is 5% of ImageNet's images and 55% of TrackingNet's chunks, K = 128 is 6% of the world's
# 2,304 stills and 63% of the ~200 chunks here (a queue larger than the set would hold each image's own
# older keys as negatives). m = 0.99 instead of 0.999, since a key encoder that averages over 1,000 steps
# would still be the random network when training ends. These were fixed on a development world (world
# seed 1) by training `images` alone and comparing it only with its own random initialisation
# (`benchmarks/RESULTS.md`, issue 11): there, its kNN rose from 0.40 to 0.45 in 500 steps and to 0.52 in
# 1,500. The world matters more than any of these: on the first world's textured backdrops the same
# training never rose above its random initialisation, and on videos that changed twice as fast as now
# `frames` ended below its own (the world's `world_video_pace`, chapter 00).
#
# **The patch path at 32 px.** The supplement extracts a patch's features by "ROI-Pooling at layer3"
# (Implementation Details), while Algorithm 1 passes a patch through `aug` and `f_q.forward` as it does a
# frame. `patch_input` chooses the reading: `"roi"` (the frame augmented with its box, the box's layer-3
# features ROI-aligned; the default, and the paper preset's) or `"crop"` (the box cut out of its frame,
# augmented and encoded as a frame). At 224 px layer 3 is a 14 x 14 map and a box's ROI features are its own;
# at 32 px it is 2 x 2, and every cell sees the whole frame, so the patch loss compares frames more than
# regions (measured on the trained model below, *Does the patch path see its region?*): a second frame loss
# on views that keep the tracked object. The crop reading, which does see the region, learned less: on the
# development world its kNN accuracy rose 4.6, 4.0, 5.4 and 10.6 points above each run's own step 0 over four
# training seeds, against 11.0, 22.5, 19.4 and 20.4 through the ROI path (the rule, written down before the
# runs: keep the ROI path only if the crop reading's mean gain were lower by more than 5 points;
# `benchmarks/RESULTS.md`). So the default keeps the paper's ROI path, and the "Region Tracker" model
# of the default scale is best read as `frames` plus a second, object-centred frame loss.
#
# **The learning rate.** MoCo v2's lr 0.03 belongs to a batch of 256, and MoCo's rule (which *How to run*
# gives for the paper preset) scales it linearly with the batch; the default scale keeps 0.03 at batch 64,
# four times the scaled 0.0075. This was measured, not assumed: on the development world, 2,500 steps at
# 0.0075 raised the kNN accuracy over each model's own random initialisation by 7.1 (`images`), 1.9 (`frames`)
# and 4.0 points (`frames+tracks`), against 24.2, 14.8 and 17.7 at 0.03; at 0.06 and 0.12 the smallest of the
# three gains (9.4 and 12.9) was below 0.03's. A run this short learns more at the larger rate; over the
# paper's 200 epochs the linear rule applies (`lr` is a parameter). The rule that chose, the largest smallest
# gain of the three modes, was written down before the runs, and no comparison between models was looked at
# (`benchmarks/RESULTS.md`).
#
# **How long, and on how many threads.** At this size a model gains little from a second thread, so the
# four train two at a time, each in a process of its own on one thread (`train_procs = 2`,
# `train_threads = 1`): 1.6-1.9 times the steps a minute of one two-thread process, and a model's numbers
# no longer depend on how many cores the machine has (a test checks that a model trained beside another
# equals one trained alone). The step count is then the most that the main job's 15-minute budget allows
# (2,500, up from 1,500 when the models trained one at a time): on the development world `images` went on
# learning after 1,500 steps (kNN 0.52 then, 0.67 at 3,000 with a queue of 1,024), and the rule that fixed
# the number used timings only, written down before any model of this length was evaluated
# (`benchmarks/RESULTS.md`). Every contrastive loss was still falling when those 2,500 steps ended, which
# the issue reads as a reason to train longer; `supervised` had reached a kNN accuracy of 0.95-0.98 by step
# 1,500 of those runs on every seed, so it now stops there (`supervised_steps`, its cosine schedule over its own
# 1,500 steps), and the time this frees on the longer of the two processes (`frames+tracks`, then
# `supervised`) buys every contrastive mode 2,750 steps, again from timings only and adopted before any model
# of this length was evaluated (`benchmarks/RESULTS.md` has what it changed, seed by seed).

# %%
results = train_modes(cfg)
logs = {m: read_log(r.log) for m, r in results.items()}
print(figures.results_text(results))

# %% [markdown]
# The loss curves (moving average over 10 steps). For the MoCo modes the chance level of the contrastive
# loss is log(1+K), the loss when the positive is no closer to the query than the K negatives; the
# positive-logit accuracy is the fraction of queries whose positive key beats every negative. The third
# panel shows what the loss is made of: a query's mean cosine with its positive key (solid) and with the
# queue's negatives (dashed). The loss depends only on their gap divided by T; both rising towards 1 means
# that the features are collapsing into a narrow cone, where every image looks like every other.

# %%
figures.show_curves(logs, cfg.train.queue_size)

# %% [markdown]
# The queue starts as random unit vectors, which are easy negatives, so the contrastive loss first *rises*
# while the queue fills with real keys (after K/(batch x enqueues per step) steps) and only then measures
# the task; the table therefore also gives the loss over the 10 steps after the queue became full.

# %% tags=["nbval-ignore-output"]
table = {m: figures.loss_summary(m, lg, cfg.train.queue_size, cfg.train.batch_size) for m, lg in logs.items()}
figures.loss_table(table)

# %% [markdown]
# ## Does the representation hold the category?
#
# Instance discrimination is trained without labels; whether it learned what the paper's downstream
# tasks need is read from the frozen features, as MoCo and solo-learn users read a run. The kNN monitor
# (cosine similarity, k = 20, votes weighted by exp(s/0.07)) classifies the held-out labelled images by
# their nearest training images every `knn_every` steps, from the random initialisation on (logged to
# `knn.csv` and TensorBoard beside the loss). After training, a linear probe (a linear classifier on
# the standardised pooled features, full-batch L-BFGS) is fitted on the training images and tested on the
# held-out ones, for every model including the random network, beside a kNN on colour histograms alone.
# The differences to the random network come with a paired bootstrap 95% interval over the held-out images.
#
# BatchNorm: with one process MoCo's shuffled BatchNorm has nothing to shuffle across, and the query and
# its key would share batch statistics, which MoCo reports lets the model "cheat" the task. The default
# scale therefore uses MoCo's one-GPU recipe (`bn_splits = 8`: BatchNorm over 8 sub-batches, the key batch
# shuffled across them); the paper preset trains on several GPUs with shuffled BatchNorm (`bn_splits = 1`).
# Sub-batches of 8 are noisier than the paper's 32 a GPU (batch 256 on 8 GPUs), which `bn_splits = 2` would give
# at batch 64; on the development world, over two training seeds, 2 raised the kNN accuracy over each model's
# own step 0 by 24.6, 9.9 and 19.1 points (`images`, `frames`, `frames+tracks`), against 23.0, 16.1 and 20.6 at
# 8, so 8 stayed (the rule, written down before the runs, and the runs: `benchmarks/RESULTS.md`).

# %%
knn_logs = figures.monitor_logs(results)
scores = evaluate_models(cfg, model_checkpoints(cfg))
differences = figures.knn_differences(scores, seed=cfg.run.seed)
figures.show_knn(knn_logs, scores)

# %% tags=["nbval-ignore-output"]
probe_table = figures.probe_table(scores, differences)
glue("probe_table", probe_table, display=False)
probe_table

# %% [markdown]
# ## What the contrastive models learned to tell apart
#
# For a few queries of a batch: the positive key (the other view, or the other frame) and the hardest
# negative among the batch's other keys, with their cosine similarities to the query. A model that learned
# the invariance ranks the positive first although the views differ in crop, colour and, for frames, time.

# %%
examples = {m: hardest_negatives(cfg, m, artifact("checkpoints", m, "checkpoint.pt", cache_dir=cfg.run.cache_dir),
                                 n_queries=3) for m in contrastive}
figures.show_hardest(examples, n_queries=3)

# %% tags=["nbval-ignore-output"]
print(figures.hardest_text(examples, cfg.train.batch_size))

# %% [markdown]
# ## Does the patch path see its region?
#
# If the patch path reads its box, two boxes of one frame that barely overlap (a tracked box and its mirror
# image) get features no more alike than patches of different frames; if it reads the frame, they get nearly
# the same feature. Measured on the trained `frames+tracks` model's patch views, through the ROI path that
# trained it and with the boxes cut out and encoded as frames (`repro.train.locality`).

# %% tags=["nbval-ignore-output"]
locality = measure_patch_locality(cfg, artifact("checkpoints", "frames+tracks", "checkpoint.pt",
                                                cache_dir=cfg.run.cache_dir)) if "frames+tracks" in contrastive else {}
locality_text = figures.locality_text(locality, cfg.train.image_size) if locality else ""
print(locality_text)

# %% [markdown]
# ## What we saw

# %% tags=["nbval-ignore-output"]
classes = len(datasets["supervised"].set.categories) if "supervised" in datasets else None
record("03_training", figures.headline(table, scores, locality),
       headline={"knn_top1": scores["knn_top1"], "linear_top1": scores["linear_top1"]})
summary = figures.summary(cfg, table, logs, num_classes=classes, probe=figures.probe_text(scores, differences),
                          locality=locality_text)
glue("training_summary", summary, display=False)
summary
