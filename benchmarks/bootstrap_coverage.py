"""Which interval for a claim of chapter 04? Coverage of the paired trajectory bootstrap on synthetic data
whose answer is known (issue 11: a percentile interval excluded its own point estimate).

The class-conditional score (Eq. 3) at top-K is not a mean over trajectories: it picks, per class, the K
units with the highest ratio of local to global firing, and duplicated trajectories in a bootstrap draw change
both the thresholds and the local rates. So its bootstrap distribution can be shifted away from the estimate.
Here two synthetic representations A and B of known structure are scored on a very large population of
trajectories (the answer, D* = score_A - score_B there) and on many small samples of the chapter's size
(classes x trajectories x images); for each sample, every candidate interval is computed, and we count how
often it covers D* and how often it contains its own point estimate.

Generative model (post-ReLU units, as the encoders' pooled features are): for unit u of a representation,
a = max(0, mu[y, u] + t[traj, u] + e[img, u] - shift), with class means mu ~ N(0, 1), trajectory offsets
t ~ N(0, s_t[u]^2) and image noise e ~ N(0, s_i[u]^2); a representation is more invariant where s_i is
smaller. A and B differ only in their units' (s_t, s_i).

Run: ``python benchmarks/bootstrap_coverage.py --reps 100`` (one thread; minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import norm

from repro.invariance.claims import bootstrap_draws, difference_on
from repro.invariance.measures import class_conditional_invariance

LEVEL = 0.95


def representation(rng: np.random.Generator, n: int, invariant: float) -> dict:
    """Unit parameters of one representation; ``invariant`` in [0, 1] shifts image noise into trajectory."""
    s_i = rng.uniform(0.3, 1.2, n) * (1.0 - 0.6 * invariant)
    s_t = rng.uniform(0.3, 1.0, n)
    return {"s_i": s_i, "s_t": s_t}


def sample(rng, mu, reps: list[dict], classes: int, per_class: int, length: int, shift: float = 0.0):
    """Activations of each representation on ``per_class`` fresh trajectories of each class."""
    n = mu.shape[1]
    labels = np.repeat(np.arange(classes), per_class * length)
    tids = np.repeat(np.arange(classes * per_class), length)
    z_t = rng.standard_normal((classes * per_class, n))  # shared by A and B: the same trajectories
    z_i = rng.standard_normal((classes * per_class * length, n))
    out = []
    for r in reps:
        a = mu[labels] + (z_t * r["s_t"])[tids] + z_i * r["s_i"]
        out.append(np.maximum(a - shift, 0.0).astype(np.float32))
    return out, tids, labels


def score(acts, tids, labels, top_k):
    return class_conditional_invariance(acts, tids, labels, top_k).score


def intervals(a, b, tids, labels, top_k, draws, seed) -> tuple[float, dict]:
    """Point estimate and every candidate interval: percentile, basic, BCa, jackknife (normal), and the
    percentile bootstrap stratified by class (chapter 04's ``bootstrap_draws``)."""
    point, boot = bootstrap_draws(a, b, tids, labels, top_k, draws, seed, stratify=False)
    _, strat = bootstrap_draws(a, b, tids, labels, top_k, draws, seed + 1, stratify=True)
    groups = [np.flatnonzero(tids == t) for t in np.unique(tids)]
    n = len(groups)
    jack = np.array([difference_on(a, b, labels, groups, np.delete(np.arange(n), i), top_k) for i in range(n)])
    lo_q, hi_q = (1 - LEVEL) / 2, (1 + LEVEL) / 2
    q_lo, q_hi = np.quantile(boot, [lo_q, hi_q])
    out = {
        "percentile": (q_lo, q_hi),
        "basic": (2 * point - q_hi, 2 * point - q_lo),
        "stratified percentile": tuple(np.quantile(strat, [lo_q, hi_q])),
    }
    # BCa: bias correction z0 from the share of draws below the estimate, acceleration from the jackknife
    z0 = norm.ppf(np.clip((boot < point).mean(), 1e-3, 1 - 1e-3))
    d = jack.mean() - jack
    acc = (d**3).sum() / (6 * ((d**2).sum() ** 1.5) + 1e-12)
    za = norm.ppf([lo_q, hi_q])
    alphas = norm.cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
    out["BCa"] = tuple(np.quantile(boot, alphas))
    se = np.sqrt((n - 1) / n * ((jack - jack.mean()) ** 2).sum())
    out["jackknife normal"] = (point - 1.96 * se, point + 1.96 * se)
    return point, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=100)
    p.add_argument("--draws", type=int, default=300)
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--per-class", type=int, default=12)
    p.add_argument("--length", type=int, default=8)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--top-k", type=int, default=25)
    p.add_argument("--population", type=int, default=1500, help="trajectories per class of the answer")
    p.add_argument("--inv-a", type=float, default=0.6, help="invariance of A's units, in [0, 1]")
    p.add_argument("--inv-b", type=float, default=0.2, help="and of B's")
    p.add_argument("--shift", type=float, default=0.0, help="subtracted before the ReLU: sparser units")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    mu = rng.standard_normal((args.classes, args.units))
    reps = [representation(rng, args.units, args.inv_a), representation(rng, args.units, args.inv_b)]
    t0 = time.perf_counter()
    (pa, pb), pt, pl = sample(rng, mu, reps, args.classes, args.population, args.length, args.shift)
    truth = score(pa, pt, pl, args.top_k) - score(pb, pt, pl, args.top_k)
    (ha, hb), ht, hl = sample(rng, mu, reps, args.classes, args.population // 2, args.length, args.shift)
    half = score(ha, ht, hl, args.top_k) - score(hb, ht, hl, args.top_k)
    sa = score(pa, pt, pl, args.top_k)
    print(
        f"answer D* = {truth:.3f} (score A {sa:.3f}, B {sa - truth:.3f}; {args.population} trajectories a class; "
        f"D* = {half:.3f} with half of them)"
    )
    cover, holds_point, width, points = {}, {}, {}, []
    for r in range(args.reps):
        (a, b), tids, labels = sample(rng, mu, reps, args.classes, args.per_class, args.length, args.shift)
        point, ivs = intervals(a, b, tids, labels, args.top_k, args.draws, 2 * r)
        points.append(point)
        for name, (lo, hi) in ivs.items():
            cover[name] = cover.get(name, 0) + int(lo <= truth <= hi)
            holds_point[name] = holds_point.get(name, 0) + int(lo <= point <= hi)
            width[name] = width.get(name, 0.0) + (hi - lo)
    pts = np.array(points)
    print(
        f"{args.reps} samples of {args.classes} x {args.per_class} trajectories x {args.length} images, K = "
        f"{args.top_k}, {args.draws} draws; point estimate: mean {pts.mean():.3f}, sd {pts.std():.3f} "
        f"(bias {pts.mean() - truth:+.3f}); {time.perf_counter() - t0:.0f} s"
    )
    print("| interval | covers D* | contains its point | mean width |\n|---|---:|---:|---:|")
    for name in cover:
        print(
            f"| {name} | {cover[name] / args.reps:.2f} | {holds_point[name] / args.reps:.2f} | "
            f"{width[name] / args.reps:.3f} |"
        )


if __name__ == "__main__":
    main()
