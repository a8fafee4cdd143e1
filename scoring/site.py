"""The site the admission rules look at: one parcel or a group of adjacent parcels in one cluster.

A site is made of rows of the scored parcel table (``parcel_id``, ``park``, ``cluster``,
``status``, ``area_mu``, ``score``, ``excluded``, ``reasons``, ``weakest``; optional
``reasons_en``, ``enterprise`` and ``admitted_project``: the name of a project already admitted
on the parcel; optional land measures of the score run — ``buildable_share``, ``river_share``,
``river_name``, ``outside_park_share`` — read by :func:`scoring.land.land_from_site`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from gis.errors import SchemaError
from gis.messages import msg

#: Columns a scored parcel table must have for the check.
PARCEL_COLUMNS: tuple[str, ...] = ("parcel_id", "park", "cluster", "status", "area_mu", "score", "excluded")

#: Parcel statuses a project may be placed on: ``vacant``, and ``reserved`` (reserve land such as
#: 产业备用地, released only after review — the ``parcel_vacant`` rule says "review").
AVAILABLE_STATUSES: frozenset[str] = frozenset({"vacant", "reserved"})

#: Parcel statuses (the ``status`` column) and the message ids naming them.
PARCEL_STATUS_IDS: dict[str, str] = {
    "existing": "parcel.status.existing",
    "vacant": "parcel.status.vacant",
    "reserved": "parcel.status.reserved",
    "public": "parcel.status.public",
}


@dataclass(frozen=True)
class ParcelLand:
    """A parcel's land measures from the score run (shares 0–1 of its area; NaN when unknown)."""

    parcel_id: str
    area_mu: float
    buildable_share: float = math.nan
    river_share: float = math.nan
    river_name: str | None = None
    outside_park_share: float = math.nan


@dataclass(frozen=True)
class Site:
    """One parcel or a group of parcels in one cluster, as the rules see it."""

    parcel_ids: tuple[str, ...]
    park: str | None
    cluster: str | None
    area_mu: float
    statuses: tuple[str, ...]
    enterprises: tuple[str | None, ...]
    scores: tuple[float, ...]
    excluded: tuple[Any, ...]
    reasons: tuple[str, ...]
    reasons_en: tuple[str, ...] = ()
    #: Per parcel, the project already admitted on it (optional column ``admitted_project``).
    admitted: tuple[str | None, ...] = ()
    #: Per parcel, its land measures (:class:`ParcelLand`).
    land: tuple[ParcelLand, ...] = ()

    @classmethod
    def from_rows(cls, rows: pd.DataFrame) -> Site:
        """Return the Site of parcel rows; SchemaError if columns are missing or clusters differ."""
        require_parcel_columns(rows)
        return cls.from_records(rows.to_dict("records"))

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> Site:
        """Return the Site of parcel records (dicts with the scored-parcel columns).

        Raises SchemaError for no records, records in more than one cluster, or an area that is
        not a number > 0."""
        if not records:
            raise SchemaError(
                "no parcels given for the site", where="parcels", msg=msg("error.site.no_parcels")
            )
        clusters = {_str_or_none(r.get("cluster")) for r in records}
        parks = {_str_or_none(r.get("park")) for r in records}
        if len(clusters) > 1 or len(parks) > 1:
            shown = sorted(map(str, clusters))
            raise SchemaError(
                f"a group of parcels must lie in one cluster, got {shown}",
                where="parcels: cluster",
                msg=msg("error.site.clusters", clusters=shown),
            )
        areas = [_float(r.get("area_mu")) for r in records]
        bad = [r.get("parcel_id") for r, a in zip(records, areas) if not a > 0]
        if bad:
            raise SchemaError(
                f"area_mu must be a number > 0, bad for {bad}",
                where="parcels: area_mu",
                msg=msg("error.site.area", parcels=[str(b) for b in bad]),
            )
        many = len(records) > 1

        def collect(col: str) -> tuple[str, ...]:
            return tuple(
                f"{r['parcel_id']}: {t}" if many else t for r in records for t in _reason_list(r.get(col))
            )

        reasons = collect("reasons")
        reasons_en = collect("reasons_en") if any("reasons_en" in r for r in records) else reasons
        return cls(
            parcel_ids=tuple(str(r["parcel_id"]) for r in records),
            park=parks.pop(),
            cluster=clusters.pop(),
            area_mu=float(sum(areas)),
            statuses=tuple(str(r.get("status")) for r in records),
            enterprises=tuple(_str_or_none(r.get("enterprise")) for r in records),
            scores=tuple(_float(r.get("score")) for r in records),
            excluded=tuple(r.get("excluded") for r in records),
            reasons=reasons,
            reasons_en=reasons_en,
            admitted=tuple(_str_or_none(r.get("admitted_project")) for r in records),
            land=tuple(
                ParcelLand(
                    str(r["parcel_id"]),
                    a,
                    _float(r.get("buildable_share")),
                    _float(r.get("river_share")),
                    _str_or_none(r.get("river_name")),
                    _float(r.get("outside_park_share")),
                )
                for r, a in zip(records, areas)
            ),
        )


def require_parcel_columns(parcels: pd.DataFrame) -> None:
    """Raise SchemaError naming the scored-parcel columns ``parcels`` lacks."""
    missing = [c for c in PARCEL_COLUMNS if c not in parcels.columns]
    if missing:
        raise SchemaError(
            f"the parcel table lacks column(s) {missing}",
            where="parcels",
            hint="pass scored parcels (scoring.pipeline.load_scored_parcels)",
            msg=msg("error.site.columns", columns=missing),
        )


def _float(v: Any) -> float:
    """Return ``v`` as a float, NaN when it is missing or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _str_or_none(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return str(v)


def _reason_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.replace("；", ";").split(";") if s.strip()]
    try:
        return [str(x) for x in v if x]
    except TypeError:
        return [str(v)]


def truthy(v: Any) -> bool | None:
    """Return a yes/no cell as a bool (None when missing)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, str):
        return v.strip().lower() in {"true", "1", "yes"}
    return bool(v)
