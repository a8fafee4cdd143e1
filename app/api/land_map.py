"""The land-use map layers of the web map as GeoJSON (WGS 84): the parcels of each evaluated
enterprise coloured by its 亩均效益 class, and the parcels with a supervision case on a date.

Both are built from the parcels' outlines in the database (zone CRS, EPSG:4546, sent as
OGC:CRS84) and properties the caller gives per parcel id; a parcel id the zone does not have is
left out (a contract may name a parcel since removed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.geojson import collection_text, feature_text, geometry_json
from app.db.contracts import land_contracts, parcel_codes, rules_dict, supervision_report
from app.db.figures import enterprise_parcels, figures_by_year, figures_sources
from app.db.models import ParcelRow, ZoneRow
from app.scoring_io.evaluation import ILLUSTRATIVE, evaluation_in_db
from scoring.zone import ZoneConfig


def parcel_outlines(session: Session, zone: ZoneRow, codes: Sequence[str]) -> dict[str, str]:
    """Return parcel id → its outline as WGS 84 GeoJSON text, for the ``codes`` the zone has."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(ParcelRow.parcel_id, func.ST_AsBinary(ParcelRow.geom)).where(
            ParcelRow.zone_id == zone.id, ParcelRow.parcel_id.in_(wanted)
        )
    ).all()
    geoms = [None if wkb is None else shapely.from_wkb(bytes(wkb)) for _, wkb in rows]
    return {pid: g for (pid, _), g in zip(rows, geometry_json(geoms, zone.crs), strict=True) if g}


def _collection(
    session: Session,
    zone: ZoneRow,
    items: Sequence[tuple[str, str, Mapping[str, Any]]],
    members: Mapping[str, Any],
) -> str:
    """Return a FeatureCollection text: one Feature per ``(feature id, parcel id, properties)``
    whose parcel the zone has, with ``members`` at the top level."""
    outlines = parcel_outlines(session, zone, [pid for _, pid, _ in items])
    features = [
        feature_text(fid, outlines[pid], {"parcel_id": pid, **props})
        for fid, pid, props in items
        if pid in outlines
    ]
    return collection_text(features, members)


def parcels_by_enterprise(session: Session, zone_id: str) -> dict[str, list[str]]:
    """Return enterprise name → its parcel ids: those it occupies (the parcels layer) and those of
    its land contracts, each once, sorted."""
    out = {name: set(ids) for name, ids in enterprise_parcels(session, zone_id).items()}
    for c in land_contracts(session, zone_id):
        out.setdefault(c.enterprise, set()).update(parcel_codes(c))
    return {name: sorted(ids) for name, ids in out.items()}


def evaluation_map(session: Session, zone: ZoneRow, zone_file: Path | str, year: int | None) -> str:
    """Return the parcels of the enterprises evaluated in ``year`` (default: the latest year with
    figures) as GeoJSON text: per parcel ``enterprise``, ``class`` (A–D, T exempt, None out of
    scope), ``score`` (points), ``rank`` (within its group), ``scope`` (``above`` 规上 /
    ``below`` 规下 / ``out``), ``land_mu`` (亩, the figures'). Top-level members: ``year``
    (None without figures), ``years``, ``classes`` (id, name, name_en), ``illustrative``."""
    years = sorted(figures_by_year(session, zone.id))
    if year is None and years:
        year = years[-1]
    members: dict[str, Any] = {"year": year, "years": years, "classes": [], "illustrative": False}
    if year is None:
        return _collection(session, zone, [], members)
    ev = evaluation_in_db(session, zone.id, zone_file, year)
    members["classes"] = [{"id": c.id, "name": c.name, "name_en": c.name_en} for c in ev.method.classes]
    members["illustrative"] = any(ILLUSTRATIVE in s for s in figures_sources(session, zone.id, year))
    parcels = parcels_by_enterprise(session, zone.id)
    items = [
        (
            pid,
            pid,
            {
                "enterprise": e.name,
                "class": e.klass,
                "score": e.score,
                "rank": e.rank,
                "scope": e.scope,
                "exempt": e.exempt,
                "land_mu": e.land_mu,
            },
        )
        for e in ev.enterprises
        for pid in parcels.get(e.name, [])
    ]
    return _collection(session, zone, items, members)


def supervision_map(session: Session, zone: ZoneRow, config: ZoneConfig, as_of: dt.date) -> str:
    """Return the parcels with a supervision case on ``as_of`` as GeoJSON text: one Feature per
    case and parcel (id ``<parcel>:<rule>``) with the case's ``enterprise``, ``rule`` and its
    ``rule_name`` / ``rule_name_en`` (the zone file's), ``status``, ``since``, ``days_overdue``,
    ``action``, ``fee_wan`` (万元), ``next_deadline`` (dates ``YYYY-MM-DD``), ``source`` and
    ``illustrative`` (the contract is the sample's). Top-level member ``as_of``."""
    report = supervision_report(session, zone.id, config, as_of)
    names = {r["id"]: r for r in rules_dict(config)["rules"]}
    sample = {
        (c.enterprise, tuple(sorted(parcel_codes(c))))
        for c in land_contracts(session, zone.id)
        if c.illustrative
    }
    items = []
    for case in report["cases"]:
        rule = names.get(case["rule"], {})
        props = {
            **{k: v for k, v in case.items() if k != "parcel_ids"},
            "rule_name": rule.get("name", case["rule"]),
            "rule_name_en": rule.get("name_en") or rule.get("name", case["rule"]),
            "parcels": case["parcel_ids"],
            "illustrative": (case["enterprise"], tuple(sorted(case["parcel_ids"]))) in sample,
        }
        items += [(f"{pid}:{case['rule']}", pid, props) for pid in case["parcel_ids"]]
    return _collection(session, zone, items, {"as_of": report["as_of"]})
