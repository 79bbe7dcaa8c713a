"""Which G_y for the class-conditional score? Both readings on activations whose invariance is known.

The supplement: "For a specific class y, we choose the threshold such that the global firing rate is G_y(i) =
P(y)" and "I_y(i) = L_y(i)/G_y(i)". After a ReLU many activations are exactly zero; a unit that is positive on
fewer than P(y)'s share of the samples has its threshold at zero and fires on fewer samples than P(y) says.
``global_rate="realised"`` divides L_y by the share that does fire, ``"nominal"`` by P(y). Chapter 04 shows the
two disagree most on the random network, whose top units are often such sparse units; this script decides
between them on data whose answer is known, without any model.

Generative model, per unit (all draws N(0, 1)): pre-activation
h = sqrt(a) * (sqrt(0.5) * u[class] + sqrt(0.5) * u[trajectory]) + sqrt(1 - a) * e[sample],
so a share ``a`` of its variance is constant along a trajectory (the true invariance) and half of that is
shared by the class. A share ``f`` of the units is sparse, ReLU(h - q97(h)) (97% exact zeros, so a threshold
at P(y) = 1/8 ties at zero); the rest are ReLU(h). Sparsity says nothing about invariance, so a good score rises
with ``a`` and not with ``f``.

Rule, written before the first run (session note): the default reading is the one whose Eq. 3 score (K = 25),
averaged over draws, has the larger Spearman correlation with ``a`` over the (a, f) grid; a tie keeps
"realised".

Run: ``python benchmarks/gy_known_answer.py`` (one thread; about a minute).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

from repro.invariance.measures import GLOBAL_RATES, class_conditional_invariance

CLASSES, TRAJECTORIES, LENGTH, UNITS, TOP_K = 8, 48, 8, 128, 25
INVARIANCE = (0.0, 0.3, 0.6, 0.9)  # a: share of a unit's variance constant along a trajectory
SPARSE_SHARE = (0.0, 0.25, 0.5)  # f: share of units with 97% exact zeros
SPARSE_ZEROS = 0.97


def activations(rng: np.random.Generator, a: float, f: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(acts: N x UNITS, trajectory ids: N, labels: N) of one representation."""
    n_traj = CLASSES * TRAJECTORIES
    labels = np.repeat(np.arange(CLASSES), TRAJECTORIES * LENGTH)  # labels: N
    traj = np.repeat(np.arange(n_traj), LENGTH)  # trajectory ids: N
    u_class = rng.standard_normal((CLASSES, UNITS))
    u_traj = rng.standard_normal((n_traj, UNITS))
    e = rng.standard_normal((n_traj * LENGTH, UNITS))
    h = np.sqrt(a) * (np.sqrt(0.5) * u_class[labels] + np.sqrt(0.5) * u_traj[traj]) + np.sqrt(1 - a) * e  # h: NxU
    sparse = np.arange(UNITS) < round(f * UNITS)
    shift = np.where(sparse, np.quantile(h, SPARSE_ZEROS, axis=0), 0.0)  # shift: U
    return np.maximum(h - shift, 0.0).astype(np.float32), traj, labels


def scores(draws: int, seed: int) -> dict[tuple[float, float], dict[str, float]]:
    """(a, f) -> reading -> Eq. 3 score at K = TOP_K, averaged over ``draws`` representations."""
    out = {}
    for a in INVARIANCE:
        for f in SPARSE_SHARE:
            rng = np.random.default_rng([seed, int(a * 100), int(f * 100)])
            sums = dict.fromkeys(GLOBAL_RATES, 0.0)
            for _ in range(draws):
                acts, traj, labels = activations(rng, a, f)
                for reading in GLOBAL_RATES:
                    sums[reading] += class_conditional_invariance(acts, traj, labels, TOP_K, global_rate=reading).score
            out[a, f] = {r: s / draws for r, s in sums.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    table = scores(args.draws, args.seed)
    print(f"| a | f | {' | '.join(GLOBAL_RATES)} |\n|---|---|{'---:|' * len(GLOBAL_RATES)}")
    for (a, f), row in table.items():
        print(f"| {a} | {f} | " + " | ".join(f"{row[r]:.2f}" for r in GLOBAL_RATES) + " |")
    truth = [a for a, _ in table]
    rho = {r: spearmanr(truth, [row[r] for row in table.values()]).statistic for r in GLOBAL_RATES}
    print("Spearman with a:", {r: round(float(v), 3) for r, v in rho.items()})
    best = max(GLOBAL_RATES, key=lambda r: (rho[r], r == "realised"))
    print(f"rule -> {best}   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
