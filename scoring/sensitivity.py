"""How robust are parcel scores and ranks to the criterion weights?

Two analyses, both on the same criterion values and hard constraints as
:func:`scoring.suitability.score_parcels` (the constraints do not depend on the weights):

One-at-a-time (:func:`one_at_a_time`)
    Each criterion's weight in turn is scaled by each step (default −20 %, −10 %, +10 %, +20 %),
    clipped to [0, 1], and the other weights are rescaled proportionally so the weights still
    sum to 1: wⱼ' = wⱼ(1 + c), wᵢ' = wᵢ (1 − wⱼ') / (1 − wⱼ) for i ≠ j. A criterion whose
    weight is 0 stays 0; if every other weight is 0 nothing can move and the weights are kept.

Monte Carlo (:func:`monte_carlo`)
    ``n_draws`` weight vectors drawn around the chosen weights w with a seeded generator.
    ``scheme="dirichlet"`` (default): w' ~ Dirichlet(κ·w), whose mean is exactly w and whose
    spread is sd(wᵢ') = √(wᵢ(1 − wᵢ)/(κ + 1)) — κ = ``concentration``, default 100, e.g. a
    weight of 0.15 varies with sd ≈ 0.036. ``scheme="uniform"``: wᵢ' = wᵢ·U(1 − s, 1 + s)
    independently (s = ``spread``, default 0.2), then renormalised to sum 1. Criteria with
    weight 0 stay 0 in both.

Ranks: 1 = best, competition ranking of the rounded score among the *non-excluded* parcels
(ties share the better rank). Excluded parcels are not ranked: their rank statistics are NaN.
All weightings are scored at once as a matrix product (values @ weightsᵀ), in chunks of draws
to bound memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gis.errors import ConfigError
from gis.messages import msg
from scoring.suitability import EXCLUDED_CLASS, ScoringInputs, class_index, prepare, rank_scores
from scoring.zone import Scoring

DEFAULT_STEPS: tuple[float, ...] = (-0.2, -0.1, 0.1, 0.2)
DEFAULT_CONCENTRATION = 100.0
DEFAULT_SPREAD = 0.2
_CHUNK_CELLS = 4_000_000  # parcels × draws scored at once (≈ 32 MB of float64)


# --------------------------------------------------------------------------- one at a time


def perturb_weights(weights: np.ndarray, j: int, change: float) -> np.ndarray:
    """Return ``weights`` (sum 1) with weight ``j`` scaled by (1 + ``change``), clipped to
    [0, 1], and the others rescaled proportionally so the result sums to 1."""
    w = np.asarray(weights, dtype=float)
    others = w.sum() - w[j]
    if others <= 0:
        return w.copy()
    new_j = float(np.clip(w[j] * (1.0 + change), 0.0, 1.0))
    out = w * ((1.0 - new_j) / others)
    out[j] = new_j
    return out


@dataclass(frozen=True)
class OATResult:
    """One-at-a-time sensitivity.

    ``parcels`` (indexed by parcel): ``score``, ``rank`` (chosen weights), ``excluded``,
    ``min_rank``, ``max_rank``, ``max_rank_shift`` (max |rank − rank at the chosen weights|)
    and ``max_abs_dscore`` (score points) across all perturbations.
    ``runs`` (one row per perturbation): ``criterion``, ``change`` (e.g. 0.2 for +20 %),
    ``weight`` (the criterion's new weight), ``max_abs_dscore``, ``mean_abs_dscore``,
    ``n_rank_changed`` (non-excluded parcels whose rank moved), then ``w_<id>``: the full
    perturbed weight vector.
    """

    parcels: pd.DataFrame
    runs: pd.DataFrame


def one_at_a_time(
    measures: pd.DataFrame,
    cfg: Scoring,
    *,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
    steps: Sequence[float] = DEFAULT_STEPS,
) -> OATResult:
    """Return the one-at-a-time weight sensitivity of every parcel's score and rank (see the
    module docstring for the perturbation rule)."""
    return oat_from_inputs(prepare(measures, cfg, method=method, weights=weights), steps=steps)


def oat_from_inputs(inp: ScoringInputs, *, steps: Sequence[float] = DEFAULT_STEPS) -> OATResult:
    """:func:`one_at_a_time` on already prepared inputs."""
    steps = [float(s) for s in steps]
    if not steps or any(not np.isfinite(s) or s <= -1 for s in steps):
        raise ConfigError(
            f"steps must be finite changes greater than −100 %, got {steps}",
            where="steps",
            msg=msg("error.sensitivity.steps", steps=steps),
        )
    ids = inp.ids
    w0 = inp.weights
    labels = [(j, s) for j in range(len(ids)) for s in steps]
    W = np.array([perturb_weights(w0, j, s) for j, s in labels]).reshape(len(labels), len(ids))

    base = inp.scores()
    excluded = inp.excluded
    base_rank = rank_scores(base, excluded)
    S = inp.scores(W)  # (n, runs)
    R = rank_scores(S, excluded)
    dscore = np.abs(S - base[:, None])
    shift = np.abs(R - base_rank[:, None])
    kept = ~excluded
    n = len(inp.index)

    def reduce(fn, a: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan)
        if a.shape[1]:
            out[kept] = fn(a[kept], axis=1)
        return out

    parcels = pd.DataFrame(
        {
            "score": base,
            "rank": base_rank,
            "excluded": excluded,
            "min_rank": reduce(np.min, R),
            "max_rank": reduce(np.max, R),
            "max_rank_shift": reduce(np.max, shift),
            "max_abs_dscore": dscore.max(axis=1) if len(labels) else np.zeros(n),
        },
        index=inp.index,
    )
    runs = pd.DataFrame(
        {
            "criterion": [ids[j] for j, _ in labels],
            "change": [s for _, s in labels],
            "weight": [W[k, j] for k, (j, _) in enumerate(labels)],
            "max_abs_dscore": dscore.max(axis=0) if n else np.zeros(len(labels)),
            "mean_abs_dscore": dscore.mean(axis=0) if n else np.zeros(len(labels)),
            "n_rank_changed": (shift[kept] > 0).sum(axis=0),
        }
    )
    for j, cid in enumerate(ids):
        runs[f"w_{cid}"] = W[:, j]
    return OATResult(parcels=parcels, runs=runs)


# --------------------------------------------------------------------------- Monte Carlo


Scheme = Literal["dirichlet", "uniform"]


def draw_weights(
    weights: np.ndarray,
    n_draws: int,
    rng: np.random.Generator,
    *,
    scheme: Scheme = "dirichlet",
    concentration: float = DEFAULT_CONCENTRATION,
    spread: float = DEFAULT_SPREAD,
) -> np.ndarray:
    """Return ``n_draws`` weight vectors (n_draws, m), each summing to 1, drawn around
    ``weights`` (see the module docstring); zero weights stay zero."""
    w = np.asarray(weights, dtype=float)
    pos = w > 0
    out = np.zeros((n_draws, w.size))
    if scheme == "dirichlet":
        if not concentration > 0:
            raise ConfigError(
                f"concentration must be > 0, got {concentration}",
                where="concentration",
                msg=msg("error.sensitivity.concentration", value=concentration),
            )
        out[:, pos] = rng.dirichlet(concentration * w[pos], size=n_draws)
    elif scheme == "uniform":
        if not 0 <= spread < 1:
            raise ConfigError(
                f"spread must be in [0, 1), got {spread}",
                where="spread",
                msg=msg("error.sensitivity.spread", value=spread),
            )
        scaled = w[pos] * rng.uniform(1.0 - spread, 1.0 + spread, size=(n_draws, int(pos.sum())))
        out[:, pos] = scaled / scaled.sum(axis=1, keepdims=True)
    else:
        raise ConfigError(
            f"unknown scheme {scheme!r}; use 'dirichlet' or 'uniform'",
            where="scheme",
            msg=msg("error.sensitivity.scheme", scheme=repr(scheme)),
        )
    return out


@dataclass(frozen=True)
class MonteCarloResult:
    """Monte Carlo weight sensitivity.

    ``parcels`` (indexed by parcel): ``score``, ``rank``, ``class`` (at the chosen weights;
    "排除" if excluded),
    ``excluded``, ``in_top_k``, then over the draws ``mean_score``, ``score_std``,
    ``mean_rank``, ``rank_std``, ``rank_p05``, ``rank_p95`` (empirical 5th/95th percentiles,
    inverted-CDF, so they are ranks that occurred), ``share_same_class`` (share of draws in the
    class it has at the chosen weights) and ``share_top_k`` (share of draws ranked ≤ top_k).
    Rank and class statistics are NaN for excluded parcels.
    ``weights``: the drawn weight vectors, one row per draw, one column per criterion.
    """

    parcels: pd.DataFrame
    weights: pd.DataFrame
    top_k: int
    seed: int | None


def monte_carlo(
    measures: pd.DataFrame,
    cfg: Scoring,
    *,
    n_draws: int = 1000,
    seed: int | None = 0,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
    scheme: Scheme = "dirichlet",
    concentration: float = DEFAULT_CONCENTRATION,
    spread: float = DEFAULT_SPREAD,
    top_k: int = 10,
) -> MonteCarloResult:
    """Return the Monte Carlo weight sensitivity of every parcel's score, rank and class; the
    same ``seed`` gives the same result."""
    inp = prepare(measures, cfg, method=method, weights=weights)
    return monte_carlo_from_inputs(
        inp,
        n_draws=n_draws,
        seed=seed,
        scheme=scheme,
        concentration=concentration,
        spread=spread,
        top_k=top_k,
    )


def monte_carlo_from_inputs(
    inp: ScoringInputs,
    *,
    n_draws: int = 1000,
    seed: int | None = 0,
    scheme: Scheme = "dirichlet",
    concentration: float = DEFAULT_CONCENTRATION,
    spread: float = DEFAULT_SPREAD,
    top_k: int = 10,
) -> MonteCarloResult:
    """:func:`monte_carlo` on already prepared inputs."""
    if n_draws < 1:
        raise ConfigError(
            f"n_draws must be at least 1, got {n_draws}",
            where="n_draws",
            msg=msg("error.sensitivity.draws", value=n_draws),
        )
    if top_k < 1:
        raise ConfigError(
            f"top_k must be at least 1, got {top_k}",
            where="top_k",
            msg=msg("error.sensitivity.top_k", value=top_k),
        )
    rng = np.random.default_rng(seed)
    W = draw_weights(inp.weights, n_draws, rng, scheme=scheme, concentration=concentration, spread=spread)

    cfg = inp.cfg
    n = len(inp.index)
    excluded = inp.excluded
    kept = ~excluded
    n_kept = int(kept.sum())
    base = inp.scores()
    base_rank = rank_scores(base, excluded)
    base_class = class_index(base, cfg)

    score_sum = np.zeros(n)
    score_sq = np.zeros(n)
    same_class = np.zeros(n)
    in_top = np.zeros(n)
    ranks = np.empty((n_kept, n_draws), dtype=np.min_scalar_type(max(n_kept, 1)))
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_draws, chunk):
        S = inp.scores(W[start : start + chunk])  # (n, c)
        score_sum += S.sum(axis=1)
        score_sq += (S**2).sum(axis=1)
        same_class += (class_index(S, cfg) == base_class[:, None]).sum(axis=1)
        if n_kept:
            R = rank_scores(S[kept], np.zeros(n_kept, dtype=bool))
            ranks[:, start : start + S.shape[1]] = R
            in_top[kept] += (R <= top_k).sum(axis=1)

    mean_score = score_sum / n_draws
    rank_stats = {k: np.full(n, np.nan) for k in ("mean_rank", "rank_std", "rank_p05", "rank_p95")}
    if n_kept:
        r = ranks.astype(float)
        rank_stats["mean_rank"][kept] = r.mean(axis=1)
        rank_stats["rank_std"][kept] = r.std(axis=1)
        p05, p95 = np.percentile(r, [5, 95], axis=1, method="inverted_cdf")
        rank_stats["rank_p05"][kept] = p05
        rank_stats["rank_p95"][kept] = p95
    share_same = np.where(kept, same_class / n_draws, np.nan)
    share_top = np.where(kept, in_top / n_draws, np.nan)

    class_names = np.array([c.name for c in cfg.classes], dtype=object)
    parcels = pd.DataFrame(
        {
            "score": base,
            "rank": base_rank,
            "class": np.where(excluded, EXCLUDED_CLASS, class_names[base_class]),
            "excluded": excluded,
            "in_top_k": kept & (base_rank <= top_k),
            "mean_score": mean_score,
            "score_std": np.sqrt(np.maximum(score_sq / n_draws - mean_score**2, 0.0)),
            **rank_stats,
            "share_same_class": share_same,
            "share_top_k": share_top,
        },
        index=inp.index,
    )
    weights_df = pd.DataFrame(W, columns=inp.ids)
    weights_df.index.name = "draw"
    return MonteCarloResult(parcels=parcels, weights=weights_df, top_k=top_k, seed=seed)
