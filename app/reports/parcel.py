"""地块选址报告 (parcel site report) as a PDF.

The report of one parcel: where it is (a location map over the DEM's hillshade with its cluster,
roads, rivers and their control lines), its area (m² and 亩), park and cluster, slope statistics
and a slope-class map, earthwork, distances, constraints and encroachments, the suitability
breakdown (chart and table: each criterion's value, weight and contribution) and the 标准地
sheet. Everything shown comes from the scored parcel table and the scoring breakdown as
``scoring/`` computed them; this module only chooses, labels and lays out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from app.i18n import render, render_value, text
from app.reports.render import number, pdf, png_uri
from gis.errors import NotFoundError, ParksiteError
from gis.figures import MapLayer, contribution_chart, location_map, padded_extent, slope_class_map
from gis.messages import msg
from gis.raster import Grid
from gis.units import m2_to_mu
from scoring.standard_land import standard_land_sheet
from scoring.zone import ZoneConfig


@dataclass
class ZoneMaps:
    """What the report's maps are drawn from, all in the zone CRS: ``layers`` by name (``parks``,
    ``clusters``, ``parcels``, ``roads``, ``rivers``, ``substations``, ``water``, ``places``;
    None where absent), the DEM grids (metres) and their slope grids (degrees)."""

    layers: dict[str, gpd.GeoDataFrame | None]
    dems: Sequence[Grid]
    slopes: Sequence[Grid]


@dataclass
class ParcelFacts:
    """One parcel's row of the scored parcel table (measures, score, class, reasons …, as
    :func:`scoring.batch.score_zone_parcels` gives them) and its score breakdown (one dict per
    criterion as :func:`scoring.suitability.parcel_breakdown`)."""

    row: dict[str, Any]
    breakdown: list[dict[str, Any]]


def find_row(table: pd.DataFrame, parcel_id: str) -> pd.Series:
    """Return the row of ``parcel_id`` in a scored parcel table (NotFoundError if there is none)."""
    hit = table[table["parcel_id"].astype(str) == str(parcel_id)]
    if hit.empty:
        raise NotFoundError(
            f"no parcel {parcel_id!r} in the zone",
            where=f"parcel {parcel_id}",
            hint="give a parcel id of the zone (see the map or `parksite export`)",
            msg=msg("error.parcel.not_found", parcel=parcel_id),
        )
    return hit.iloc[0]


def _f(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _name(zone: ZoneConfig, kind: str, key: Any, lang: str) -> str:
    if not isinstance(key, str) or not key:
        return "—"
    try:
        item = zone.park(key) if kind == "park" else zone.cluster(key)
    except Exception:  # an id the zone file does not know (e.g. a cluster drawn in the database)
        return key
    return item.name_en if lang == "en" else item.name


def _pct(share: Any) -> str:
    x = _f(share)
    return "—" if x is None else f"{x * 100:.0f}%"


def _dist(v: Any) -> str:
    x = _f(v)
    if x is None:
        return "—"
    return f"{x / 1000:,.2f} km" if x >= 1000 else f"{x:,.0f} m"


def _paren(value: str, note: Any, lang: str) -> str:
    """Return ``value (note)`` with the brackets of ``lang``; ``value`` alone without a note."""
    if not (isinstance(note, str) and note):
        return value
    return f"{value} ({note})" if lang == "en" else f"{value}（{note}）"


def summary_rows(zone: ZoneConfig, row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the report's first table: (label, value) pairs in ``lang``."""
    area_m2 = _f(row.get("area_m2"))
    area_mu = _f(row.get("area_mu"))
    if area_mu is None and area_m2 is not None:
        area_mu = m2_to_mu(area_m2)
    cls = row.get("class_en") if lang == "en" else row.get("class")
    status = row.get("status")
    rank = _f(row.get("rank"))
    return [
        (text("report.parcel.id", lang), str(row["parcel_id"])),
        (text("report.parcel.park", lang), _name(zone, "park", row.get("park"), lang)),
        (text("report.parcel.cluster", lang), _name(zone, "cluster", row.get("cluster"), lang)),
        (
            text("report.parcel.status", lang),
            text(STATUSES[status], lang) if status in STATUSES else str(status or "—"),
        ),
        (
            text("report.parcel.area", lang),
            text("report.area_value", lang, m2=number(area_m2, 0), mu=number(area_mu, 2)),
        ),
        (text("report.parcel.score", lang), _paren(number(row.get("score"), 1), cls or "—", lang)),
        (text("report.parcel.rank", lang), "—" if rank is None else f"{rank:.0f}"),
    ]


#: Parcel statuses and their names in the catalogue.
STATUSES = {
    "vacant": "report.status.vacant",
    "reserved": "report.status.reserved",
    "existing": "report.status.existing",
    "public": "report.status.public",
}


def verdict(row: dict[str, Any], lang: str) -> tuple[str, bool]:
    """Return the parcel's verdict sentence in ``lang`` and whether it is favourable."""
    if bool(row.get("excluded")):
        reasons = row.get("reasons_en") if lang == "en" else row.get("reasons")
        return text("report.verdict.excluded", lang, reasons=reasons or "—"), False
    if row.get("status") not in ("vacant", "reserved"):
        return text("report.verdict.occupied", lang), False
    cls = row.get("class_en") if lang == "en" else row.get("class")
    return text("report.verdict.eligible", lang, score=number(row.get("score"), 1), cls=cls or "—"), True


def slope_rows(zone: ZoneConfig, row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the slope statistics: mean, 90th percentile and maximum (°, mean also in %), and
    the share of the parcel under each of the zone's slope limits."""
    rows = [
        (
            text("report.slope.mean", lang),
            _paren(
                f"{number(row.get('slope_mean_deg'), 1)}°", f"{number(row.get('slope_mean_pct'), 1)}%", lang
            ),
        ),
        (text("report.slope.p90", lang), f"{number(row.get('slope_p90_deg'), 1)}°"),
        (text("report.slope.max", lang), f"{number(row.get('slope_max_deg'), 1)}°"),
    ]
    for lim in sorted(zone.scoring.slope_limits, key=lambda s: s.max_pct):
        share = row.get(f"slope_share_lt_{lim.max_pct:g}pct")
        rows.append(
            (text("report.slope.share_below", lang, limit=f"{lim.max_pct:g}", name=lim.name), _pct(share))
        )
    return rows


def earthwork_rows(row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the earthwork figures (m³, and m³ per 亩) of levelling the parcel."""
    return [
        (
            text("report.earth.fit", lang),
            text(
                "report.earth.cut_fill",
                lang,
                cut=number(row.get("earthwork_fit_cut_m3"), 0),
                fill=number(row.get("earthwork_fit_fill_m3"), 0),
            ),
        ),
        (
            text("report.earth.lim", lang),
            text(
                "report.earth.cut_fill",
                lang,
                cut=number(row.get("earthwork_lim_cut_m3"), 0),
                fill=number(row.get("earthwork_lim_fill_m3"), 0),
            ),
        ),
        (
            text("report.earth.per_mu", lang),
            f"{number(row.get('earthwork_lim_m3_per_mu'), 0)} m³/{text('report.mu', lang)}",
        ),
    ]


def distance_rows(row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the distances (straight line, and along the road network where measured)."""
    kv = _f(row.get("power_voltage_kv"))
    power = row.get("power_substation")
    if isinstance(power, str) and kv is not None:
        power = f"{power}, {kv:g} kV" if lang == "en" else f"{power}，{kv:g} kV"
    return [
        (text("report.dist.power", lang), _paren(_dist(row.get("power_dist_m")), power, lang)),
        (
            text("report.dist.water", lang),
            _paren(_dist(row.get("water_dist_m")), row.get("water_source"), lang),
        ),
        (
            text("report.dist.wastewater", lang),
            _paren(_dist(row.get("wastewater_dist_m")), row.get("wastewater_plant"), lang),
        ),
        (text("report.dist.road", lang), _dist(row.get("road_dist_m"))),
        (text("report.dist.provincial", lang), _dist(row.get("road_dist_m_provincial"))),
        (text("report.dist.county", lang), _dist(row.get("road_dist_m_county"))),
        (text("report.dist.net_s224", lang), _dist(row.get("net_dist_m_s224"))),
        (text("report.dist.net_county_seat", lang), _dist(row.get("net_dist_m_county_seat"))),
        (text("report.dist.net_gate", lang), _dist(row.get("net_dist_m_gate"))),
    ]


def constraint_rows(row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the constraints and encroachments: river control line, outside the park, slope
    over the natural-ground limit, and the exclusion reasons."""
    reasons = row.get("reasons_en") if lang == "en" else row.get("reasons")
    return [
        (
            text("report.cons.river", lang),
            _paren(
                _pct(row.get("river_share")),
                row.get("river_name") if _f(row.get("river_share")) else None,
                lang,
            ),
        ),
        (text("report.cons.outside", lang), _pct(row.get("outside_park_share"))),
        (text("report.cons.steep", lang), _pct(row.get("slope_over_limit_share"))),
        (
            text("report.cons.reasons", lang),
            reasons if isinstance(reasons, str) and reasons else text("report.none", lang),
        ),
    ]


def breakdown_rows(breakdown: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """Return the breakdown table: criterion, measured value with unit, value 0–1, weight (%)
    and contribution (score points)."""
    out = []
    for c in breakdown:
        raw = c.get("raw")
        out.append(
            {
                "name": str(c.get("name_en") if lang == "en" else c.get("name")),
                "raw": text("report.no_data", lang)
                if c.get("no_data")
                else f"{number(raw, 1)} {c.get('unit') or ''}".strip(),
                "value": number(c.get("value"), 2),
                "weight": f"{(_f(c.get('weight')) or 0) * 100:.1f}%",
                "contribution": number(c.get("contribution"), 1),
            }
        )
    return out


def sheet_of(zone: ZoneConfig, row: dict[str, Any], lang: str) -> tuple[dict[str, Any] | None, str | None]:
    """Return the parcel's 标准地 sheet rendered in ``lang`` (None and the reason when the parcel
    gets none: not vacant, in no cluster …)."""
    try:
        sheet = standard_land_sheet(zone, pd.Series(row))
    except ParksiteError as exc:
        return None, render(exc.user_message(), lang)
    return render_value(sheet.to_dict(), lang), None


def _frame(maps: ZoneMaps, name: str) -> gpd.GeoDataFrame | None:
    return maps.layers.get(name)


def _map_layers(maps: ZoneMaps, parcel: gpd.GeoDataFrame, cluster_id: Any, lang: str) -> list[MapLayer]:
    clusters = _frame(maps, "clusters")
    this_cluster = None
    if clusters is not None and "cluster_id" in clusters.columns:
        this_cluster = clusters[clusters["cluster_id"] == cluster_id]
    rivers = _frame(maps, "rivers")
    control = None
    if rivers is not None and "control_distance_m" in rivers.columns:
        dist = pd.to_numeric(rivers["control_distance_m"], errors="coerce").fillna(0)
        control = gpd.GeoDataFrame(
            geometry=rivers.geometry.buffer(dist.where(dist > 0, 0.01)), crs=rivers.crs
        )
    name_col = "name_en" if lang == "en" else "name"
    return [
        MapLayer(
            _frame(maps, "parks"), text("report.map.park", lang), "#6b4f2a", 1.4, linestyle="--", zorder=1
        ),
        MapLayer(
            clusters,
            text("report.map.clusters", lang),
            "#8a8a8a",
            0.6,
            zorder=1,
            label_field=name_col if clusters is not None and name_col in clusters.columns else "name",
        ),
        MapLayer(
            this_cluster,
            text("report.map.cluster", lang),
            "#c05621",
            1.6,
            fill="#fbd38d",
            alpha=0.35,
            zorder=2,
        ),
        MapLayer(_frame(maps, "parcels"), None, "#a0aec0", 0.3, zorder=2),
        MapLayer(
            control,
            text("report.map.river_control", lang),
            "#3182ce",
            0.6,
            fill="#90cdf4",
            alpha=0.35,
            linestyle=":",
            zorder=3,
        ),
        MapLayer(rivers, text("report.map.rivers", lang), "#2b6cb0", 1.4, zorder=3),
        MapLayer(_frame(maps, "roads"), text("report.map.roads", lang), "#4a4a4a", 1.1, zorder=4),
        MapLayer(
            _frame(maps, "substations"), text("report.map.substations", lang), "#d69e2e", marker="^", zorder=5
        ),
        MapLayer(
            parcel, text("report.map.parcel", lang), "#c53030", 2.2, fill="#feb2b2", alpha=0.8, zorder=6
        ),
    ]


def figures(
    zone: ZoneConfig, facts: ParcelFacts, geometry: Any, crs: Any, maps: ZoneMaps, lang: str
) -> dict[str, str]:
    """Return the report's figures as PNG data URIs: ``location`` (hillshade and layers around
    the parcel's cluster), ``slope`` (slope classes at the zone's limits around the parcel) and
    ``breakdown`` (each criterion's contribution against its weight)."""
    row = facts.row
    parcel = gpd.GeoDataFrame({"parcel_id": [row["parcel_id"]]}, geometry=[geometry], crs=crs)
    clusters = _frame(maps, "clusters")
    focus = geometry
    if clusters is not None and "cluster_id" in clusters.columns:
        hit = clusters[clusters["cluster_id"] == row.get("cluster")]
        if not hit.empty:
            focus = hit.geometry.union_all().union(geometry)
    m = text("report.metres", lang)
    layers = _map_layers(maps, parcel, row.get("cluster"), lang)
    loc = location_map(maps.dems, layers, padded_extent(focus, margin=0.08), metres=m)
    limits = sorted(s.max_pct for s in zone.scoring.slope_limits)
    labels = [text("report.slope.class_below", lang, limit=f"{limits[0]:g}")]
    labels += [
        text("report.slope.class_between", lang, lo=f"{a:g}", hi=f"{b:g}") for a, b in zip(limits, limits[1:])
    ]
    labels += [text("report.slope.class_above", lang, limit=f"{limits[-1]:g}")]
    near = [
        MapLayer(_frame(maps, "parcels"), None, "#4a5568", 0.3, zorder=2),
        MapLayer(parcel, text("report.map.parcel", lang), "#000000", 2.0, zorder=6),
    ]
    slope = slope_class_map(
        maps.slopes, near, padded_extent(geometry, margin=0.4, min_size_m=500), limits, labels, metres=m
    )
    bd = facts.breakdown
    chart = contribution_chart(
        [str(c.get("name_en") if lang == "en" else c.get("name")) for c in bd],
        [_f(c.get("contribution")) or 0.0 for c in bd],
        [(_f(c.get("weight")) or 0.0) * 100 for c in bd],
        xlabel=text("report.chart.points", lang),
        legend={"got": text("report.chart.got", lang), "max": text("report.chart.max", lang)},
    )
    return {"location": png_uri(loc), "slope": png_uri(slope), "breakdown": png_uri(chart)}


def parcel_report(
    zone: ZoneConfig,
    facts: ParcelFacts,
    geometry: Any,
    crs: Any,
    maps: ZoneMaps,
    *,
    lang: str = "zh",
    on: dt.date | None = None,
    illustrative: bool = False,
) -> bytes:
    """Return the 地块选址报告 of one parcel as PDF bytes (A4, in ``lang``), dated ``on`` (today
    by default); ``illustrative`` states that the data is the sample's, not survey data.
    ``geometry`` is the parcel's outline in ``crs`` (the zone CRS)."""
    row = facts.row
    said, good = verdict(row, lang)
    sheet, no_sheet = sheet_of(zone, row, lang)
    zone_name = zone.zone.name_en if lang == "en" else zone.zone.name
    return pdf(
        "parcel.html",
        lang,
        title=text("report.parcel.title", lang),
        zone_name=zone_name,
        date=(on or dt.date.today()).isoformat(),
        illustrative=illustrative,
        parcel_id=str(row["parcel_id"]),
        summary=summary_rows(zone, row, lang),
        verdict=said,
        favourable=good,
        slope=slope_rows(zone, row, lang),
        earthwork=earthwork_rows(row, lang),
        distances=distance_rows(row, lang),
        constraints=constraint_rows(row, lang),
        breakdown=breakdown_rows(facts.breakdown, lang),
        score=number(row.get("score"), 1),
        sheet=sheet,
        no_sheet=no_sheet,
        figures=figures(zone, facts, geometry, crs, maps, lang),
    )
