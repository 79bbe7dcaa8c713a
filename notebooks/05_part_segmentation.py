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
# # Section C: Object-part segmentation from a single representation (Table 5)
#
# **Aim.** The supplement tests whether a representation keeps *where* an object's parts are: "we crop
# bounding boxes for the each object and create separate images. For each object, we train a small CNN
# comprising of four transposed convolution layers that takes as input a single representation. In
# Table 5, we present the pixel-wise classification accuracies for each object and observe that our
# proposed model outperforms the ImageNet-MOCO model." This chapter runs that evaluation for every model
# the repository trains (plus a random-init baseline): each object crop goes once through the frozen
# encoder, its pooled vector is cached, and per object class a `PartDecoder` (four `ConvTranspose2d`)
# learns to paint the part map from that single vector. We then set our Table 5 beside the paper's.
# At the default scale the objects are part-annotated objects of the sample data's world (chapter 00):
# fresh instances of the categories the encoders were trained on, with three parts each (the top, middle
# and bottom thirds of the object in its own frame), not Pascal-Part, and the table says so.

# %%
from IPython.display import display
from myst_nb import glue

from repro.config import from_notebook_parameters
from repro.plotting import finish
from repro.report import Text
from repro.results import record
from repro.segmentation import table5
from repro.segmentation.evaluate import ROW_NAMES, load_part_crops, run_table5

# %% tags=["parameters"]
preset = "smoke"
seed = 0
pascal_parts_root = ""
voc_root = ""
seg_classes = ()
crop_margin = 0.05
seg_output_size = 32
seg_epochs = 10
seg_lr = 0.01
seg_batch_size = 8
seg_width = 64
seg_outside = "background"
seg_checkpoints = ()

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, pascal_parts_root=pascal_parts_root, voc_root=voc_root, seg_classes=seg_classes,
    crop_margin=crop_margin, seg_output_size=seg_output_size, seg_epochs=seg_epochs, seg_lr=seg_lr,
    seg_batch_size=seg_batch_size, seg_width=seg_width, seg_outside=seg_outside,
    seg_checkpoints=seg_checkpoints)

# %% [markdown]
# ## The data: object crops and their part maps
#
# Every object is cropped by the bounding box of its mask (widened by `crop_margin` on each side), resized
# to the encoder's input size, and its part map is cropped alike and resized (nearest-neighbour) to the
# decoder's output size. Label 0 is background; Pascal-Part's fine parts are merged into coarse ones
# (`repro.segmentation.parts_map`); object pixels that no part covers are ignored.

# %%
train, val, skips = load_part_crops(cfg)
source = "part-annotated objects of the world (sample data)" if not cfg.segmentation.pascal_parts_root else "Pascal-Part"
print(f"{source}: {len(train)} train / {len(val)} val crops of {len(train.classes)} classes, "
      f"{train.images.shape[1]} px crops, {train.targets.shape[1]} px part maps")
for c, cls in enumerate(train.classes):
    print(f"  {cls:10s} train {int((train.labels == c).sum()):4d}  val {int((val.labels == c).sum()):4d}  "
          f"parts: {', '.join(train.part_names[c])}")
print("skipped:", skips)

# %% [markdown]
# ## Decoders on cached representations
#
# For each model, the representations of all crops are computed once and cached
# (`<cache>/features/<model>/`); one decoder per class then trains on the cached training vectors and is
# scored on the val crops (pixel accuracy, pooled over the class's crops). The encoder is asserted
# unchanged afterwards.

# %% tags=["nbval-ignore-output"]
result = run_table5(cfg)
models = {m: ROW_NAMES.get(m, m) for m in result.accuracy}
label = "synthetic categories, not Pascal-Part" if result.synthetic else "Pascal-Part"
table = dict(result.table())
table["Per-pixel prior (no representation)"] = result.prior
ours = table5.render(table, caption=f"Our Table 5 ({label}; pixel accuracy, %)")
glue("table5_ours", ours, display=False)
ours

# %% [markdown]
# ## Beside the paper
#
# The paper's Table 5 (supplement, Section C), and ours minus the paper's for the models that stand for
# its rows (our supervised model for "ImageNet Supervised", MoCo v2 on images for "ImageNet MOCOv2", the
# frame temporal invariance model with tracks for "Ours Region Tracker"). On the synthetic stand-in the
# columns are other categories, so only Avg. is compared.

# %% tags=["nbval-ignore-output"]
display(table5.render_paper())
display(table5.render(result.difference(), signed=True, caption="Ours − paper (points)"))

# %% [markdown]
# ## What the decoders paint
#
# One val crop per class: the crop, its ground-truth parts, and each model's predicted part map
# (dark grey: background; light grey: ignored pixels).

# %% tags=["nbval-ignore-output"]
fig = finish(table5.plot_examples(result, models))
glue("table5_examples", fig, display=False)
fig

# %% [markdown]
# ## What we saw

# %% tags=["nbval-ignore-output"]
record("05_part_segmentation", {f"{row}.avg": acc["Avg."] for row, acc in table.items()},
       headline={"table5_avg": result.avg_by_model()})
summary = Text(table5.summary_text(result, models))
glue("table5_summary", summary, display=False)
summary
