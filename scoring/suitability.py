"""Site suitability of parcels: criterion values, weighted score (0–100), class, hard
constraints, rank and a per-parcel breakdown.

Input is a DataFrame of parcel measures (the canonical columns of docs/architecture.md, one row
per parcel, indexed by parcel id) and the zone's :class:`scoring.zone.Scoring`. Everything is
vectorised over parcels with numpy.

Choices (documented here because planners will ask):

- A missing measure (NaN) for a parcel gives that criterion the value 0 — the conservative
  reading — and a note "no data for <criterion>" in the parcel's ``notes``.
- An excluded parcel (one violating a hard constraint) keeps its computed score, so planners
  can see it, but its class is "排除" / "excluded", it is not ranked and never ``eligible``.
- The score is rounded to 2 decimals; the class and the rank use the rounded score, so what is
  shown is what is classified. Ranks are competition ranks (1 = best, ties share the better
  rank: 1, 2, 2, 4) among the non-excluded parcels.
- ``weakest`` is the criterion with the lowest value among those with a positive weight (ties:
  the first listed); it is left empty for excluded parcels, whose reasons say what is wrong.
- Contributions: see :func:`scoring.combine.contributions` (exact for weighted sum and OWA,
  proportional for weighted product); they sum to the unrounded score.
- With ``scoring.land_factor`` in the zone file the combined score is multiplied by the
  parcel's buildable share (net ÷ gross area: river control zones, steep land and the part
  outside the parks deducted, :mod:`scoring.land`): column ``land_factor`` (0–1; 1 where the
  measure is missing) and ``land_deduction`` (score points taken off). Contributions are scaled
  by the same factor, so they still sum to the score.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from gis.errors import ConfigError, NotFoundError, SchemaError
from gis.messages import msg
from scoring.combine import METHODS, Method, aggregate, contributions, row_dot
from scoring.constraints import (
    ConstraintOutcome,
    constraint_columns,
    evaluate_constraints,
    join_messages,
    numeric_measure,
    require_columns,
)
from scoring.functions import Categorical
from scoring.zone import Criterion, Scoring

EXCLUDED_CLASS = "排除"
EXCLUDED_CLASS_EN = "excluded"
SCORE_DECIMALS = 2


@dataclass(frozen=True)
class ScoringInputs:
    """Everything needed to score parcels under any weights: criterion values (n, m) in [0, 1]
    with NaN already replaced by 0, the no-data mask, the chosen weights ((m,), sum 1), method,
    OWA order weights and the constraint outcome."""

    index: pd.Index
    criteria: tuple[Criterion, ...]
    values: np.ndarray
    missing: np.ndarray
    weights: np.ndarray
    method: Method
    order_weights: np.ndarray | None
    constraints: ConstraintOutcome
    cfg: Scoring
    #: (n,) factor 0–1 the combined score is multiplied by (``scoring.land_factor``), or None.
    land_factor: np.ndarray | None = None

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    @property
    def excluded(self) -> np.ndarray:
        return self.constraints.excluded

    def scores(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Return rounded scores 0–100: (n,) for the chosen or a given (m,) weight vector,
        (n, k) for a (k, m) stack of weight vectors."""
        w = self.weights if weights is None else weights
        raw = aggregate(self.values, w, self.method, self.order_weights)
        if self.land_factor is not None:
            raw = raw * (self.land_factor if raw.ndim == 1 else self.land_factor[:, None])
        return np.round(raw, SCORE_DECIMALS)


# --------------------------------------------------------------------------- settings


def resolve_weights(cfg: Scoring, weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Return the criterion weights in criterion order, normalised to sum 1: ``cfg.weights()``
    or the given mapping of criterion id → weight (which must name exactly the criteria)."""
    ids = [c.id for c in cfg.criteria]
    if weights is None:
        by_id = cfg.weights()
    else:
        unknown = sorted(set(weights) - set(ids))
        absent = [i for i in ids if i not in weights]
        if unknown or absent:
            raise ConfigError(
                f"weights must name exactly the criteria {ids}"
                + (f"; unknown: {unknown}" if unknown else "")
                + (f"; missing: {absent}" if absent else ""),
                where="weights",
                msg=msg(
                    "error.weights.criteria", criteria=ids, unknown=unknown or "—", missing=absent or "—"
                ),
            )
        by_id = dict(weights)
    w = np.array([float(by_id[i]) for i in ids])
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ConfigError(
            f"weights must be finite, ≥ 0 and not all 0, got {dict(zip(ids, w.tolist()))}",
            where="weights",
            msg=msg("error.weights.values", weights=", ".join(f"{k}={v:g}" for k, v in zip(ids, w.tolist()))),
        )
    return w / w.sum()


def resolve_method(cfg: Scoring, method: str | None = None) -> tuple[Method, np.ndarray | None]:
    """Return the scoring method (``method`` or the zone's) and its OWA order weights (or None)."""
    m = method or cfg.method
    if m not in METHODS:
        raise ConfigError(
            f"unknown scoring method {m!r}; use one of {list(METHODS)}",
            where="method",
            msg=msg("error.scoring.method", method=repr(m), methods=list(METHODS)),
        )
    if m != "owa":
        return m, None  # type: ignore[return-value]
    o = cfg.owa_order_weights
    if not o or len(o) != len(cfg.criteria) or sum(o) <= 0:
        raise ConfigError(
            f"method 'owa' needs owa_order_weights, one per criterion ({len(cfg.criteria)}), not all 0",
            where="scoring.owa_order_weights",
            msg=msg("error.scoring.owa", n=len(cfg.criteria)),
        )
    return "owa", np.asarray(o, dtype=float)


@dataclass(frozen=True)
class ScoringSettings:
    """The resolved scoring settings: ``method``, the criterion ``weights`` ((m,), sum 1, in
    criterion order) and the OWA ``order_weights`` (or None). Resolved once and handed to
    every partition (:mod:`scoring.partitioned`), so all of them score with the very same
    floats, whichever machine resolves them."""

    method: Method
    weights: np.ndarray
    order_weights: np.ndarray | None


def resolve_settings(
    cfg: Scoring, method: str | None = None, weights: Mapping[str, float] | None = None
) -> ScoringSettings:
    """Return the :class:`ScoringSettings` of ``cfg`` (``method`` and ``weights`` override the
    zone's); ConfigError for bad weights or method (:func:`resolve_weights`,
    :func:`resolve_method`)."""
    m, o = resolve_method(cfg, method)
    return ScoringSettings(method=m, weights=resolve_weights(cfg, weights), order_weights=o)


# --------------------------------------------------------------------------- values


def criterion_columns(cfg: Scoring) -> list[tuple[str, str]]:
    """Return the ``(column, used_by)`` pairs the criteria read."""
    return [(c.measure, f"criterion {c.id} ({c.name})") for c in cfg.criteria]


def criterion_values(measures: pd.DataFrame, cfg: Scoring) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values, missing)``: values (n, m) in [0, 1] with NaN measures valued 0, and the
    boolean mask (n, m) of the NaN measures. SchemaError for missing or non-numeric columns."""
    require_columns(measures, criterion_columns(cfg))
    n, m = len(measures), len(cfg.criteria)
    values = np.empty((n, m))
    for j, c in enumerate(cfg.criteria):
        if isinstance(c.function, Categorical):
            v = c.function.evaluate(measures[c.measure].to_numpy(dtype=object))
        else:
            v = c.function.evaluate(numeric_measure(measures, c.measure, f"criterion {c.id}"))
        values[:, j] = v
    missing = np.isnan(values)
    return np.where(missing, 0.0, values), missing


def prepare(
    measures: pd.DataFrame,
    cfg: Scoring,
    *,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
    settings: ScoringSettings | None = None,
) -> ScoringInputs:
    """Validate the measures and settings and compute criterion values and constraints once.

    ``settings`` (from :func:`resolve_settings`) replaces ``method`` and ``weights``, which
    must then be None.

    Raises SchemaError for missing/non-numeric columns or a non-unique parcel index (every
    missing column is listed with the criterion or constraint needing it) and ConfigError for
    bad weights, method or constraint messages.
    """
    if settings is not None and (method is not None or weights is not None):
        raise ValueError("give either settings or method/weights, not both")
    if not isinstance(measures, pd.DataFrame):
        raise SchemaError(
            f"parcel measures must be a pandas DataFrame, got {type(measures).__name__}",
            msg=msg("error.measures.not_frame", kind=type(measures).__name__),
        )
    dup = measures.index[measures.index.duplicated()]
    if len(dup):
        raise SchemaError(
            f"parcel ids must be unique, repeated: {list(dict.fromkeys(dup))[:5]}",
            where="parcel measures (index)",
            msg=msg("error.measures.repeated_ids", repeated=[str(d) for d in list(dict.fromkeys(dup))[:5]]),
        )
    land_cols = [(cfg.land_factor.measure, "scoring.land_factor")] if cfg.land_factor else []
    require_columns(measures, criterion_columns(cfg) + constraint_columns(cfg.constraints) + land_cols)
    factor = None
    if cfg.land_factor is not None:
        share = numeric_measure(measures, cfg.land_factor.measure, "scoring.land_factor")
        factor = np.clip(np.where(np.isnan(share), 1.0, share), 0.0, 1.0)
    if settings is None:
        settings = resolve_settings(cfg, method, weights)
    values, missing = criterion_values(measures, cfg)
    return ScoringInputs(
        index=measures.index,
        criteria=tuple(cfg.criteria),
        values=values,
        missing=missing,
        weights=settings.weights,
        method=settings.method,
        order_weights=settings.order_weights,
        constraints=evaluate_constraints(measures, cfg.constraints),
        cfg=cfg,
        land_factor=factor,
    )


# --------------------------------------------------------------------------- classes and ranks


def class_index(scores: np.ndarray, cfg: Scoring) -> np.ndarray:
    """Return, for scores of any shape, the index into ``cfg.classes`` (best first) of the
    class each score falls in (score ≥ min_score, as :meth:`Scoring.classify`)."""
    mins_ascending = np.array([c.min_score for c in cfg.classes][::-1])
    pos = np.searchsorted(mins_ascending, scores, side="right") - 1
    return len(cfg.classes) - 1 - np.clip(pos, 0, None)


def rank_scores(scores: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """Return competition ranks (1 = highest score; ties share the better rank) among the
    non-excluded parcels, NaN for excluded ones. ``scores`` (n,) or (n, k): ranks per column."""
    scores = np.asarray(scores, dtype=float)
    ranks = np.full(scores.shape, np.nan)
    keep = ~np.asarray(excluded, dtype=bool)
    if keep.any():
        ranks[keep] = rankdata(-scores[keep], axis=0, method="min")
    return ranks


# --------------------------------------------------------------------------- scoring


def score_parcels(
    measures: pd.DataFrame,
    cfg: Scoring,
    *,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Score every parcel; return a DataFrame indexed like ``measures`` with columns

    ``score`` (0–100, 2 decimals), ``class`` / ``class_en`` (优/excellent …, or 排除/excluded),
    ``rank`` (1 = best, NaN if excluded), ``eligible`` (not excluded and score ≥ the zone's
    ``min_score``), ``excluded``, ``reasons`` / ``reasons_en`` (constraint messages, "; "-joined,
    "" if none), ``weakest`` (criterion id, missing (NA) if excluded), ``notes`` / ``notes_zh`` (missing
    data), then ``value_<id>`` (0–1) and ``contrib_<id>`` (score points) per criterion.

    ``method`` overrides ``cfg.method``; ``weights`` (criterion id → weight, normalised here)
    overrides the zone's weights.
    """
    return result_frame(prepare(measures, cfg, method=method, weights=weights))


def result_frame(inp: ScoringInputs) -> pd.DataFrame:
    """Return the result DataFrame of :func:`score_parcels` for prepared inputs."""
    return insert_ranks(parcel_results(inp))


def insert_ranks(frame: pd.DataFrame) -> pd.DataFrame:
    """Insert the ``rank`` column (:func:`rank_scores` of ``score`` among the rows not
    ``excluded``) after ``class_en`` into ``frame`` (columns of :func:`parcel_results`, the
    whole zone's parcels) and return it: the result frame of :func:`score_parcels`."""
    rank = rank_scores(frame["score"].to_numpy(), frame["excluded"].to_numpy())
    frame.insert(frame.columns.get_loc("class_en") + 1, "rank", rank)  # type: ignore[operator]
    return frame


def parcel_results(inp: ScoringInputs) -> pd.DataFrame:
    """Return the columns of :func:`result_frame` that depend only on each parcel's own
    measures and the settings — all but ``rank``, which compares the parcels of the whole zone
    (:func:`insert_ranks` adds it). Scoring any split of the parcels and putting the pieces
    together gives the same columns as scoring them all at once: the score classes are fixed
    thresholds (``min_score``), nothing is normalised over the zone."""
    cfg = inp.cfg
    n = len(inp.index)
    excluded = inp.excluded
    score = inp.scores()
    ci = class_index(score, cfg)
    cls = np.where(excluded, EXCLUDED_CLASS, np.array([c.name for c in cfg.classes], dtype=object)[ci])
    cls_en = np.where(
        excluded, EXCLUDED_CLASS_EN, np.array([c.name_en for c in cfg.classes], dtype=object)[ci]
    )

    ids = np.array(inp.ids, dtype=object)
    weighted = inp.weights > 0
    masked = np.where(weighted, inp.values, np.inf)
    weakest = ids[np.argmin(masked, axis=1)]
    weakest = np.where(excluded, None, weakest)

    notes = join_messages(
        [
            np.where(inp.missing[:, j], f"no data for {c.id}", "").astype(object)
            for j, c in enumerate(inp.criteria)
        ]
        + [inp.constraints.notes],
        n,
    )
    notes_zh = join_messages(
        [
            np.where(inp.missing[:, j], f"{c.name}无数据（按 0 计）", "").astype(object)
            for j, c in enumerate(inp.criteria)
        ]
        + [inp.constraints.notes_zh],
        n,
    )
    contrib = contributions(inp.values, inp.weights, inp.method, inp.order_weights)
    factor = np.ones(n) if inp.land_factor is None else inp.land_factor
    unscaled = row_dot(contrib, np.ones(contrib.shape[1]))  # the same sum whatever rows are scored with it
    contrib = contrib * factor[:, None]

    cols: dict[str, object] = {
        "score": score,
        "class": cls,
        "class_en": cls_en,
        "eligible": ~excluded & (score >= cfg.min_score),
        "excluded": excluded,
        "reasons": inp.constraints.reasons,
        "reasons_en": inp.constraints.reasons_en,
        "weakest": weakest,
        "notes": notes,
        "notes_zh": notes_zh,
        "land_factor": factor,
        "land_deduction": unscaled * (1.0 - factor),
    }
    for j, cid in enumerate(inp.ids):
        cols[f"value_{cid}"] = inp.values[:, j]
    for j, cid in enumerate(inp.ids):
        cols[f"contrib_{cid}"] = contrib[:, j]
    return pd.DataFrame(cols, index=inp.index)


def parcel_breakdown(
    measures: pd.DataFrame,
    cfg: Scoring,
    parcel_id: Hashable,
    *,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[dict[str, object]]:
    """Return one parcel's score breakdown, one dict per criterion in zone order, with keys
    ``criterion``, ``name``, ``name_en``, ``measure`` (column), ``raw`` (the measure in ``unit``,
    None if missing), ``unit``, ``value`` (0–1), ``weight`` (sum 1), ``contribution`` (score
    points, scaled by the land factor) and ``no_data``. NotFoundError if the parcel is not in
    ``measures``."""
    if parcel_id not in measures.index:
        raise NotFoundError(
            f"parcel {parcel_id!r} is not in the parcel measures",
            where="parcel measures",
            msg=msg("error.measures.no_parcel", parcel=parcel_id),
        )
    row = measures.loc[[parcel_id]]
    inp = prepare(row, cfg, method=method, weights=weights)
    contrib = contributions(inp.values, inp.weights, inp.method, inp.order_weights)[0]
    if inp.land_factor is not None:
        contrib = contrib * inp.land_factor[0]
    out: list[dict[str, object]] = []
    for j, c in enumerate(inp.criteria):
        raw = row[c.measure].iloc[0]
        out.append(
            {
                "criterion": c.id,
                "name": c.name,
                "name_en": c.name_en,
                "measure": c.measure,
                "raw": None if pd.isna(raw) else (raw.item() if isinstance(raw, np.generic) else raw),
                "unit": c.unit,
                "value": float(inp.values[0, j]),
                "weight": float(inp.weights[j]),
                "contribution": float(contrib[j]),
                "no_data": bool(inp.missing[0, j]),
            }
        )
    return out
