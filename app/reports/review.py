"""项目准入审查意见 (project review opinion) as a PDF.

The project's figures, the verdict, every admission rule with its value, threshold and source,
the land basis (the most land the project justifies, and the ``land`` block of the check when
the check gives one), the recommended parcels on a map with their ranks and reasons, and a
signature block. Built from the check and recommendation as ``scoring/`` returns them
(``CheckResult.to_dict()``, ``Recommendation.to_dict()``), rendered in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import shapely

from app.i18n import render, render_value, text
from app.reports.parcel import ZoneMaps, _paren
from app.reports.render import number, pdf, png_uri
from gis.figures import MapLayer, location_map, padded_extent
from scoring.admission import CheckResult, rule_label
from scoring.project import Project
from scoring.recommend import Recommendation
from scoring.rulebook import STATUS_IDS
from scoring.zone import ZoneConfig

#: The opinion sentence of each verdict.
OPINION_IDS = {
    "pass": "report.review.opinion_pass",
    "review": "report.review.opinion_review",
    "fail": "report.review.opinion_fail",
    "needs_data": "report.review.opinion_needs_data",
}

#: Recommended sites within this distance (m) of the checked site share its map.
NEAR_M = 2500.0

#: Project figures shown, in order: (field, message id of the label, unit, decimals).
PROJECT_FIELDS: tuple[tuple[str, str, str, int], ...] = (
    ("industry", "report.project.industry", "", 0),
    ("branch", "report.project.branch", "", 0),
    ("investment_wan", "report.project.investment", "report.unit.wan", 0),
    ("output_wan", "report.project.output", "report.unit.wan_year", 0),
    ("tax_wan", "report.project.tax", "report.unit.wan_year", 0),
    ("land_mu", "report.project.land", "report.mu", 2),
    ("water_m3_per_day", "report.project.water", "report.unit.m3_day", 0),
    ("power_kw", "report.project.power", "report.unit.kw", 0),
    ("online_monitoring", "report.project.monitoring", "", 0),
    ("waste_treatment_pct", "report.project.waste", "report.unit.pct", 1),
    ("energy_tce_per_wan", "report.project.energy", "report.unit.tce_wan", 2),
    ("water_m3_per_wan", "report.project.water_per_wan", "report.unit.m3_wan", 2),
)


def _cell(v: Any, lang: str, digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return text("common.yes" if v else "common.no", lang)
    if isinstance(v, int | float):
        return number(v, digits if isinstance(v, float) and not float(v).is_integer() else 0)
    if isinstance(v, list):
        return "、".join(_cell(x, lang) for x in v) if lang == "zh" else ", ".join(_cell(x, lang) for x in v)
    return str(render_value(v, lang))


def project_rows(project: Project, lang: str) -> list[tuple[str, str]]:
    """Return the project's declared figures as (label, value with unit); undeclared: "未申报"."""
    rows = []
    for field, label, unit, digits in PROJECT_FIELDS:
        v = getattr(project, field)
        if v is None:
            shown = text("report.project.undeclared", lang)
        elif isinstance(v, bool):
            shown = text("common.yes" if v else "common.no", lang)
        elif isinstance(v, float | int):
            shown = f"{number(v, digits)} {text(unit, lang) if unit else ''}".strip()
        else:
            shown = str(v)
        rows.append((text(label, lang), shown))
    return rows


def rule_rows(check: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """Return one row per admission rule: its name, outcome (and its key), value, threshold
    (with unit), message and source; ``check`` is ``CheckResult.to_dict()`` rendered."""
    out = []
    for r in check["rules"]:
        unit = f" {r['unit']}" if r.get("unit") else ""
        value, thr = _cell(r.get("value"), lang), _cell(r.get("threshold"), lang)
        out.append(
            {
                "rule": text(rule_label(r["rule"]), lang),
                "status": text(STATUS_IDS[r["status"]], lang),
                "key": r["status"],
                "value": value + (unit if value != "—" else ""),
                "threshold": thr + (unit if thr != "—" else ""),
                "message": str(r.get("message") or ""),
                "source": str(r.get("source") or ""),
            }
        )
    return out


def land_rows(check: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Return the land basis: the site's area, the most land the project justifies and why, and
    the check's ``land`` block where it has one (parcel, net and granted areas, the basis, each
    deduction and a proposed split; areas in 亩). ``check`` is rendered."""
    mu = text("report.mu", lang)

    def area(v: Any) -> str:
        return f"{number(v, 2)} {mu}"

    rows = [(text("report.review.site_area", lang), area(check.get("area_mu")))]
    if check.get("max_justified_mu") is not None:
        rows.append(
            (
                text("report.review.justified", lang),
                _paren(area(check["max_justified_mu"]), str(check.get("max_justified_basis") or ""), lang),
            )
        )
    land = check.get("land")
    if not isinstance(land, dict):
        return rows
    rows.append((text("report.land.parcel_mu", lang), area(land.get("parcel_mu"))))
    rows.append((text("report.land.net_mu", lang), area(land.get("net_mu"))))
    if land.get("declared_mu") is not None:
        rows.append((text("report.land.declared_mu", lang), area(land["declared_mu"])))
    granted = area(land.get("granted_mu"))
    why = "；".join(str(x) for x in (land.get("basis_label"), land.get("reason")) if x)
    rows.append((text("report.land.granted_mu", lang), _paren(granted, why, lang)))
    deductions = [str(d.get("label") or "") for d in land.get("deductions") or [] if isinstance(d, dict)]
    rows.append(
        (
            text("report.land.encroachments", lang),
            ("；" if lang == "zh" else "; ").join(deductions) if deductions else text("report.none", lang),
        )
    )
    split = land.get("split")
    if isinstance(split, dict):
        rows.append(
            (
                text("report.land.split", lang),
                text(
                    "report.land.split_value",
                    lang,
                    granted=number(split.get("granted_mu"), 2),
                    remainder=number(split.get("remainder_mu"), 2),
                ),
            )
        )
    return rows


def candidate_rows(rec: dict[str, Any], zone: ZoneConfig, lang: str) -> list[dict[str, str]]:
    """Return the recommended sites: rank, parcels, cluster, area (亩), score, outcome, reason."""
    out = []
    for c in rec.get("candidates") or []:
        try:
            cl = zone.cluster(c["cluster"])
            cluster = cl.name_en if lang == "en" else cl.name
        except Exception:  # a cluster id the zone file does not know
            cluster = str(c.get("cluster") or "—")
        out.append(
            {
                "rank": str(c["rank"]),
                "parcels": "+".join(c["parcel_ids"]),
                "cluster": cluster,
                "area": number(c["area_mu"], 2),
                "score": number(c["score"], 1),
                "status": text(STATUS_IDS[c["verdict"]], lang),
                "reason": str(c.get("reason") or ""),
            }
        )
    return out


def review_map(
    parcels: gpd.GeoDataFrame, site_ids: list[str], rec: dict[str, Any], maps: ZoneMaps, lang: str
) -> str:
    """Return the map (PNG data URI): the checked site (red) and the recommended sites (blue,
    labelled with their rank) over the hillshade, with the clusters, roads and rivers."""
    geoms = dict(zip(parcels["parcel_id"].astype(str), parcels.geometry))
    site = shapely.union_all([geoms[i] for i in site_ids if i in geoms])
    cands = [
        (str(c["rank"]), shapely.union_all([geoms[p] for p in c["parcel_ids"] if p in geoms]))
        for c in rec.get("candidates") or []
    ]
    crs = parcels.crs
    site_gdf = gpd.GeoDataFrame({"label": [""]}, geometry=[site], crs=crs)
    cand_gdf = gpd.GeoDataFrame(
        {"label": [f"#{r}" for r, _ in cands]}, geometry=[g for _, g in cands], crs=crs
    )
    # the map shows the site and the recommended sites near it (within NEAR_M); sites farther
    # away (e.g. in the other park) are in the table, and alone on the map only with no site
    near = [g for _, g in cands if shapely.distance(g, site) <= NEAR_M] if not site.is_empty else []
    focus = (
        shapely.union_all([site, *near]) if not site.is_empty else shapely.union_all([g for _, g in cands])
    )
    name_col = "name_en" if lang == "en" else "name"
    clusters = maps.layers.get("clusters")
    layers = [
        MapLayer(
            maps.layers.get("parks"), text("report.map.park", lang), "#6b4f2a", 1.4, linestyle="--", zorder=1
        ),
        MapLayer(
            clusters,
            text("report.map.clusters", lang),
            "#8a8a8a",
            0.6,
            zorder=1,
            label_field=name_col if clusters is not None and name_col in clusters.columns else None,
        ),
        MapLayer(maps.layers.get("parcels"), None, "#a0aec0", 0.3, zorder=2),
        MapLayer(maps.layers.get("rivers"), text("report.map.rivers", lang), "#2b6cb0", 1.4, zorder=3),
        MapLayer(maps.layers.get("roads"), text("report.map.roads", lang), "#4a4a4a", 1.1, zorder=4),
        MapLayer(
            cand_gdf,
            text("report.map.candidates", lang),
            "#2b6cb0",
            1.8,
            fill="#bee3f8",
            alpha=0.8,
            zorder=5,
            label_field="label",
        ),
        MapLayer(
            site_gdf, text("report.map.site", lang), "#c53030", 2.2, fill="#feb2b2", alpha=0.8, zorder=6
        ),
    ]
    png = location_map(
        maps.dems,
        layers,
        padded_extent(focus, margin=0.12, min_size_m=800),
        metres=text("report.metres", lang),
    )
    return png_uri(png)


def review_report(
    zone: ZoneConfig,
    project: Project,
    parcels: gpd.GeoDataFrame,
    site_ids: list[str],
    result: CheckResult,
    rec: Recommendation,
    maps: ZoneMaps,
    *,
    lang: str = "zh",
    on: dt.date | None = None,
    illustrative: bool = False,
    check_data: dict[str, Any] | None = None,
) -> bytes:
    """Return the 项目准入审查意见 of ``project`` on the site ``site_ids`` as PDF bytes (A4, in
    ``lang``), dated ``on`` (today by default). ``check_data`` is the check as JSON when the
    caller has more than ``result.to_dict()`` (e.g. a ``land`` block); its texts may be messages."""
    check = render_value(check_data if check_data is not None else result.to_dict(), lang)
    recd = render_value(rec.to_dict(), lang)
    zone_name = zone.zone.name_en if lang == "en" else zone.zone.name
    verdict = check["verdict"]
    return pdf(
        "review.html",
        lang,
        title=text("report.review.title", lang),
        zone_name=zone_name,
        date=(on or dt.date.today()).isoformat(),
        illustrative=illustrative,
        project_name=project.name,
        site="+".join(site_ids),
        project=project_rows(project, lang),
        verdict=text(STATUS_IDS[verdict], lang),
        verdict_key=verdict,
        opinion=text(OPINION_IDS[verdict], lang, project=project.name, site="+".join(site_ids)),
        rules=rule_rows(check, lang),
        land=land_rows(check, lang),
        candidates=candidate_rows(recd, zone, lang),
        rec_note=render(rec.note, lang) if getattr(rec, "note", None) else "",
        map=review_map(parcels, site_ids, recd, maps, lang),
    )
