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
# scale they train for minutes on the sample data (the real sample clips with the tracks of chapter 02 and
# the synthetic object images); with `preset = "paper"` the same cells run the paper's settings on
# TrackingNet and ImageNet (or use `repro train` under `torchrun`). The checkpoints saved here are the
# models that the invariance and part-segmentation chapters evaluate.

# %%
from repro.config import from_notebook_parameters
from repro.paths import artifact
from repro.results import record
from repro.train import build_dataset, example_views, hardest_negatives, read_log, train_modes
from repro.train import figures

# %% tags=["parameters"]
preset = "smoke"
seed = 0
arch = "resnet18"
image_size = 64
batch_size = 32
queue_size = 1024
moco_momentum = 0.99
temperature = 0.2
lr = 0.03
train_steps = 80
checkpoint_every = 40
modes = ("supervised", "images", "frames", "frames+tracks")

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, arch=arch, image_size=image_size, batch_size=batch_size, queue_size=queue_size,
    moco_momentum=moco_momentum, temperature=temperature, lr=lr, train_steps=train_steps,
    checkpoint_every=checkpoint_every, modes=modes)

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
# two frames augmented again together with the tracked boxes (drawn), whose layer-3 features are ROI-aligned.

# %%
contrastive = [m for m in cfg.train.modes if m != "supervised"]
views = {m: example_views(cfg, m, n=4) for m in contrastive}
figures.show_views(views, contrastive)

# %% [markdown]
# ## Training
#
# Each mode trains for `train_steps` steps (paper: 200 epochs) with SGD (momentum 0.9, weight decay 1e-4)
# and a cosine learning-rate schedule; the MoCo modes use the query/key encoders, the queue of K negatives
# and the momentum update of Algorithm 1. Checkpoints are written atomically every `checkpoint_every`
# steps to `<cache>/checkpoints/<mode>/`, so rerunning this cell after an interruption resumes exactly
# where the run stopped, and a finished run is not retrained.

# %%
results = train_modes(cfg)
logs = {m: read_log(r.log) for m, r in results.items()}
print(figures.results_text(results))

# %% [markdown]
# The loss curves (moving average over 10 steps). For the MoCo modes the chance level of the contrastive
# loss is log(1+K), the loss when the positive is no closer to the query than the K negatives; the
# positive-logit accuracy is the fraction of queries whose positive key beats every negative.

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
# ## What we saw

# %% tags=["nbval-ignore-output"]
classes = len(datasets["supervised"].set.categories) if "supervised" in datasets else None
record("03_training", figures.headline(table))
figures.summary(cfg, table, logs, num_classes=classes)
