"""闲置土地 / 清退 notices: one letter (one page) per supervision case on a date, as a PDF.

Each letter names the enterprise it is addressed to, its parcels (area in m² and 亩, and a
small map), the rule that applies with its source (e.g. 《闲置土地处置办法》国土资源部令第53号),
the dates (contract signed, agreed start, the date the rule measures from, the date the case
arose), the days overdue, the 土地闲置费 (万元) or the action, the deadline of the next step and
the signature and seal block of the zone's 管委会. The cases are those of
:func:`scoring.supervision.supervise`; this module only words and lays them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely

from app.i18n import text
from app.reports.parcel import ZoneMaps
from app.reports.render import number, pdf, png_uri
from gis.figures import MapLayer, location_map, padded_extent
from gis.units import m2_to_mu
from scoring.supervision import ANCHOR_FIELDS, Case, LandContract, SupervisionRule
from scoring.zone import ZoneConfig


@dataclass(frozen=True)
class Letter:
    """One case to write to: the case, the contract it arose under (its dates, area and price),
    the rule as the zone file states it, and whether the contract is the sample's invention."""

    case: Case
    contract: LandContract
    rule: SupervisionRule
    illustrative: bool = False


def _day(d: dt.date | None) -> str:
    return "—" if d is None else d.isoformat()


def parcel_rows(parcels: gpd.GeoDataFrame, ids: Sequence[str], lang: str) -> list[dict[str, str]]:
    """Return the letter's parcels: id and area (m², 亩, from the outline in the zone CRS), and a
    total row when there are several; a parcel not in ``parcels`` shows "—"."""
    by_id = dict(zip(parcels["parcel_id"].astype(str), parcels.geometry))
    rows, total = [], 0.0
    for pid in ids:
        geom = by_id.get(str(pid))
        area = None if geom is None else float(geom.area)
        total += area or 0.0
        rows.append(
            {
                "id": str(pid),
                "m2": number(area, 0),
                "mu": number(None if area is None else m2_to_mu(area), 2),
            }
        )
    if len(rows) > 1:
        rows.append(
            {"id": text("report.col.total", lang), "m2": number(total, 0), "mu": number(m2_to_mu(total), 2)}
        )
    return rows


def letter_map(parcels_of_case: Sequence[str], maps: ZoneMaps, lang: str) -> str | None:
    """Return the small map (PNG data URI) of the case's parcels (red) over the hillshade with the
    parks, clusters, other parcels, roads and rivers; None when none of its parcels is on record."""
    parcels = maps.layers.get("parcels")
    if parcels is None:
        return None
    mine = parcels[parcels["parcel_id"].astype(str).isin([str(p) for p in parcels_of_case])]
    if mine.empty:
        return None
    site = shapely.union_all(list(mine.geometry))
    layers = [
        MapLayer(
            maps.layers.get("parks"), text("report.map.park", lang), "#6b4f2a", 1.4, linestyle="--", zorder=1
        ),
        MapLayer(maps.layers.get("clusters"), text("report.map.clusters", lang), "#8a8a8a", 0.6, zorder=1),
        MapLayer(parcels, None, "#a0aec0", 0.3, zorder=2),
        MapLayer(maps.layers.get("rivers"), text("report.map.rivers", lang), "#2b6cb0", 1.2, zorder=3),
        MapLayer(maps.layers.get("roads"), text("report.map.roads", lang), "#4a4a4a", 1.0, zorder=4),
        MapLayer(
            gpd.GeoDataFrame(mine),
            text("report.notice.map_parcels", lang),
            "#c53030",
            2.0,
            fill="#feb2b2",
            alpha=0.85,
            zorder=6,
            label_field="parcel_id",
        ),
    ]
    png = location_map(
        maps.dems, layers, padded_extent(site, margin=0.6, min_size_m=600), metres=text("report.metres", lang)
    )
    return png_uri(png)


def letter_context(
    n: int, letter: Letter, as_of: dt.date, zone_name: str, maps: ZoneMaps, lang: str
) -> dict[str, Any]:
    """Return what the template writes for letter number ``n`` (1-based) of the day ``as_of``."""
    case, c, rule = letter.case, letter.contract, letter.rule
    anchor_field = ANCHOR_FIELDS[case.rule]
    anchor = getattr(c, anchor_field)
    rule_name = rule.name_en if lang == "en" else rule.name
    parcels = maps.layers.get("parcels")
    rows = parcel_rows(parcels, case.parcel_ids, lang) if parcels is not None else []
    sep = ", " if lang == "en" else "、"
    fee = None
    if case.fee_wan is not None:
        fee = text(
            "report.notice.fee_value",
            lang,
            fee=number(case.fee_wan, 2),
            price=number(c.price_wan, 2),
            share=number((rule.fee_share or 0) * 100, 0),
        )
    params = {
        "enterprise": case.enterprise,
        "as_of": as_of.isoformat(),
        "signed": _day(c.signed),
        "parcels": sep.join(case.parcel_ids),
        "mu": number(c.area_mu, 2),
        "rule": rule_name,
        "anchor_label": text(f"report.notice.anchor.{anchor_field}", lang),
        "anchor": _day(anchor),
        "since": case.since.isoformat(),
        "days": f"{case.days_overdue:,}",
        "source": case.source,
        "fee": number(case.fee_wan, 2),
        "deadline": _day(case.next_deadline),
        "zone": zone_name,
    }
    facts = [
        (text("report.notice.rule", lang), rule_name),
        (text("report.notice.source", lang), case.source),
        (text("report.notice.signed", lang), _day(c.signed)),
        (text("report.notice.anchor.agreed_start", lang), _day(c.agreed_start)),
    ]
    if anchor_field != "agreed_start":
        facts.append((text(f"report.notice.anchor.{anchor_field}", lang), _day(anchor)))
    facts += [
        (text("report.notice.since", lang), case.since.isoformat()),
        (text("report.notice.days", lang), text("report.notice.days_value", lang, days=params["days"])),
        (text("report.notice.action", lang), text(f"supervision.action.{case.action}", lang)),
    ]
    if fee is not None:
        facts.append((text("report.notice.fee", lang), fee))
    facts.append((text("report.notice.deadline", lang), _day(case.next_deadline)))
    return {
        "n": n,
        "number": text("report.notice.number", lang, number=f"{as_of:%Y%m%d}-{n:02d}"),
        "title": text(f"report.notice.title.{case.action}", lang),
        "enterprise": case.enterprise,
        "illustrative": letter.illustrative,
        "finding": text("report.notice.finding", lang, **params),
        "body": text(f"report.notice.body.{case.action}", lang, **params),
        "deadline_line": text("report.notice.deadline_line", lang, **params) if case.next_deadline else "",
        "parcels": rows,
        "facts": facts,
        "map": letter_map(case.parcel_ids, maps, lang),
        "issuer": text("report.notice.issuer", lang, zone=zone_name),
    }


def notices_report(
    zone: ZoneConfig,
    letters: Sequence[Letter],
    maps: ZoneMaps,
    as_of: dt.date,
    *,
    lang: str = "zh",
    on: dt.date | None = None,
) -> bytes:
    """Return the supervision letters of ``as_of`` (one page each, in the order given) as PDF
    bytes (A4, in ``lang``), dated ``on`` (``as_of`` by default). ``maps.layers["parcels"]``
    holds the zone's parcels (``parcel_id``, zone CRS); a letter on a sample contract says so."""
    zone_name = zone.zone.name_en if lang == "en" else zone.zone.name
    return pdf(
        "notices.html",
        lang,
        title=text("report.notice.doc_title", lang),
        zone_name=zone_name,
        date=(on or as_of).isoformat(),
        illustrative=any(x.illustrative for x in letters),
        letters=[letter_context(i, x, as_of, zone_name, maps, lang) for i, x in enumerate(letters, 1)],
    )
