"""Naive references for the invariance measures, for the tests and benchmarks/bench_invariance.py.

* ``goodfellow``, ``class_conditional``: loops over units, classes, trajectories and samples, written
  straight from the definitions (module docstring of repro.invariance.measures). Slow; tiny inputs only.
* ``goodfellow_by_trajectory``, ``class_conditional_by_trajectory``: the same scores with loops over
  classes and trajectories only, vectorised over units (the way the released ``measure_invariances.py``
  is written): the benchmark's loop references at full size; a test checks them against the above.
* ``released``: the released measure_invariances.py, its loop over trajectories, minus file I/O."""

from __future__ import annotations

import math

import numpy as np


def _threshold(values: np.ndarray, m: int) -> float:
    """The (m+1)-th largest value (exactly m values lie above it when there are no ties)."""
    ordered = sorted(values.tolist(), reverse=True)
    return ordered[m] if m < len(ordered) else -math.inf


def _unit(
    h: np.ndarray, traj: np.ndarray, m: int, members: list[int], local_rate: str, signed: bool, nominal: bool = False
) -> tuple[float, float, float, float, int]:
    """(I, G, L, t, s) of one unit for one threshold rank m; ``members`` are the samples whose
    trajectories form the local rate (all samples, or those of one class); ``nominal``: I = L / (m / N)
    instead of L / G."""
    best = None
    for s in (1, -1) if signed else (1,):
        v = s * h
        t = _threshold(v, m)
        fire = [bool(v[x] > t) for x in range(len(v))]
        G = sum(fire) / len(v)
        per_sample = []
        for z in members:
            if local_rate == "firing" and not fire[z]:
                continue
            T = [x for x in range(len(v)) if traj[x] == traj[z]]
            per_sample.append(sum(fire[x] for x in T) / len(T))
        L = sum(per_sample) / len(per_sample) if per_sample else 0.0
        I = (L / (min(m, len(v)) / len(v)) if nominal else L / G) if G > 0 else 0.0
        if best is None or I > best[0]:
            best = (I, G, L, t * 1.0, s)
    return best


def goodfellow(acts, traj, firing_rate=0.01, top_fraction=0.2, local_rate="firing", signed=False):
    acts, traj = np.asarray(acts, dtype=np.float64), np.asarray(traj)
    N, n = acts.shape
    m = max(1, round(firing_rate * N))
    units = [_unit(acts[:, i], traj, m, list(range(N)), local_rate, signed) for i in range(n)]
    I = np.array([u[0] for u in units])
    K = math.ceil(top_fraction * n - 1e-9)
    return {
        "score": float(np.mean(sorted(I, reverse=True)[:K])),
        "I": I,
        "G": np.array([u[1] for u in units]),
        "L": np.array([u[2] for u in units]),
        "t": np.array([u[3] for u in units]),
        "s": np.array([u[4] for u in units]),
    }


def class_conditional(acts, traj, labels, top_k, local_rate="firing", signed=False, global_rate="nominal"):
    acts, traj, labels = np.asarray(acts, dtype=np.float64), np.asarray(traj), np.asarray(labels)
    N, n = acts.shape
    classes = sorted(set(labels.tolist()))
    I, G, L = np.zeros((len(classes), n)), np.zeros((len(classes), n)), np.zeros((len(classes), n))
    per_class = []
    for c, y in enumerate(classes):
        members = [x for x in range(N) if labels[x] == y]
        m = max(1, round(len(members) / N * N))  # P(y)·N
        for i in range(n):
            unit = _unit(acts[:, i], traj, m, members, local_rate, signed, global_rate == "nominal")
            I[c, i], G[c, i], L[c, i], _, _ = unit
        per_class.append(np.mean(sorted(I[c], reverse=True)[:top_k]))
    return {"score": float(np.mean(per_class)), "I": I, "G": G, "L": L, "classes": classes}


def goodfellow_by_trajectory(acts, traj, firing_rate=0.01, top_fraction=0.2):
    """``goodfellow(...)["score"]`` (local_rate="firing", unsigned), looping over trajectories only."""
    N, n = acts.shape
    m = max(1, round(firing_rate * N))
    t = np.sort(acts, axis=0)[N - 1 - m]  # (m+1)-th largest per unit
    fire = acts > t
    G = fire.mean(0)
    num, den = np.zeros(n), np.zeros(n)
    for tid in np.unique(traj):
        c = fire[np.where(traj == tid)[0]].sum(0)
        num += c * c / np.sum(traj == tid)
        den += c
    L = np.where(den > 0, num / np.maximum(den, 1), 0)
    I = np.where(G > 0, L / np.maximum(G, 1e-300), 0)
    K = int(np.ceil(top_fraction * n - 1e-9))
    return float(np.sort(I)[::-1][:K].mean())


def class_conditional_by_trajectory(acts, traj, labels, top_k, global_rate="nominal"):
    """``class_conditional(...)["score"]`` (local_rate="firing", unsigned), looping over classes and
    trajectories only."""
    N, n = acts.shape
    ordered = np.sort(acts, axis=0)  # ascending per unit
    per_class = []
    for y in np.unique(labels):
        members = np.where(labels == y)[0]
        m = len(members)  # round(P(y)·N)
        t = ordered[N - 1 - m] if m < N else -np.inf
        fire = acts > t
        G = fire.mean(0)
        num, den = np.zeros(n), np.zeros(n)
        for tid in np.unique(traj[members]):
            ind = np.where(traj == tid)[0]
            c = fire[ind].sum(0)
            num += c * c / len(ind)
            den += c
        L = np.where(den > 0, num / np.maximum(den, 1), 0)
        D = np.full(n, min(m, N) / N) if global_rate == "nominal" else G
        I = np.where(G > 0, L / np.maximum(D, 1e-300), 0)
        per_class.append(np.sort(I)[::-1][:top_k].mean())
    return float(np.mean(per_class))


def released(acts, traj, labels, top_ks=(10, 25)):
    """The released measure_invariances.py, loop over trajectories as in the script."""
    feat, item_ids, classes = np.asarray(acts, dtype=np.float64), np.asarray(traj), np.asarray(labels)
    unique_classes = np.unique(classes)
    firing_percent = min((1.0 - 1.0 / len(unique_classes)) * 100, 95)
    index = int((feat.shape[0] * firing_percent) // 100)
    thresholds = np.sort(feat, axis=0)[index : index + 1, :]
    global_firing = np.mean(feat >= thresholds, axis=0, keepdims=True)
    neg_thresholds = (-1 * np.sort(-1 * feat, axis=0))[index : index + 1, :]
    local_firing = [np.zeros_like(global_firing) for _ in unique_classes]
    local_count = [np.zeros_like(global_firing) for _ in unique_classes]
    for itemid in np.unique(item_ids):
        ind = np.where(item_ids == itemid)[0]
        ci = np.where(unique_classes == classes[ind[0]])[0][0]
        if len(ind) < 3:
            continue
        itemfeat = feat[ind]
        firing = np.maximum(
            np.sum(itemfeat > thresholds, axis=0, keepdims=True),
            np.sum(itemfeat < neg_thresholds, axis=0, keepdims=True),
        )
        pos = firing > 0
        local_firing[ci][pos] += firing[pos] / float(len(ind))
        local_count[ci][pos] += 1
    local = np.concatenate([local_firing[c] / (local_count[c] + 1e-20) for c in range(len(unique_classes))])
    out = {}
    for k in top_ks:
        per_class = []
        for c in range(len(unique_classes)):
            score = -np.sort(-(local[c] / global_firing[0]))
            per_class.append((np.cumsum(score) / (np.arange(len(score)) + 1))[k - 1])
        out[k] = float(np.mean(per_class) * (100 - firing_percent))
    return out
