"""Hard constraints on parcels, and reading measure columns for scoring.

A constraint (``scoring.constraints`` in the zone file) excludes a parcel when
``measure op value`` holds, e.g. ``river_share > 0.25``. The reason shown to planners is the
constraint's ``message`` / ``message_en`` formatted with ``{value}`` (the parcel's measure, shares
as fractions so ``{value:.0%}`` prints "62%") and ``{name}`` (the parcel's ``name_field`` value,
e.g. the river's name).

A parcel whose constraint measure is missing (NaN) is *not* excluded — nothing shows it violates
the constraint — but gets a note "no data for constraint <id>" so the gap is visible.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gis.errors import ConfigError, SchemaError
from gis.messages import joined, msg
from scoring.zone import Constraint

_OPS: dict[str, Callable[[Any, Any], Any]] = {  # elementwise on arrays: (values, threshold) → bool array
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}

#: Shown for ``{name}`` when the parcel's ``name_field`` value is missing.
UNNAMED_ZH = "（未命名）"
UNNAMED_EN = "(unnamed)"

SEP = "; "


# --------------------------------------------------------------------------- measure columns


def require_columns(measures: pd.DataFrame, needed: Iterable[tuple[str, str]]) -> None:
    """Raise SchemaError listing every ``(column, used_by)`` pair whose column is missing."""
    missing: dict[str, list[str]] = {}
    for column, used_by in needed:
        if column not in measures.columns:
            missing.setdefault(column, []).append(used_by)
    if missing:
        listed = ", ".join(f"'{col}' (needed by {', '.join(users)})" for col, users in missing.items())
        missing_msgs = joined(
            msg("error.measures.missing_column", column=col, users=users) for col, users in missing.items()
        )
        raise SchemaError(
            f"missing measure column(s): {listed}",
            where="parcel measures",
            hint="compute the measures with the gis/ measure functions, or correct the "
            "measure names in the zone file's scoring section",
            msg=msg("error.measures.missing", columns=missing_msgs),
        )


def numeric_measure(measures: pd.DataFrame, column: str, used_by: str) -> np.ndarray:
    """Return ``measures[column]`` as a float array (NaN where missing); SchemaError naming the
    column, its user and the first parcel when a value is not a number."""
    raw = measures[column]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"column '{column}' (needed by {used_by}) must be numeric, but parcel "
            f"{measures.index[k]!r} has {raw.iloc[k]!r} ({int(bad.sum())} non-numeric value(s))",
            where="parcel measures",
            hint="recompute the measure; missing values should be empty (NaN), not text",
            msg=msg(
                "error.measures.not_numeric",
                column=column,
                used_by=used_by,
                parcel=repr(measures.index[k]),
                value=repr(raw.iloc[k]),
                n=int(bad.sum()),
            ),
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def join_messages(parts: Sequence[np.ndarray], n: int, sep: str = SEP) -> np.ndarray:
    """Return an object array of ``n`` strings joining the non-empty entries of ``parts``
    (each an object array of n strings, "" for nothing) with ``sep``."""
    out = np.full(n, "", dtype=object)
    filled = np.zeros(n, dtype=bool)
    for part in parts:
        part = np.asarray(part, dtype=object)
        has = part != ""
        first = np.flatnonzero(has & ~filled)
        more = np.flatnonzero(has & filled)
        out[first] = part[first]
        if more.size:
            out[more] = out[more] + sep + part[more]
        filled |= has
    return out


# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True)
class ConstraintOutcome:
    """Per-parcel constraint results, in the order of the measures' rows.

    ``hits`` (n, c): constraint j excludes parcel i; ``no_data`` (n, c): measure missing;
    ``reasons``/``reasons_en``: the formatted messages, "; "-joined ("" when none);
    ``notes``/``notes_zh``: the no-data notes, "; "-joined.
    """

    ids: tuple[str, ...]
    hits: np.ndarray
    no_data: np.ndarray
    reasons: np.ndarray
    reasons_en: np.ndarray
    notes: np.ndarray
    notes_zh: np.ndarray

    @property
    def excluded(self) -> np.ndarray:
        """Boolean (n,): the parcel violates at least one hard constraint."""
        return np.asarray(self.hits.any(axis=1), dtype=bool)


def constraint_columns(constraints: Sequence[Constraint]) -> list[tuple[str, str]]:
    """Return the ``(column, used_by)`` pairs the constraints read."""
    out: list[tuple[str, str]] = []
    for c in constraints:
        out.append((c.measure, f"constraint {c.id}"))
        if c.name_field:
            out.append((c.name_field, f"constraint {c.id} (name_field)"))
    return out


def evaluate_constraints(measures: pd.DataFrame, constraints: Sequence[Constraint]) -> ConstraintOutcome:
    """Evaluate each hard constraint on every parcel.

    Raises SchemaError for a missing or non-numeric measure column (named with the constraint)
    and ConfigError for a constraint that cannot be applied (an ordering operator with a text
    value, or a message that does not format with ``{value}``/``{name}``).
    """
    require_columns(measures, constraint_columns(constraints))
    n, c = len(measures), len(constraints)
    hits = np.zeros((n, c), dtype=bool)
    no_data = np.zeros((n, c), dtype=bool)
    reasons: list[np.ndarray] = []
    reasons_en: list[np.ndarray] = []
    notes: list[np.ndarray] = []
    notes_zh: list[np.ndarray] = []
    for j, con in enumerate(constraints):
        where = f"scoring.constraints.{j} ({con.id})"
        x, missing = _constraint_measure(measures, con, where)
        with np.errstate(invalid="ignore"):
            hit = np.asarray(_OPS[con.op](x, con.value), dtype=bool) & ~missing
        hits[:, j] = hit
        no_data[:, j] = missing
        names = measures[con.name_field].to_numpy(dtype=object) if con.name_field else None
        zh, en = _format_reasons(con, x, names, hit, where)
        reasons.append(zh)
        reasons_en.append(en)
        notes.append(np.where(missing, f"no data for constraint {con.id} ({con.measure}): not checked", ""))
        notes_zh.append(np.where(missing, f"约束 {con.id}（{con.measure}）无数据，未判定", ""))
    return ConstraintOutcome(
        ids=tuple(con.id for con in constraints),
        hits=hits,
        no_data=no_data,
        reasons=join_messages(reasons, n),
        reasons_en=join_messages(reasons_en, n),
        notes=join_messages([np.asarray(a, dtype=object) for a in notes], n),
        notes_zh=join_messages([np.asarray(a, dtype=object) for a in notes_zh], n),
    )


def _constraint_measure(measures: pd.DataFrame, con: Constraint, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the measure as floats (numeric constraint) or objects (text), and its NaN mask."""
    if isinstance(con.value, str):
        if con.op not in ("==", "!="):
            raise ConfigError(
                f"operator {con.op!r} needs a number, but value is the text {con.value!r}",
                where=where,
                hint="use == or != with a text value, or give a number",
                msg=msg("error.constraint.text_value", op=con.op, value=repr(con.value)),
            )
        col = measures[con.measure]
        missing = col.isna().to_numpy()
        return col.astype(object).to_numpy(dtype=object), missing
    x = numeric_measure(measures, con.measure, f"constraint {con.id}")
    return x, np.isnan(x)


def _format_reasons(
    con: Constraint, x: np.ndarray, names: np.ndarray | None, hit: np.ndarray, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Chinese and English messages for the parcels ``hit`` ("" elsewhere)."""
    n = len(x)
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    idx = np.flatnonzero(hit)
    if not idx.size:
        return zh, en
    values = x[idx].tolist()  # Python floats, so any float format spec works
    if names is None:
        named: list[object] = [None] * idx.size
    else:
        picked = names[idx]
        named = [None if missing else v for v, missing in zip(picked.tolist(), pd.isna(picked))]
    for out, template, unnamed, field in (
        (zh, con.message, UNNAMED_ZH, "message"),
        (en, con.message_en, UNNAMED_EN, "message_en"),
    ):
        fmt = template.format
        try:
            texts = [fmt(value=v, name=unnamed if nm is None else nm) for v, nm in zip(values, named)]
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            for v, nm in zip(values, named):  # find the failing parcel and say why
                _format(template, v, unnamed if nm is None else nm, f"{where}.{field}")
            raise
        out[idx] = np.array(texts, dtype=object)
    return zh, en


def _format(template: str, value: object, name: object, where: str) -> str:
    try:
        return template.format(value=value, name=name)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"message {template!r} does not format with value={value!r}, name={name!r}: "
            f"{type(exc).__name__}: {exc}",
            where=where,
            hint="use only {value} and {name}, e.g. {value:.0%} for a share",
            msg=msg(
                "error.constraint.template",
                template=repr(template),
                value=repr(value),
                name=repr(name),
                detail=f"{type(exc).__name__}: {exc}",
            ),
        ) from None
