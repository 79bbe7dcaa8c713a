"""The track score of Section B, "Generating Tracks" (Eq. 4 and Eq. 5).

"The matching score between region z_i^r and a region z_j^{r'} is defined as the cosine similarity between
their features f i.e. max(0, d_cos(f(z_i^r), f(z_j^{r'}))) ... The score of a track from region z_i^r to
region z_j^{r'} is defined using the following recursive expression:

    S(z_i^r, z_j^{r'}) = sum_k (j-i-1)/(j-i) S(z_i^r, z_{j-1}^k) * max(0, d_cos(f(z_{j-1}^k), f(z_j^{r'})))   (4)
    S(z_t^r, z_{t+1}^k) = max(0, d_cos(f(z_t^r), f(z_{t+1}^k)))   for all r, t, k                           (5)"

Notation. Frame t has R_t regions with features F_t (R_t x d). The similarity matrix between consecutive
frames is M_t = max(0, cos(F_t, F_{t+1})) (R_t x R_{t+1}, ``region_similarities``), and S(i->j) is the
R_i x R_j matrix of scores S(z_i^r, z_j^{r'}).

Identity. S(i->j) = (1/(j-i)) M_i M_{i+1} ... M_{j-1}.
    Proof by induction on n = j - i. n = 1: Eq. 5 says S(i->i+1) = M_i = (1/1) M_i. Step: the sum over k
    in Eq. 4 is the (r, r') entry of the matrix product S(i->j-1) M_{j-1}, so Eq. 4 reads
    S(i->j) = ((n-1)/n) S(i->j-1) M_{j-1}; with the hypothesis S(i->j-1) = (1/(n-1)) M_i ... M_{j-2} this
    is (1/n) M_i ... M_{j-1}.  (Equivalently the factors telescope: 1/2 * 2/3 * ... * (n-1)/n = 1/n.)
    So the score of a track is the sum over every path of regions r = k_i, k_{i+1}, ..., k_j = r' of the
    product of the similarities along the path, divided by the number of steps. Eq. 4 alone is not
    usable at j = i + 1 (its weight is 0), which is why Eq. 5 is the base case.

Scale. Entries of M_t lie in [0, 1], but a product of n matrices with R regions can reach R^(n-1) (every
path counts), e.g. 300^58 ~ 1e143 for a 60-frame chunk: beyond float32 (3e38) and, for larger R or longer
chains, beyond float64 (1.8e308). ``log_track_scores`` therefore carries a running log scale per row: row r
of S(i->j) depends only on row r of S(i->j-1), so each row may be divided by its own maximum after every
product and the logarithm of that maximum added to the row's scale — exact up to rounding, never
overflowing. Entries that are exactly 0 (no path with positive similarity) get log score -inf.

Threads. The products run in float64 with torch on one thread (``repro.runtime.torch_threads``). Parallelism comes from
processes (``repro.tracks.pipeline``); on a 2-core machine whose cores are busy, multi-threaded BLAS made
100 x 100 products up to 100x slower (spinning threads), while one thread costs ~0.3 ms per product.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import torch

from ..runtime import torch_threads


def _as_float64(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _t(x) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(_as_float64(x)))


def region_similarities(features: Sequence, center: bool = False) -> list[np.ndarray]:
    """M_t = max(0, cos(F_t, F_{t+1})) for t = 0 .. T-2 (Eq. 5's matching score), float64.

    Args:
        features: T arrays or tensors F_t of shape R_t x d (R_t may differ per frame, R_t may be 0).
        center: subtract the mean feature of all regions of all T frames first (not in the paper, which
            uses f as it is; ``TrackConfig.center_features``). Layer-3 features are outputs of a ReLU, so
            their cosine is never negative and max(0, .) never acts; for a randomly initialised f it is
            about 0.98 for any two regions, which makes every track equally likely. Centring removes the
            component all regions share, so that cos measures how two regions differ from the average.
    Returns:
        T-1 matrices, M_t of shape R_t x R_{t+1}. A zero feature vector has similarity 0 with everything.
    """
    F = [_as_float64(f) for f in features]
    for t, f in enumerate(F):
        if f.ndim != 2:
            raise ValueError(f"features of frame {t} must be R_t x d, got shape {f.shape}")
    if len({f.shape[1] for f in F}) > 1:
        raise ValueError(f"all frames need the same feature width d, got {sorted({f.shape[1] for f in F})}")
    if center and F:
        mean = np.concatenate(F).mean(axis=0) if sum(len(f) for f in F) else 0.0  # d
        F = [f - mean for f in F]
    U = []
    for f in F:
        norm = np.linalg.norm(f, axis=1, keepdims=True)  # R_t x 1
        U.append(torch.from_numpy(np.divide(f, norm, out=np.zeros_like(f), where=norm > 0)))
    with torch_threads(1):
        return [(U[t] @ U[t + 1].T).clamp_(min=0.0).numpy() for t in range(len(U) - 1)]  # M_t: R_t x R_{t+1}


def _check_range(similarities: Sequence, i: int, j: int) -> None:
    T = len(similarities) + 1
    if not (0 <= i < j < T):
        raise ValueError(f"need 0 <= i < j < {T} (the number of frames), got i={i}, j={j}")
    for t in range(i, j - 1):
        a, b = similarities[t], similarities[t + 1]
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"M_{t} is {a.shape} but M_{t + 1} is {b.shape}: region counts disagree")


def track_scores(similarities: Sequence, i: int, j: int) -> np.ndarray:
    """S(i->j) of Eq. 4 with Eq. 5 as the base case, as written, in float64 (R_i x R_j).

    Evaluated bottom-up: S(i->i+1) = M_i (Eq. 5), then for l = i+2 .. j
    S(i->l)[r, r'] = sum_k (l-i-1)/(l-i) * S(i->l-1)[r, k] * M_{l-1}[k, r'] (Eq. 4), the sum over k being a
    matrix product. Large chains overflow (to inf); use ``log_track_scores`` for them.
    """
    _check_range(similarities, i, j)
    with torch_threads(1):
        S = _t(similarities[i])  # S(i->i+1): R_i x R_{i+1}
        for l in range(i + 2, j + 1):
            S = ((l - i - 1) / (l - i)) * (S @ _t(similarities[l - 1]))  # S(i->l): R_i x R_l
    return S.numpy()


def log_track_score_chain(
    similarities: Sequence, i: int, js: Sequence[int] | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields (j, log S(i->j)) for the requested ``js`` (default: every j > i), in increasing j.

    One pass of matrix products M_i M_{i+1} ... with a running per-row log scale (module docstring), so
    all targets j of one source frame i cost one chain: j - i - 1 products of R x R matrices.
    """
    T = len(similarities) + 1
    js = sorted(set(range(i + 1, T) if js is None else (int(j) for j in js)))
    if not js:
        return
    _check_range(similarities, i, js[-1])
    wanted = set(js)
    P = _t(similarities[i]).clone()  # P: R_i x R_{i+1}
    scale = torch.zeros(P.shape[0], dtype=torch.float64)  # log scale per row: R_i
    for l in range(i + 1, js[-1] + 1):  # invariant: S(i->l) = diag(e^scale) P / (l-i)
        with torch_threads(1):  # (not held across the yield)
            if l > i + 1:
                P = P @ _t(similarities[l - 1])  # R_i x R_l
            if P.numel():
                m = P.amax(dim=1)  # R_i
                m[m <= 0] = 1.0  # an all-zero row stays zero (-inf)
                P /= m[:, None]
                scale += torch.log(m)
            out = None
            if l in wanted:
                out = torch.log(P)  # -inf where the score is 0
                out += (scale - np.log(l - i))[:, None]
        if out is not None:
            yield l, out.numpy()


def log_track_scores(similarities: Sequence, i: int, j: int) -> np.ndarray:
    """log S(i->j) (natural log, float64, R_i x R_j): finite wherever S > 0 and -inf where S = 0, for
    chains where S itself overflows (e.g. 60 frames x 300 regions)."""
    _check_range(similarities, i, j)
    return next(log_track_score_chain(similarities, i, [j]))[1]
