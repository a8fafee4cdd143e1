"""Combining criterion values (0–1) into a suitability score (0–100).

Three methods, chosen by ``scoring.method`` in the zone file:

``weighted_sum``
    S = 100 · Σᵢ wᵢ vᵢ  (weighted linear combination). Fully compensatory.
``weighted_product``
    S = 100 · Πᵢ vᵢ^wᵢ. A value of 0 on any criterion with a positive weight gives 0
    (0⁰ = 1: a criterion with weight 0 never matters).
``owa``
    Ordered weighted averaging with criterion importance weights, in the form used for GIS
    land-suitability analysis (Malczewski et al. 2003, "GIS–multicriteria evaluation with ordered
    weighted averaging (OWA): case study of developing watershed management strategies",
    Environment and Planning A 35(10):1769–1784; Jiang & Eastman 2000, Int. J. Geographical
    Information Science 14(2):173–184; order weights after Yager 1988, IEEE Trans. SMC 18(1)):

        S = 100 · Σⱼ uⱼ oⱼ zⱼ / Σⱼ uⱼ oⱼ

    where z₁ ≥ z₂ ≥ … are the parcel's criterion values sorted descending, uⱼ the importance
    weight of the criterion in position j (the weights are reordered with the values) and oⱼ the
    order weights. Equal order weights give the weighted sum; equal importance weights give
    Yager's plain OWA; o = (1, 0, …) leans to the best value (OR), o = (…, 0, 1) to the worst
    (AND). Ties between equal values are ordered as the criteria are listed (stable sort). Where
    Σ uⱼ oⱼ = 0 (every criterion with importance sits at a position with order weight 0) the
    score is 0.

Every function takes the value matrix V (parcels × criteria) and either one weight vector (m,)
or a stack of weight vectors (k × m) — each summing to 1 — so sensitivity analysis can score
thousands of weightings in one matrix product.

With one weight vector each parcel's weighted sums are added criterion by criterion, in the
criteria's order (:func:`row_dot`), not by a BLAS matrix product: a BLAS kernel may add a
row's terms in another order (or fused) depending on the row's position in the block it
happens to process, so a parcel's score could differ in the last bit — and, rounded to 2
decimals, by 0.01 — between a run that scores the whole zone at once and one that scores it
partition by partition (:mod:`scoring.partitioned`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Method = Literal["weighted_sum", "weighted_product", "owa"]
METHODS: tuple[str, ...] = ("weighted_sum", "weighted_product", "owa")


def row_dot(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return, for (n, m) ``a`` and (m,) ``w``, the (n,) sums Σⱼ a[i, j]·w[j], added in
    column order so each row's result depends on that row alone; for a (k, m) stack ``w`` the
    (n, k) matrix product."""
    if w.ndim != 1:
        return a @ w.T
    if a.shape[1] == 0:
        return np.zeros(a.shape[0])
    out = a[:, 0] * w[0]
    for j in range(1, a.shape[1]):
        out += a[:, j] * w[j]
    return out


def owa_position_weights(values: np.ndarray, order_weights: np.ndarray) -> np.ndarray:
    """Return, per parcel and criterion, the order weight the criterion receives: the order
    weight of its position when the parcel's values are sorted descending. Shape (n, m)."""
    values = np.asarray(values, dtype=float)
    order_weights = np.asarray(order_weights, dtype=float)
    n, m = values.shape
    if order_weights.shape != (m,):
        raise ValueError(f"need {m} order weights, got shape {order_weights.shape}")
    order = np.argsort(-values, axis=1, kind="stable")
    out = np.empty_like(values)
    np.put_along_axis(out, order, np.broadcast_to(order_weights, (n, m)), axis=1)
    return out


def aggregate(
    values: np.ndarray,
    weights: np.ndarray,
    method: Method,
    order_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Return suitability scores 0–100 (unrounded).

    ``values`` (n, m) in [0, 1] without NaN; ``weights`` (m,) → scores (n,), or (k, m) → (n, k)
    (one column per weight vector). ``order_weights`` (m,) are needed for ``owa``.
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if w.ndim not in (1, 2):
        raise ValueError(f"weights must be (m,) or (k, m), got shape {w.shape}")
    if method == "weighted_sum":
        s = row_dot(v, w)
    elif method == "weighted_product":
        positive = v > 0
        with np.errstate(divide="ignore"):
            logv = np.where(positive, np.log(np.where(positive, v, 1.0)), 0.0)
        # 0^w = 0 for w > 0, but 0^0 = 1: a zero value only bites where its weight is positive.
        zeroed = row_dot((~positive).astype(float), (w > 0).astype(float)) > 0
        s = np.where(zeroed, 0.0, np.exp(row_dot(logv, w)))
    elif method == "owa":
        if order_weights is None:
            raise ValueError("method 'owa' needs order_weights")
        o = owa_position_weights(v, order_weights)
        num = row_dot(v * o, w)
        den = row_dot(o, w)
        s = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    return 100.0 * s


def contributions(
    values: np.ndarray,
    weights: np.ndarray,
    method: Method,
    order_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Return each criterion's share of the score in score points, shape (n, m); the rows sum to
    the (unrounded) score.

    ``weighted_sum``: 100·wᵢ·vᵢ exactly. ``owa``: 100·uᵢ·oᵢ·vᵢ / Σ u·o, exact as well (oᵢ the
    order weight of the criterion's position). ``weighted_product`` has no additive
    decomposition: the score is shared out in proportion to wᵢ·vᵢ (0 where all wᵢ·vᵢ are 0).
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise ValueError("contributions take one weight vector")
    if method == "weighted_sum":
        return 100.0 * v * w
    if method == "owa":
        if order_weights is None:
            raise ValueError("method 'owa' needs order_weights")
        uo = owa_position_weights(v, order_weights) * w
        den = row_dot(uo, np.ones(uo.shape[1]))[:, None]
        return np.divide(100.0 * uo * v, den, out=np.zeros_like(v), where=den > 0)
    if method == "weighted_product":
        score = aggregate(v, w, method)
        wv = v * w
        den = row_dot(wv, np.ones(wv.shape[1]))[:, None]
        return np.divide(score[:, None] * wv, den, out=np.zeros_like(v), where=den > 0)
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
