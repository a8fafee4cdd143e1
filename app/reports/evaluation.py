"""亩均效益评价结果 (the year's 亩均效益 evaluation) as a PDF.

The method as the zone's evaluation file states it (indicators, weights, benchmarks, cap,
missing items, scope, exemptions, class bands and policies, each with its source), the counts
per class with a chart, the zone's parcels on a map coloured by their occupant's class, the
class table of each group (every indicator's value and points against its benchmark, the
total, rank and class; T exemptions with their reason), the D list with the class policies,
and the enterprises not evaluated. Everything shown is :class:`scoring.evaluation.Evaluation`
as ``scoring/`` computed it; this module only chooses, labels and lays out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd

from app.i18n import text
from app.reports.parcel import ZoneMaps
from app.reports.render import number, pdf, png_uri
from gis.figures import MapLayer, class_count_chart, location_map, padded_extent
from scoring.evaluation import EnterpriseResult, Evaluation
from scoring.evaluation_method import GROUPS, Indicator
from scoring.zone import ZoneConfig

#: The colours of the classes on the map and the chart (A best … D worst; T exempt), as the
#: dashboard draws them.
CLASS_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#fdae61", "D": "#d73027", "T": "#8c8c8c"}
#: Catalogue ids of the groups and of the exemption reasons.
GROUP_IDS = {"above": "eval.group.above", "below": "eval.group.below", "out": "eval.group.out"}
EXEMPT_IDS = {"new": "eval.exempt.new", "kind": "eval.exempt.kind"}


def _pick(zh: str, en: str | None, lang: str) -> str:
    return en if lang == "en" and en else zh


def _unit(ind: Indicator, lang: str) -> str:
    return _pick(ind.unit, ind.unit_en, lang)


def _digits(x: float | None) -> int:
    """Decimals that keep a value readable: 2 below 100, 1 below 1 000, else none."""
    if x is None or not math.isfinite(x):
        return 2
    return 2 if abs(x) < 100 else 1 if abs(x) < 1000 else 0


def method_rows(ev: Evaluation, lang: str) -> list[dict[str, Any]]:
    """Return per group its indicators: name, unit, weight, benchmark (in the unit, with how it
    is set) and the sources of the indicator and of its benchmark."""
    out = []
    for g in GROUPS:
        rows = []
        for ind in ev.method.indicators[g]:
            b = ev.benchmarks[g][ind.id]
            rows.append(
                {
                    "name": _pick(ind.name, ind.name_en, lang),
                    "unit": _unit(ind, lang),
                    "weight": number(ind.weight, 0),
                    "benchmark": number(b, _digits(b)),
                    "benchmark_source": ind.benchmark.source,
                    "source": ind.source,
                }
            )
        out.append({"group": text(GROUP_IDS[g], lang), "rows": rows})
    return out


def class_rows(ev: Evaluation, lang: str) -> list[dict[str, str]]:
    """Return the class bands: id, name, the rank share it covers, the policy, the source and how
    many enterprises it holds this year (T last: evaluated, not ranked)."""
    counts = ev.class_counts()
    out, lower = [], 0.0
    for c in ev.method.classes:
        out.append(
            {
                "id": c.id,
                "name": _pick(c.name, c.name_en, lang),
                "share": text(
                    "report.eval.share_band",
                    lang,
                    lower=number(lower * 100, 0),
                    upper=number(c.upto * 100, 0),
                ),
                "policy": _pick(c.policy, c.policy_en, lang),
                "source": c.source,
                "count": str(counts.get(c.id, 0)),
            }
        )
        lower = c.upto
    out.append(
        {
            "id": "T",
            "name": text("eval.class_t", lang),
            "share": "—",
            "policy": text("report.eval.t_policy", lang),
            "source": ev.method.exemptions.source,
            "count": str(counts.get("T", 0)),
        }
    )
    return out


def _class_cell(e: EnterpriseResult, lang: str) -> str:
    if e.klass == "T" and e.exempt:
        return text("eval.class_t_why", lang, reason=text(EXEMPT_IDS[e.exempt], lang))
    return e.klass or "—"


def group_tables(ev: Evaluation, lang: str) -> list[dict[str, Any]]:
    """Return per group with enterprises the class table: the header (each indicator with its
    unit, weight and benchmark) and one row per enterprise (rank, name, land 亩, per indicator
    its value and points, the total, the class; T with its reason)."""
    out = []
    for g in GROUPS:
        members = [e for e in ev.enterprises if e.scope == g]
        if not members:
            continue
        inds = ev.method.indicators[g]
        head = [
            {
                "name": _pick(i.name, i.name_en, lang),
                "unit": _unit(i, lang),
                "weight": number(i.weight, 0),
                "benchmark": number(ev.benchmarks[g][i.id], _digits(ev.benchmarks[g][i.id])),
            }
            for i in inds
        ]
        rows = []
        for e in members:
            cells = []
            for i in inds:
                item = e.items.get(i.id)
                if item is None:
                    cells.append({"value": "—", "points": "—"})
                    continue
                cells.append(
                    {
                        "value": text("report.eval.missing", lang)
                        if item.value is None
                        else number(item.value, _digits(item.value)),
                        "points": number(item.points, 1),
                    }
                )
            rows.append(
                {
                    "rank": "—" if e.rank is None else str(e.rank),
                    "name": e.name,
                    "land": number(e.land_mu, 1),
                    "cells": cells,
                    "score": number(e.score, 2),
                    "klass": e.klass or "",
                    "class_text": _class_cell(e, lang),
                }
            )
        out.append({"group": text(GROUP_IDS[g], lang), "head": head, "rows": rows})
    return out


def class_map(
    ev: Evaluation, parcels_of: Mapping[str, Sequence[str]], maps: ZoneMaps, lang: str
) -> str | None:
    """Return the map (PNG data URI) of the zone's occupied parcels coloured by their occupant's
    class over the hillshade (parcels of enterprises without figures in grey), or None when no
    evaluated enterprise has a parcel on the map."""
    parcels = maps.layers.get("parcels")
    if parcels is None or parcels.empty:
        return None
    klass = {}
    for e in ev.enterprises:
        for pid in parcels_of.get(e.name, ()):
            klass[str(pid)] = e.klass or "none"
    ids = parcels["parcel_id"].astype(str)
    if all(k == "none" for k in klass.values()):
        return None
    occupied = {pid for names in parcels_of.values() for pid in map(str, names)}
    layers = [
        MapLayer(
            maps.layers.get("parks"), text("report.map.park", lang), "#6b4f2a", 1.4, linestyle="--", zorder=1
        ),
        MapLayer(parcels, None, "#a0aec0", 0.3, zorder=2),
        MapLayer(maps.layers.get("roads"), text("report.map.roads", lang), "#4a4a4a", 1.0, zorder=3),
        MapLayer(maps.layers.get("rivers"), text("report.map.rivers", lang), "#2b6cb0", 1.2, zorder=3),
        MapLayer(
            gpd.GeoDataFrame(parcels[ids.map(lambda p: p in occupied and klass.get(p, "none") == "none")]),
            text("report.eval.map_no_class", lang),
            "#4a5568",
            0.5,
            fill="#e2e8f0",
            alpha=0.9,
            zorder=4,
        ),
    ]
    for c in [*(b.id for b in ev.method.classes), "T"]:
        mine = parcels[ids.map(klass).eq(c)]
        if mine.empty:
            continue
        name = text("eval.class_t", lang) if c == "T" else c
        layers.append(
            MapLayer(
                gpd.GeoDataFrame(mine),
                name,
                "#2d3748",
                0.6,
                fill=CLASS_COLOURS[c],
                alpha=0.9,
                zorder=5,
            )
        )
    evaluated = parcels[ids.isin(klass)]
    png = location_map(
        maps.dems,
        layers,
        padded_extent(evaluated.geometry.union_all(), margin=0.08, min_size_m=1200),
        metres=text("report.metres", lang),
        legend_title=text("eval.col.class", lang),
    )
    return png_uri(png)


def class_chart(ev: Evaluation, lang: str) -> str:
    """Return the chart (PNG data URI) of the number of enterprises per class in each group."""
    classes = [*(c.id for c in ev.method.classes), "T"]
    groups = [g for g in GROUPS if any(e.scope == g for e in ev.enterprises)] or list(GROUPS)
    counts = [
        [sum(1 for e in ev.enterprises if e.scope == g and e.klass == c) for c in classes] for g in groups
    ]
    png = class_count_chart(
        [text(GROUP_IDS[g], lang) for g in groups],
        classes,
        counts,
        [CLASS_COLOURS[c] for c in classes],
        ylabel=text("report.eval.chart_y", lang),
    )
    return png_uri(png)


def evaluation_report(
    zone: ZoneConfig,
    ev: Evaluation,
    parcels_of: Mapping[str, Sequence[str]],
    maps: ZoneMaps,
    *,
    lang: str = "zh",
    on: dt.date | None = None,
    illustrative: bool = False,
) -> bytes:
    """Return the 亩均效益评价结果 of ``ev.year`` as PDF bytes (A4, in ``lang``), dated ``on``
    (today by default). ``parcels_of`` maps an enterprise's name to its parcel ids (the map);
    ``maps.layers["parcels"]`` holds the zone's parcels (``parcel_id``, zone CRS);
    ``illustrative`` states that the figures are the sample's invented ones."""
    m = ev.method
    counts = ev.class_counts()
    d_policy = next((c for c in m.classes if c.id == "D"), None)
    out = [e for e in ev.enterprises if e.scope == "out"]
    return pdf(
        "evaluation.html",
        lang,
        title=text("report.eval.title", lang, year=ev.year),
        zone_name=zone.zone.name_en if lang == "en" else zone.zone.name,
        date=(on or dt.date.today()).isoformat(),
        illustrative=illustrative,
        year=ev.year,
        method_title=m.title,
        method_source=m.source,
        cap=number(m.cap, 2),
        cap_source=m.cap_source,
        missing_source=m.missing_source,
        scope_text=text("report.eval.scope", lang, mu=number(m.scope.below_min_mu, 0)),
        scope_source=m.scope.source,
        exempt_text=text(
            "report.eval.exemptions",
            lang,
            years=m.exemptions.producing_years,
            kinds=("、" if lang == "zh" else ", ").join(m.exemptions.kinds) or "—",
        ),
        exempt_source=m.exemptions.source,
        indicators=method_rows(ev, lang),
        classes=class_rows(ev, lang),
        evaluated=sum(1 for e in ev.enterprises if e.scope != "out"),
        counts_line=text(
            "report.eval.counts",
            lang,
            n=sum(1 for e in ev.enterprises if e.scope != "out"),
            a=counts.get("A", 0),
            b=counts.get("B", 0),
            c=counts.get("C", 0),
            d=counts.get("D", 0),
            t=counts.get("T", 0),
        ),
        tables=group_tables(ev, lang),
        d_list=[
            {
                "name": e.name,
                "group": text(GROUP_IDS[e.scope], lang),
                "score": number(e.score, 2),
                "rank": e.rank,
            }
            for e in ev.d_list()
        ],
        d_policy=_pick(d_policy.policy, d_policy.policy_en, lang) if d_policy else "",
        out=[{"name": e.name, "land": number(e.land_mu, 1)} for e in out],
        out_note=text("report.eval.out_note", lang, mu=number(m.scope.below_min_mu, 0)),
        chart=class_chart(ev, lang),
        map=class_map(ev, parcels_of, maps, lang),
    )
