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
# # Section A: the invariance measure, against Goodfellow et al. (2009)
#
# **Aim.** The paper measures how invariant a representation is with a modification of the measure of
# Goodfellow et al. [28]. Section A of the supplement lists the changes: a threshold per class chosen so
# that the global firing rate is $G_y(i) = P(y)$ instead of one threshold at rate 0.01, a local firing
# rate $L_y(i)$ per class instead of one pooled over all trajectories, and the top-$K$ units chosen per
# class (Eq. 3), "to measure invariances in representations while accounting for the discriminative power
# of the representations". This chapter computes both measures (and the variant that the authors'
# released script actually runs) on three kinds of data: activations whose answer is known in closed
# form (the supplement's discriminative unit), activations with class imbalance, and the representations
# this repository trains, on trajectories of viewpoint, illumination and occlusion changes. At paper
# scale the same cells read ALOI, GOT-10k and PASCAL3D+.

# %%
from IPython.display import display
from myst_nb import glue

from repro.config import from_notebook_parameters
from repro.invariance import compare_models, figures, measurement_datasets, rate_readings
from repro.train import model_checkpoints
from repro.invariance.claims import test_claims
from repro.results import record

# %% tags=["parameters"]
preset = "smoke"
seed = 0
device = "cpu"
arch = "resnet18_w16"
image_size = 32
modes = ("supervised", "images", "frames", "frames+tracks")
goodfellow_firing_rate = 0.01
goodfellow_top_fraction = 0.2
invariance_top_ks = (10, 25)
aloi_root = ""
got10k_root = ""
pascal3d_root = ""
aloi_image_size = 128
got10k_image_size = 128
pascal3d_image_size = 224

# %%
cfg = from_notebook_parameters(
    preset, seed=seed, device=device, arch=arch, image_size=image_size, modes=modes,
    goodfellow_firing_rate=goodfellow_firing_rate, goodfellow_top_fraction=goodfellow_top_fraction,
    invariance_top_ks=invariance_top_ks, aloi_root=aloi_root, got10k_root=got10k_root,
    pascal3d_root=pascal3d_root, aloi_image_size=aloi_image_size, got10k_image_size=got10k_image_size,
    pascal3d_image_size=pascal3d_image_size)
rho = cfg.invariance.goodfellow_firing_rate

# %% [markdown]
# ## Notation and the choices the texts leave open
#
# | symbol | meaning | in the code |
# |---|---|---|
# | $h_i(x)$ | activation of hidden unit $i$ on sample $x$ | `acts[x, i]` ($N \times n$) |
# | $t_i$, $s_i$ | threshold and sign: $i$ fires on $x$, $f_i(x)=1$, when $s_i h_i(x) > t_i$ | `thresholds`, `signs` |
# | $G(i)$, $G_y(i)$ | global firing rate: the share of all samples that fire (realised) | `global_rates` |
# | $T(z)$, $Z$ | the trajectory of sample $z$ ($z$ included); the samples on which $i$ fires | `trajectory_ids` |
# | $L(i)$, $L_y(i)$ | local firing rate: mean over $z \in Z$ of the fraction of $T(z)$ that fires | `local_rates` |
# | $I(i)=L/G$, $I_y(i)=L_y/G_y$ | invariance score of a unit | `unit_scores` |
# | $K$ | units averaged per class in Eq. 3 | `top_k` |
#
# * A threshold for firing rate $\rho$ is the unit's $(m+1)$-th largest activation, $m = \max(1,
#   \mathrm{round}(\rho N))$, so exactly $m$ samples fire, ties aside. For class $y$, $\rho = P(y)$ and
#   $m = N_y$. Where ties at zero (after a ReLU) keep a unit from firing on $m$ samples, $I = L/G$ can divide
#   by the realised rate (`global_rate="realised"`) or by the rate aimed at (`"nominal"`: $\rho$, or $P(y)$ as
#   the supplement writes $G_y(i) = P(y)$). Goodfellow's measure uses the realised rate (his definition;
#   at $\rho = 0.01$ ties are rare); the class-conditional measure divides by $P(y)$, a choice made on
#   activations of known invariance (section 3).
# * **Local firing rate.** Goodfellow et al. define $Z$ and $T(z)$ with a trajectory *centred* on each
#   $z$; here trajectories partition the samples and carry no centre, so $T(z)$ is $z$'s own trajectory
#   and $L(i) = \sum_T c_T \cdot (c_T/|T|) \,/\, \sum_T c_T$ with $c_T$ the number of firing members of
#   $T$ (`local_rate="firing"`, the default). The main paper's notation is also read as an average over
#   *every* sample of the class (`local_rate="all"`); with a partition that average collapses to the
#   fraction of class-$y$ samples that fire, a measure of discrimination in which trajectories play no part.
# * `signed=True` lets each unit (per class) take the better of $s_i = +1$ and $-1$.
# * The released script (`released_code_invariance`) differs from the text: one threshold pair for all
#   classes at firing percent $p = \min((1-1/C)\cdot 100, 95)$, a sign chosen per trajectory,
#   trajectories shorter than 3 or without a firing member left out, and the result scaled by $100 - p$.

# %% [markdown]
# ## 1. The analytic case: a unit that fires on every sample of its class
#
# "Consider a hidden unit that consistently has higher activations for samples of class $y$. Such a
# hidden unit is optimally invariant and discriminative, but could have lower invariance scores under the
# heuristic of [28] when a local trajectory contains a higher-scoring and a lower-scoring sample of $y$."
# We make 200 such units (class $y$ above every other sample, random order within $y$; trajectories of
# 10 within a class; $N = 2000$) for several priors $P(y)$ and compute both scores of the units. With
# $G_y = P(y)$ the unit fires on exactly the samples of $y$, so $L_y = 1$ and $I_y = 1/P(y)$, the largest
# value $I_y$ can take. Under Goodfellow's threshold only $m = \rho N$ random samples of $y$ fire, and
# the expected local rate is $E[L] = (1 + (|T|-1)(m-1)/(N_y-1))/|T|$ of a maximum of 1.

# %%
analytic, a = figures.analytic_case(rho, seed=cfg.run.seed)
figures.analytic_table(analytic)

# %%
figures.show_analytic(analytic)

# %% [markdown]
# The same units under the `"all"` reading of the local firing rate: Goodfellow's $I(i)$ becomes
# identically 1 (trajectories cancel), so it ranks nothing.

# %%
all_min, all_max = figures.all_reading_range(a, rho)
print(f"Goodfellow I(i) under local_rate='all': min {all_min:.3f}, max {all_max:.3f} over {a.acts.shape[1]} units")

# %% [markdown]
# ## 2. Class imbalance: Goodfellow's pooled local firing rate weights large classes
#
# "A single local firing rate is computed across all local trajectories of all classes ... This assigns
# higher weights to classes with larger number of samples." Here 100 units are perfectly invariant on
# the trajectories of a small class (one value per trajectory) and not at all on a large one (one value
# per sample), with the same distribution of activations in both classes ($N = 20000$, trajectories of
# 10). We grow the large class's share and compute the pooled $L(i)$ and the per-class $L_y(i)$.

# %%
imbalance = figures.imbalance_case(rho, seed=cfg.run.seed)
display(figures.imbalance_table(imbalance))
figures.show_imbalance(imbalance)

# %% [markdown]
# ## 3. The representations of this repository
#
# Every model of the training chapter (and a randomly initialised network as a baseline), measured on the
# trajectories of each transformation: both measures, their variants, and the numbers the released script
# prints ($K$ = 10 and 25). At the default scale the trajectories are the synthetic ones of the sample
# data, at the training image size; at paper scale the ALOI, GOT-10k and PASCAL3D+ readers supply them,
# resized as the authors' released configs do (`configs/feature/dataset/*.yaml`): 128 × 128 for ALOI and
# GOT-10k, 224 × 224 for PASCAL3D+ (`aloi_image_size`, `got10k_image_size`, `pascal3d_image_size`).

# %%
datasets = measurement_datasets(cfg)
models = model_checkpoints(cfg)
comparison = figures.Comparison(compare_models(cfg, datasets, models), datasets, models,
                                top_k=max(cfg.invariance.invariance_top_ks))
print(", ".join(f"{name}: {len(ds)} samples in {ds.num_trajectories} trajectories of {len(ds.categories)} classes"
                for name, ds in datasets.items()))

# %% tags=["nbval-ignore-output"]
glue("invariance_table", comparison.overview(), display=False)
for table in comparison.tables().values():
    display(table)

# %%
figures.show_comparison(comparison)

# %% [markdown]
# How the ranking of the models changes with the measure: for each variant, the models ordered by their
# score averaged over the transformations (best first), and the rank agreement (Kendall $\tau$) of each
# variant with Goodfellow's measure, per transformation, averaged.

# %% tags=["nbval-ignore-output"]
comparison.ranking_table()

# %% [markdown]
# The class-conditional measure divides each unit's local rate by its global rate, which the supplement
# takes to be exactly P(y). After a ReLU many activations are exactly zero, so a unit that is positive on
# fewer samples than P(y)'s share has its threshold at zero and fires on fewer: its realised rate is below
# P(y). Our first default divided by the realised rate; with it the random network ranked first on every
# transformation, and the table below was added to see what drives that. The choice was then made again
# on activations whose invariance is known, with the rule written down before the run
# (`benchmarks/gy_known_answer.py`: a share $a$ of each unit's variance constant along a trajectory, and a
# share of units with 97% exact zeros). There the realised reading scored a representation with no
# invariance but half of its units sparse (5.67) above a dense one with $a = 0.6$ (4.56), while dividing by
# P(y) ranked every case by its invariance (Spearman correlation with $a$: 0.97 against 0.71). Every
# class-conditional score of this chapter now divides by P(y) (`global_rate="nominal"`); the realised
# reading stays a parameter and sits beside it in the table.

# %% tags=["nbval-ignore-output"]
readings = rate_readings(cfg, datasets, models, max(cfg.invariance.invariance_top_ks))
figures.rate_readings_table(readings, max(cfg.invariance.invariance_top_ks))

# %% [markdown]
# ## 4. The paper's claims about training and invariance
#
# MoCo on images, whose augmentations crop (and so occlude) aggressively, should be more occlusion
# invariant than a random network; learning from the frames of videos, where viewpoint and light change,
# should raise viewpoint and illumination invariance over learning from images; tracks should raise
# viewpoint invariance further. Each claim is a difference of class-conditional scores (largest $K$) on one
# transformation's trajectories, with a 95% paired bootstrap interval over trajectories, resampled within
# each class so that every draw keeps the design's trajectories per class (and with them the class
# thresholds of Eq. 3); it holds when the interval is above zero. On synthetic activations whose answer is
# known, this interval covered the answer 95-99% of the time, and resampling all trajectories together
# (the first method here) gave intervals about 1.6 times too wide (`benchmarks/RESULTS.md`). At the default
# scale the patch path of `frames+tracks` reads the frame more than its box (chapter 03, *The patch path at
# 32 px*), so the claim about tracks compares `frames` with frames plus a second, object-centred frame loss,
# not with region tracking at the paper's resolution.

# %% tags=["nbval-ignore-output"]
claims = test_claims(cfg, datasets, models)
figures.claims_table(claims, max(cfg.invariance.invariance_top_ks))

# %% [markdown]
# ## What we saw

# %% tags=["nbval-ignore-output"]
summary = figures.summary(analytic, (all_min, all_max), imbalance, comparison, rho,
                          short_run=bool(cfg.train.train_steps), claims=claims, readings=readings)
glue("invariance_summary", summary, display=False)
record("04_invariance", figures.headline(analytic, imbalance, comparison),
       headline={"invariance": comparison.invariance_by_transformation()})
summary
