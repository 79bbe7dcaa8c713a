"""Section A: the invariance measure of Goodfellow et al. [28] and the supplement's class-conditional one.

Notation (Goodfellow et al. 2009, "Measuring invariances in deep networks"; supplement, Section A):

    h_i(x)   activation of hidden unit i on sample x            (``acts``: N x n)
    s_i, t_i sign and threshold of unit i; it fires on x, f_i(x) = 1, when s_i·h_i(x) > t_i
    G(i)     global firing rate: the fraction of all N samples on which unit i fires
    T(z)     the local trajectory that sample z belongs to (z included)
    Z        the samples on which unit i fires
    L(i)     local firing rate: the mean over z in Z of the fraction of T(z) that fires
    I(i)     = L(i) / G(i), the invariance score of unit i
    G_y, L_y, I_y   the class-conditional versions: "For a specific class y, we choose the threshold such
             that the global firing rate is G_y(i) = P(y)"; "separate local firing rates considering the
             local trajectories for each class L_y(i)"; "I_y(i) = L_y(i)/G_y(i)" (supplement, Section A)
    Eq. 3    I(f) = 1/|Y| sum_y 1/K max_{|C|=K} sum_{i in C} I_y(i)

Choices the texts leave open (each is a parameter where an alternative reading exists):

* Thresholds: for a firing rate rho the threshold of a unit is its (m+1)-th largest activation with
  m = max(1, round(rho·N)) (Python's round, half to even), so exactly m samples fire when there are no
  ties at the threshold; with ties fewer fire, and every score uses the *realised* rate G (never the
  nominal rho). For the class-conditional measure rho = P(y) = N_y/N, so m_y = N_y.
* Local firing rate (``local_rate="firing"``, the default): Z is the set of firing samples and T(z) is
  z's own trajectory, so L(i) = sum_T c_T·(c_T/|T|) / sum_T c_T with c_T the number of firing members
  of trajectory T; L(i) = 0 where the unit never fires. Goodfellow et al. define Z and T(z) this way
  with a trajectory *centred* on each z; here trajectories partition the samples and carry no centre.
  ``local_rate="all"`` is the reading of the main paper's notation, L_y(i) = 1/|X_y| sum_{x in X_y}
  1/|T(x)| sum_{x' in T(x)} f_i(x'). Because trajectories partition the samples, that sum collapses to
  the fraction of class-y samples that fire (trajectories cancel out): it measures discrimination, not
  invariance, and makes Goodfellow's I(i) identically 1 (the chapter shows this).
* I(i) = 0 where G(i) = 0 (a unit constant over the data never fires).
* The G in I = L / G (``global_rate``): "realised", the share of samples that do fire, or "nominal", the
  rate the threshold aims at (rho, or P(y): "we choose the threshold such that the global firing rate is
  G_y(i) = P(y)", which the supplement takes as met). They differ only where ties at the threshold keep a
  unit from firing on m samples: after a ReLU, a unit that is zero on all but a few samples has its threshold
  at 0 and fires on fewer, so its realised G is small and its realised I large. Defaults: "realised" for
  Goodfellow's measure (his definition of G; at rho = 0.01 ties are rare), "nominal" for the class-conditional
  one, decided on activations of known invariance (``benchmarks/gy_known_answer.py``): there the realised
  reading scored a representation with no invariance but half its units sparse (5.67) above a dense one with
  60% of its variance invariant (4.56), while P(y) ranked every case by its invariance (Spearman 0.97
  against 0.71).
* ``signed=True``: "the better of s_i = +1 and -1" per unit (and per class for the class-conditional
  measure), ties going to +1.

Every function is vectorised in torch on the device of ``acts``: counts are exact, rates are float64,
and units are processed in blocks only to bound the memory of temporaries (no loop over units,
trajectories or classes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

LOCAL_RATES = ("firing", "all")
GLOBAL_RATES = ("realised", "nominal")

# Temporaries hold at most about this many elements per block of units (sample count x block width).
_BLOCK_ELEMENTS_CPU = 1 << 22
_BLOCK_ELEMENTS_CUDA = 1 << 26


@dataclass(frozen=True)
class InvarianceResult:
    """What a measure computed. Unit tensors are ``n`` (Goodfellow) or ``C x n`` (class-conditional,
    row c for class ``classes[c]``), float64 on the device of the activations.

    score:        the measure: mean I of the top units (Goodfellow) or Eq. 3 (class-conditional)
    unit_scores:  I(i) or I_y(i)
    thresholds:   t_i or t_{y,i}, in the s·h space (a unit fires when sign·h > threshold)
    signs:        s_i (+1 / -1; all +1 unless ``signed=True``)
    global_rates: G(i) or G_y(i), realised
    local_rates:  L(i) or L_y(i)
    top_units:    indices of the units averaged into ``score`` (K, or C x K)
    classes:      class values in row order (None for Goodfellow's measure)
    """

    score: float
    unit_scores: torch.Tensor
    thresholds: torch.Tensor
    signs: torch.Tensor
    global_rates: torch.Tensor
    local_rates: torch.Tensor
    top_units: torch.Tensor
    classes: tuple | None = None


# --------------------------------------------------------------------------- public measures
def goodfellow_invariance(
    acts: Any,
    trajectory_ids: Any,
    firing_rate: float = 0.01,
    top_fraction: float = 0.2,
    local_rate: str = "firing",
    signed: bool = False,
    global_rate: str = "realised",
) -> InvarianceResult:
    """The invariance measure of Goodfellow et al. [28] as the supplement describes it.

    "In [28], the threshold for each hidden unit is chosen to be a constant such that the global firing
    rate is 0.01 (i.e. the hidden unit fires on 1% of all samples)"; "a single local firing rate is
    computed across all local trajectories of all classes (denoted by L(i) in [28])"; "the Top-K hidden
    units are chosen across all classes".

    acts:           N x n activations (torch tensor or numpy array)
    trajectory_ids: N, the local trajectory of each sample (any integer or string ids)
    firing_rate:    global firing rate rho of the threshold, in (0, 1) (Goodfellow et al.: 0.01)
    top_fraction:   share of units whose mean I is the score, in (0, 1]; ceil(top_fraction·n) units
                    (Goodfellow et al.: 0.2)
    local_rate:     "firing" (Z = firing samples, Goodfellow's definition) or "all" (see module doc)
    signed:         per unit the better of s_i = +1 and -1 (the main paper allows either sign)
    global_rate:    the G of I = L / G: "realised" (default) or "nominal" (see module doc)
    """
    acts_t = _activations(acts)
    N, n = acts_t.shape
    if not 0.0 < float(firing_rate) < 1.0:
        raise ValueError(
            f"firing_rate must lie in (0, 1), got {firing_rate}; Goodfellow et al. use 0.01 "
            "(the unit fires on 1% of all samples)"
        )
    if not 0.0 < float(top_fraction) <= 1.0:
        raise ValueError(
            f"top_fraction must lie in (0, 1], got {top_fraction}; Goodfellow et al. use 0.2 (the top 20% of units)"
        )
    _check_rates(local_rate, global_rate)
    groups = _groups(acts_t, trajectory_ids, labels=None)
    K = max(1, math.ceil(float(top_fraction) * n - 1e-9))  # ceil, robust to 0.7*10 = 7.0000001
    ranks = torch.tensor([max(1, round(float(firing_rate) * N))], device=acts_t.device)
    stats = _firing_statistics(acts_t, groups, ranks, local_rate, signed, global_rate)
    top = torch.topk(stats.I[0], K).indices  # top units: K
    return InvarianceResult(
        score=float(stats.I[0, top].mean()),
        unit_scores=stats.I[0],
        thresholds=stats.t[0],
        signs=stats.s[0],
        global_rates=stats.G[0],
        local_rates=stats.L[0],
        top_units=top,
        classes=None,
    )


def class_conditional_invariance(
    acts: Any,
    trajectory_ids: Any,
    labels: Any,
    top_k: int,
    local_rate: str = "firing",
    signed: bool = False,
    global_rate: str = "nominal",
) -> InvarianceResult:
    """The supplement's measure (Section A, Eq. 3): class-dependent thresholds and local firing rates.

    "For a specific class y, we choose the threshold such that the global firing rate is G_y(i) = P(y)
    (i.e. the fraction of samples having label y)"; "separate local firing rates considering the local
    trajectories for each class L_y(i)"; "I_y(i) = L_y(i)/G_y(i). The Top-K hidden units are chosen for
    each class separately"; score = Eq. 3. P(y) is the empirical prior, so non-uniform class priors get
    their own thresholds ("the heuristic presented in the main paper ... is only applicable for datasets
    with uniform distribution of labels where G_y(i) = P(y) = 1/|Y|").

    acts:           N x n activations
    trajectory_ids: N, the local trajectory of each sample
    labels:         N, class of each sample, constant within a trajectory (at least two classes)
    top_k:          K of Eq. 3, 1 <= K <= n (the released script reports K = 10 and 25)
    local_rate:     "firing" (default) or "all" (see module doc)
    signed:         per class and unit the better of s = +1 and -1
    global_rate:    the G_y of I_y = L_y / G_y: "nominal", P(y) (default), or "realised" (see module doc)
    """
    acts_t = _activations(acts)
    N, n = acts_t.shape
    _check_top_k(top_k, n, "top_k")
    _check_rates(local_rate, global_rate)
    groups = _groups(acts_t, trajectory_ids, labels=labels)
    if groups.num_classes < 2:
        raise ValueError(
            "class_conditional_invariance needs at least two classes (with one class P(y) = 1 "
            "and every unit fires on every sample); pass the class labels of the samples, or "
            "use goodfellow_invariance"
        )
    ranks = groups.class_size.clamp(min=1)  # m_y = round(P(y)·N) = N_y
    stats = _firing_statistics(acts_t, groups, ranks, local_rate, signed, global_rate)
    top = torch.topk(stats.I, int(top_k), dim=1)  # per class: C x K
    return InvarianceResult(
        score=float(top.values.mean(dim=1).mean()),
        unit_scores=stats.I,
        thresholds=stats.t,
        signs=stats.s,
        global_rates=stats.G,
        local_rates=stats.L,
        top_units=top.indices,
        classes=groups.classes,
    )


def released_code_invariance(
    acts: Any, trajectory_ids: Any, labels: Any, top_ks: Sequence[int] = (10, 25)
) -> dict[int, float]:
    """What the authors' released ``measure_invariances.py`` prints, which differs from the text.

    * firing percent p = min((1 - 1/C)·100, 95) for C classes ("5% is a good max firing rate");
    * index = floor(N·p/100) into each unit's ascending sort gives the positive threshold, into its
      descending sort the negative one; G = fraction of samples with h >= positive threshold;
    * trajectories with fewer than 3 samples are skipped; per trajectory and unit,
      firing = max(#(h > positive threshold), #(h < negative threshold)) ("Choose best sign");
    * L_y = mean of firing/|T| over the class-y trajectories where firing > 0 ("only consider the sets
      where at least one image fires"), divided by (count + 1e-20) as in the script;
    * per class the mean of the top-k of L_y/G, averaged over classes, times (100 - p).

    Differences from the text: one threshold for all classes (not G_y = P(y)), G capped at 5%, a sign
    per trajectory rather than per unit, trajectories that never fire left out of L_y, and the
    reported number scaled by 100 - p. Returns {k: value} for each k in ``top_ks``.
    """
    acts_t = _activations(acts)
    N, n = acts_t.shape
    top_ks = tuple(top_ks)
    if not top_ks:
        raise ValueError("top_ks is empty; the released script reports top_ks=(10, 25)")
    for k in top_ks:
        _check_top_k(k, n, "each of top_ks")
    top_ks = tuple(int(k) for k in top_ks)
    groups = _groups(acts_t, trajectory_ids, labels=labels)
    C = groups.num_classes
    firing_percent = min((1.0 - 1.0 / C) * 100, 95)  # as in the script
    index = int((N * firing_percent) // 100)
    k_extreme = N - index  # asc[index] = desc[k_extreme - 1]

    dev = acts_t.device
    T = groups.num_trajectories
    local_firing = torch.zeros(C, n, dtype=torch.float64, device=dev)
    local_count = torch.zeros(C, n, dtype=torch.float64, device=dev)
    G = torch.empty(n, dtype=torch.float64, device=dev)
    valid = (groups.traj_size >= 3).to(torch.float64)[:, None]  # trajectories of >= 3 samples: T x 1
    for j0, j1 in _blocks(acts_t):
        a = acts_t[:, j0:j1]  # N x b (view)
        ext = _extremes(a, k_extreme, (1, -1))
        pos, neg = ext[1][:, -1], ext[-1][:, -1]  # asc[index], desc[index]: b
        G[j0:j1] = (a >= pos).sum(0).to(torch.float64) / N
        c_pos = _trajectory_counts(a > pos, groups.traj, T)  # T x b
        c_neg = _trajectory_counts(a < neg, groups.traj, T)  # T x b
        firing = torch.maximum(c_pos, c_neg)  # "Choose best sign": T x b
        fired = (firing > 0).to(torch.float64) * valid  # T x b
        local_firing[:, j0:j1].index_add_(0, groups.traj_label, fired * firing / groups.traj_size[:, None])
        local_count[:, j0:j1].index_add_(0, groups.traj_label, fired)
    L = local_firing / (local_count + 1e-20)  # C x n
    scores = L / G  # C x n
    ordered = torch.sort(scores, dim=1, descending=True).values
    return {k: float(ordered[:, :k].mean(dim=1).mean() * (100 - firing_percent)) for k in top_ks}


def measure_variants(
    acts: Any,
    trajectory_ids: Any,
    labels: Any,
    firing_rate: float = 0.01,
    top_fraction: float = 0.2,
    top_ks: Sequence[int] = (10, 25),
) -> dict[str, float]:
    """Every measure and variant the chapter compares, by name: Goodfellow's (unsigned, signed), the
    class-conditional Eq. 3 for each K (firing reading, signed, "all" reading) and the released script's
    numbers for each K. (Goodfellow's measure under the "all" reading is identically 1 and left out.)"""
    out = {
        "Goodfellow": goodfellow_invariance(acts, trajectory_ids, firing_rate, top_fraction).score,
        "Goodfellow, signed": goodfellow_invariance(acts, trajectory_ids, firing_rate, top_fraction, signed=True).score,
    }
    for k in top_ks:
        out[f"class-conditional K={k}"] = class_conditional_invariance(acts, trajectory_ids, labels, k).score
        out[f"class-conditional K={k}, signed"] = class_conditional_invariance(
            acts, trajectory_ids, labels, k, signed=True
        ).score
        out[f"class-conditional K={k}, all"] = class_conditional_invariance(
            acts, trajectory_ids, labels, k, local_rate="all"
        ).score
    for k, v in released_code_invariance(acts, trajectory_ids, labels, top_ks).items():
        out[f"released K={k}"] = v
    return out


# --------------------------------------------------------------------------- core
@dataclass(frozen=True)
class _Groups:
    traj: torch.Tensor  # N, trajectory index in [0, T)
    traj_size: torch.Tensor  # T, float64
    traj_label: torch.Tensor  # T, class index in [0, C) (all 0 without labels)
    label: torch.Tensor  # N, class index
    class_size: torch.Tensor  # C, long
    classes: tuple | None

    @property
    def num_trajectories(self) -> int:
        return int(self.traj_size.numel())

    @property
    def num_classes(self) -> int:
        return int(self.class_size.numel())


@dataclass(frozen=True)
class _Stats:
    t: torch.Tensor  # thresholds in the s·h space: C x n
    s: torch.Tensor  # signs: C x n
    G: torch.Tensor
    L: torch.Tensor
    I: torch.Tensor


def _firing_statistics(
    acts: torch.Tensor, g: _Groups, ranks: torch.Tensor, local_rate: str, signed: bool, global_rate: str = "realised"
) -> _Stats:
    """Thresholds, G (realised), L and I = L / G for every class (row) and unit (column); with
    ``global_rate="nominal"`` I divides by the aimed-at rate m_c / N instead.

    Class c's threshold is the (m_c+1)-th most extreme activation of a unit over *all* samples (m_c =
    ``ranks[c]``); each sample is compared with the threshold of its own class; c_T counts firing members
    per trajectory and L_c pools the trajectories of class c.
    """
    N, n = acts.shape
    C, T = ranks.numel(), g.num_trajectories  # C = 1: Goodfellow's measure
    sample_class = g.label if C > 1 else None  # whose threshold each sample meets
    class_size = g.class_size.to(torch.float64)
    k = min(N, int(ranks.max()) + 1)  # order statistics needed per unit
    idx = ranks.clamp(max=N - 1)
    everyone = ranks >= N  # m = N: every sample fires
    out = {
        s: [torch.empty(C, n, dtype=torch.float64, device=acts.device) for _ in range(4)]
        for s in ((1, -1) if signed else (1,))
    }
    for j0, j1 in _blocks(acts):
        a = acts[:, j0:j1]  # N x b (view)
        extremes = _extremes(a, k, tuple(out))
        for sign, (t_out, G_out, L_out, I_out) in out.items():
            ext = extremes[sign]  # b x k, most extreme first
            t = ext[:, idx].T  # (m+1)-th most extreme: C x b
            if sign > 0:
                t = t.masked_fill(everyone[:, None], -math.inf)
                # strictly above t: all among the k largest (t is one of them)
                above = k - torch.searchsorted(ext.flip(1).contiguous(), t.T.contiguous(), right=True)
                fire = a > (t if sample_class is None else t.index_select(0, sample_class))  # N x b
            else:
                t = t.masked_fill(everyone[:, None], math.inf)
                above = torch.searchsorted(ext.contiguous(), t.T.contiguous(), right=False)
                fire = a < (t if sample_class is None else t.index_select(0, sample_class))  # N x b
            G = above.T.to(torch.float64) / N  # C x b
            c = _trajectory_counts(fire, g.traj, T)  # c_T: T x b
            L = _local_rate(c, g.traj_size, g.traj_label, class_size, C, local_rate)
            t_out[:, j0:j1] = sign * t.to(torch.float64)
            G_out[:, j0:j1] = G
            L_out[:, j0:j1] = L
            D = G if global_rate == "realised" else (ranks.clamp(max=N).to(torch.float64) / N)[:, None].expand_as(G)
            I_out[:, j0:j1] = torch.where(G > 0, L / D.clamp(min=1e-300), torch.zeros_like(L))
    t, G, L, I = out[1]
    s = torch.ones(C, n, dtype=torch.int8, device=acts.device)
    if signed:
        t_n, G_n, L_n, I_n = out[-1]
        neg = I_n > I  # ties go to s = +1
        t, G, L, I = (torch.where(neg, x_n, x) for x, x_n in ((t, t_n), (G, G_n), (L, L_n), (I, I_n)))
        s = torch.where(neg, -s, s)
    return _Stats(t=t, s=s, G=G, L=L, I=I)


def _local_rate(
    c: torch.Tensor,
    traj_size: torch.Tensor,
    traj_class: torch.Tensor,
    class_size: torch.Tensor,
    C: int,
    local_rate: str,
) -> torch.Tensor:
    """L per class from firing counts c (T x b, float64)."""
    frac = c / traj_size[:, None]  # fraction of T that fires: T x b
    L = torch.zeros(C, c.shape[1], dtype=torch.float64, device=c.device)
    if local_rate == "firing":
        # mean over firing z of the fraction of T(z) firing: sum_T c_T·(c_T/|T|) / sum_T c_T
        num = L.index_add(0, traj_class, c * frac)
        den = torch.zeros_like(L).index_add_(0, traj_class, c)
        return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))
    # every sample x of the class with its trajectory: 1/|X_y| sum_x 1/|T(x)| sum_{x' in T(x)} f(x')
    #   = 1/|X_y| sum_T |T|·(c_T/|T|) = 1/|X_y| sum_T c_T   (summed exactly, so Goodfellow's I is exactly 1)
    return L.index_add_(0, traj_class, c) / class_size[:, None]


def _trajectory_counts(fire: torch.Tensor, traj: torch.Tensor, T: int) -> torch.Tensor:
    """c_T: firing members of each trajectory (N x b bool -> T x b float64; exact counts)."""
    c = torch.zeros(T, fire.shape[1], dtype=torch.float32, device=fire.device)
    return c.index_add_(0, traj, fire.to(torch.float32)).to(torch.float64)  # exact below 2**24


def _extremes(a: torch.Tensor, k: int, sides: tuple[int, ...]) -> dict[int, torch.Tensor]:
    """The k most extreme values of each column of ``a`` (N x b, a view): side +1 the largest
    (descending), side -1 the smallest (ascending); each b x k.

    The order statistic per unit is the floor of every threshold-based measure. On the CPU one NumPy
    sort of the block along the sample axis gives both sides: NumPy's SIMD sort is about 10x faster than
    torch.sort here, and unlike a partial selection (np.partition, torch.topk) it does not slow down on
    the many tied zeros of ReLU features (benchmarks/bench_invariance.py). Elsewhere torch.topk.
    """
    N = a.shape[0]
    if a.device.type == "cpu":
        ordered = np.sort(a.numpy(), axis=0)  # N x b, ascending
        out = {1: ordered[: N - k - 1 : -1] if k < N else ordered[::-1], -1: ordered[:k]}
        return {side: torch.from_numpy(np.ascontiguousarray(out[side].T)) for side in sides}
    return {side: torch.topk(a, k, dim=0, largest=side > 0, sorted=True).values.T.contiguous() for side in sides}


def _blocks(acts: torch.Tensor):
    N, n = acts.shape
    budget = _BLOCK_ELEMENTS_CUDA if acts.device.type == "cuda" else _BLOCK_ELEMENTS_CPU
    b = max(1, min(n, budget // max(N, 1)))
    for j0 in range(0, n, b):
        yield j0, min(n, j0 + b)


# --------------------------------------------------------------------------- inputs
def _activations(acts: Any) -> torch.Tensor:
    if isinstance(acts, np.ndarray):
        if acts.dtype.kind not in "biuf":
            raise ValueError(f"acts must hold numbers, got dtype {acts.dtype}")
        acts = torch.from_numpy(np.ascontiguousarray(acts))
    elif not isinstance(acts, torch.Tensor):
        raise ValueError(f"acts must be a torch tensor or numpy array (N x n), got {type(acts).__name__}")
    if acts.ndim != 2:
        raise ValueError(
            f"acts must be 2-D, N samples x n hidden units, got shape {tuple(acts.shape)}; "
            "flatten or pool the representation first (repro.invariance.extract_features "
            "average-pools spatial maps)"
        )
    if acts.shape[0] < 2 or acts.shape[1] < 1:
        raise ValueError(f"acts has shape {tuple(acts.shape)}; at least 2 samples and 1 unit are needed")
    acts = acts.detach()
    if acts.dtype not in (torch.float32, torch.float64):
        acts = acts.to(torch.float32)
    # NaN and inf propagate into the sum (one cheap pass); only then look where (an overflow of a finite
    # sum lands here too and passes the exact check)
    finite = True if bool(torch.isfinite(acts.sum())) else torch.isfinite(acts)
    if finite is not True and not bool(finite.all()):
        bad = (~finite).nonzero()[0].tolist()
        n_nan, n_inf = int(torch.isnan(acts).sum()), int(torch.isinf(acts).sum())
        raise ValueError(
            f"acts holds {n_nan} NaN and {n_inf} infinite values (first at sample {bad[0]}, "
            f"unit {bad[1]}); thresholds and firing rates are undefined there. Drop those "
            "samples or fix the feature extraction (e.g. AMP overflow) before measuring"
        )
    return acts


def _ids(x: Any, name: str, N: int, device: torch.device) -> tuple[torch.Tensor, np.ndarray]:
    """Index in [0, U) of each of the N ids and the U distinct values (sorted)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.ndim != 1 or x.shape[0] != N:
        raise ValueError(f"{name} must be 1-D with one entry per sample (N = {N}), got shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"{name} holds NaN or infinite values; give every sample an id")
    values, inverse = np.unique(x, return_inverse=True)
    return torch.as_tensor(inverse.reshape(-1), dtype=torch.long, device=device), values


def _groups(acts: torch.Tensor, trajectory_ids: Any, labels: Any | None) -> _Groups:
    N, dev = acts.shape[0], acts.device
    traj, traj_values = _ids(trajectory_ids, "trajectory_ids", N, dev)
    T = len(traj_values)
    if T < 2:
        raise ValueError(
            f"found {T} trajectory; the local firing rate compares trajectories with the whole "
            "data set, so at least two trajectories are needed (check trajectory_ids)"
        )
    traj_size = torch.zeros(T, dtype=torch.float64, device=dev).index_add_(
        0, traj, torch.ones(N, dtype=torch.float64, device=dev)
    )
    if labels is None:
        label = torch.zeros(N, dtype=torch.long, device=dev)
        return _Groups(
            traj, traj_size, torch.zeros(T, dtype=torch.long, device=dev), label, torch.tensor([N], device=dev), None
        )
    label, class_values = _ids(labels, "labels", N, dev)
    C = len(class_values)
    lo = torch.full((T,), C, dtype=torch.long, device=dev).scatter_reduce(0, traj, label, "amin")
    hi = torch.full((T,), -1, dtype=torch.long, device=dev).scatter_reduce(0, traj, label, "amax")
    mixed = (lo != hi).nonzero().flatten()
    if mixed.numel():
        j = int(mixed[0])
        raise ValueError(
            f"labels vary inside {mixed.numel()} trajectories, e.g. trajectory "
            f"{traj_values[j].item()!r} holds classes {class_values[int(lo[j])].item()!r} and "
            f"{class_values[int(hi[j])].item()!r}; every sample of a trajectory must carry the class of "
            "its trajectory (a trajectory is one object under one transformation)"
        )
    class_size = torch.zeros(C, dtype=torch.long, device=dev).index_add_(0, label, torch.ones_like(label))
    return _Groups(traj, traj_size, lo, label, class_size, tuple(class_values.tolist()))


def _check_top_k(k: Any, n: int, name: str) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= n:
        raise ValueError(
            f"{name} must be an integer in [1, n] with n = {n} hidden units, got {k!r}; the "
            "released script uses K = 10 and 25, which needs at least 25 units"
        )


def _check_rates(local_rate: str, global_rate: str = "realised") -> None:
    if local_rate not in LOCAL_RATES:
        raise ValueError(
            f"local_rate must be one of {LOCAL_RATES}, got {local_rate!r}: 'firing' averages "
            "over the firing samples (Goodfellow et al.), 'all' over every sample of the class"
        )
    if global_rate not in GLOBAL_RATES:
        raise ValueError(
            f"global_rate must be one of {GLOBAL_RATES}, got {global_rate!r}: 'realised' divides by the "
            "share of samples that fire, 'nominal' by the share the threshold aims at (rho or P(y))"
        )
