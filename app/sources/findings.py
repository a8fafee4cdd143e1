"""The dry run's findings as report items: how each layer was read and mapped, areas against
the zone file, problems in the parcel fabric, DEMs, and a refusal's reasons.

Each function adds :class:`~app.sources.report.ReportItem` s (catalogue messages, ids in
``app/locale/<lang>/import.po``) to a :class:`~app.sources.report.DryRunReport`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping as geojson

from app.sources.convert import ConvertedLayer
from app.sources.dems import DemPlan
from app.sources.report import DryRunReport
from gis.crs_suggest import CRSSuggestion, TransformInfo, crs_suggestions
from gis.dem_tiles import DemReport
from gis.dxf import DxfReport
from gis.encoding import TextEncoding
from gis.errors import ParksiteError
from gis.fabric import FabricLimits, check_fabric
from gis.layers import LayerReport
from gis.messages import Message, msg
from gis.repair import feature_label
from gis.units import MU_M2
from scoring.zone import ZoneConfig

#: Share by which an outline's area may differ from the zone file's before it is a warning.
AREA_TOLERANCE = 0.05
#: Share by which a parcel's drawn area may differ from its declared area.
DECLARED_AREA_TOLERANCE = 0.01
#: Items of one kind listed one by one before the rest are counted.
LIST_LIMIT = 50


def lonlat_geometries(geoms: Sequence[Any], crs: str) -> list[dict[str, Any]]:
    """Return shapely geometries in ``crs`` as GeoJSON geometries in lon/lat (CRS84)."""
    if not len(geoms):
        return []
    series = gpd.GeoSeries(list(geoms), crs=crs).to_crs("OGC:CRS84")
    return [geojson(shapely.set_precision(g, 1e-7)) for g in series]


def _accuracy(t: TransformInfo) -> Message:
    if t.accuracy_m == 0:
        return msg("import.accuracy.exact")
    if t.accuracy_m is not None:
        return msg("import.accuracy.metres", metres=f"{t.accuracy_m:g}")
    return msg("import.accuracy.unknown")


def encoding_message(enc: TextEncoding) -> Message:
    """The message saying which text encoding a file was read in, and why."""
    how = (
        msg("import.encoding.how.detected_declared", declared=enc.declared)
        if enc.how == "detected" and enc.declared
        else msg(f"import.encoding.how.{enc.how}")
    )
    return msg("import.layer.encoding", encoding=enc.gdal_name, how=how, sample=enc.sample or "")


def reading_items(report: DryRunReport, section: str, r: LayerReport) -> None:
    """How a layer was read: file, CRS (declared or given), transformation, encoding, DXF."""
    file = r.source + (f" [{r.layer}]" if r.layer else "")
    report.add("info", section, msg("import.layer.read", count=r.features, file=file, driver=r.driver))
    if r.crs_given:
        report.add("info", section, msg("import.layer.crs_given", crs=r.source_crs))
    else:
        report.add("info", section, msg("import.layer.crs_declared", crs=r.source_crs))
    for note in r.notes:
        if note.startswith("declares "):
            report.add("warning", section, msg("import.layer.crs_ignored", note=note))
    t = r.transformation
    if r.reprojected and t is not None:
        report.add(
            "info",
            section,
            msg(
                "import.layer.transform",
                source=t.source,
                target=t.target,
                operation=t.description,
                accuracy=_accuracy(t),
            ),
        )
        if t.older_datum:
            report.add("warning", section, msg("import.layer.older_datum", datum=t.older_datum))
    if r.encoding is not None and r.encoding.how != "ascii":
        level = "warning" if r.encoding.how == "detected" and r.encoding.declared else "info"
        report.add(level, section, encoding_message(r.encoding))
    if r.dxf is not None:
        for level, m in dxf_messages(r.dxf):
            report.add(level, section, m)


def dxf_messages(d: DxfReport) -> list[tuple[str, Message]]:
    """What reading a DXF found, as (level, message): its layers and what they hold, the
    polygons made, polylines closed or left open, duplicates."""
    layers = [
        msg(
            "import.dxf.layer",
            layer=n,
            kinds=[msg(f"import.dxf.kind.{k}", count=c) for k, c in kinds.items()],
        )
        for n, kinds in sorted(d.layers.items())
    ]
    out: list[tuple[str, Message]] = [
        ("info", msg("import.dxf.layers", layers=layers)),
        ("info", msg("import.dxf.polygons", count=d.polygons)),
    ]
    for key, count in (("closed", d.closed_gaps), ("open", d.open_skipped), ("duplicates", d.duplicates)):
        if count:
            out.append(("warning" if key == "open" else "info", msg(f"import.dxf.{key}", count=count)))
    return out


def repair_items(
    report: DryRunReport, section: str, r: LayerReport, frame: gpd.GeoDataFrame | None, crs: str
) -> None:
    """Each invalid geometry and its repair, drawn where it is."""
    geoms = [
        frame.geometry.iloc[rep.row] if frame is not None and rep.row < len(frame) else None
        for rep in r.repairs
    ]
    shapes = lonlat_geometries([g for g in geoms if g is not None], crs)
    it = iter(shapes)
    for rep, g in zip(r.repairs, geoms):
        feature = feature_label(rep.row, rep.feature_id, r.id_field)
        report.add(
            "warning",
            section,
            msg(
                "import.layer.repair",
                feature=feature,
                reason=rep.reason,
                before=f"{rep.area_before_m2:,.1f}",
                after=f"{rep.area_after_m2:,.1f}",
            ),
            geometry=next(it) if g is not None else None,
            ids=(str(rep.feature_id),) if rep.feature_id is not None else (),
            kind="repair",
        )


def mapping_items(report: DryRunReport, section: str, c: ConvertedLayer) -> None:
    """Joins, overlays, how each field mapped, and what did not map (fields, codes, numbers)."""
    for j in c.joins:
        report.add(
            "info",
            section,
            msg(
                "import.join.summary",
                table=j.table,
                rows=j.rows,
                on=j.on,
                key=j.key,
                matched=j.matched,
                count=len(c.frame),
            ),
        )
        if j.encoding is not None and j.encoding.how not in ("ascii", "bom"):
            report.add("info", section, encoding_message(j.encoding))
        if j.missing_in_table:
            report.add(
                "warning", section, msg("import.join.missing_in_table", keys=j.missing_in_table[:LIST_LIMIT])
            )
        if j.missing_in_layer:
            report.add(
                "warning", section, msg("import.join.missing_in_layer", keys=j.missing_in_layer[:LIST_LIMIT])
            )
    for ov in c.overlays:
        report.add(
            "info",
            section,
            msg(
                "import.overlay.summary",
                file=ov.report.source,
                field=ov.field,
                count=ov.report.features,
                uncovered=ov.uncovered,
                mixed=ov.mixed,
            ),
        )
        if ov.report.encoding is not None and ov.report.encoding.how != "ascii":
            report.add("info", section, encoding_message(ov.report.encoding))
    for target, how in c.mapped.items():
        report.add("info", section, msg("import.field.mapped", target=target, how=how))
    if c.unmapped:
        report.add("warning", section, msg("import.field.unmapped", fields=c.unmapped))
    for miss in c.code_misses:
        codes = [f"{code} ×{n}" for code, n in sorted(miss.codes.items())]
        report.add(
            "warning",
            section,
            msg(
                "import.field.code_miss",
                source=miss.source,
                table=miss.table,
                codes=codes,
                target=miss.target,
            ),
        )
    for target, values in c.bad_numbers.items():
        report.add(
            "warning", section, msg("import.field.bad_numbers", target=target, values=values[:LIST_LIMIT])
        )


def dxf_label_items(report: DryRunReport, section: str, c: ConvertedLayer, crs: str) -> None:
    """Polygons of a drawing without a label or with several, drawn where they are."""
    d = c.report.dxf
    if d is None:
        return
    cases = [(k, "unlabelled", []) for k in d.unlabelled] + [(k, "ambiguous", ids) for k, ids in d.ambiguous]
    shapes = lonlat_geometries([c.frame.geometry.iloc[k] for k, _, _ in cases], crs)
    for (k, kind, ids), shape in zip(cases, shapes):
        report.add(
            "error",
            section,
            msg(f"import.dxf.{kind}", feature=feature_label(k), labels=list(ids)),
            geometry=shape,
            kind=f"dxf_{kind}",
        )


def area_items(report: DryRunReport, zone: ZoneConfig, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Outline areas against the zone file (parks, clusters), parcels per park, and declared
    parcel areas against drawn ones."""
    parks = frames.get("parks")
    park_area: dict[str, float] = {}
    if parks is not None and "park_id" in parks.columns:
        by_park = parks.assign(_a=parks.area).groupby(parks["park_id"].astype(str))["_a"].sum()
        for p in zone.parks:
            if p.id not in by_park.index:
                report.add("warning", "areas", msg("import.area.park_missing", park=p.name))
                continue
            area = float(by_park[p.id])
            park_area[p.id] = area
            diff = area / (p.area_km2 * 1e6) - 1 if p.area_km2 else 0.0
            level = "warning" if abs(diff) > AREA_TOLERANCE else "info"
            report.add(
                level,
                "areas",
                msg(
                    "import.area.park",
                    park=p.name,
                    area=f"{area / 1e6:.3f}",
                    declared=f"{p.area_km2:g}",
                    diff=f"{diff:+.1%}",
                ),
            )
    clusters = frames.get("clusters")
    if clusters is not None and "cluster_id" in clusters.columns:
        by_cluster = clusters.assign(_a=clusters.area).groupby(clusters["cluster_id"].astype(str))["_a"].sum()
        for _, cl in zone.clusters():
            if cl.area_mu is None or cl.id not in by_cluster.index:
                continue
            mu = float(by_cluster[cl.id]) / MU_M2
            diff = mu / cl.area_mu - 1 if cl.area_mu else 0.0
            level = "warning" if abs(diff) > AREA_TOLERANCE else "info"
            report.add(
                level,
                "areas",
                msg(
                    "import.area.cluster",
                    cluster=cl.name,
                    area=f"{mu:,.1f}",
                    declared=f"{cl.area_mu:g}",
                    diff=f"{diff:+.1%}",
                ),
            )
    parcels = frames.get("parcels")
    if parcels is None or "park" not in parcels.columns:
        return
    names = {p.id: p.name for p in zone.parks}
    for park_id, group in parcels.groupby(parcels["park"].astype(str)):
        area = float(group.area.sum())
        share = area / park_area[park_id] if park_area.get(park_id) else None
        report.add(
            "info",
            "areas",
            msg(
                "import.area.parcels",
                park=names.get(park_id, park_id),
                count=len(group),
                area=f"{area / MU_M2:,.1f}",
                share="—" if share is None else f"{share:.1%}",
            ),
        )
    if "declared_area_m2" in parcels.columns and "parcel_id" in parcels.columns:
        declared = parcels["declared_area_m2"].astype(float).to_numpy()
        drawn = parcels.area.to_numpy()
        off = np.flatnonzero(
            np.isfinite(declared)
            & (np.abs(drawn / np.where(declared > 0, declared, np.nan) - 1) > DECLARED_AREA_TOLERANCE)
        )
        if off.size:
            listed = [
                f"{parcels['parcel_id'].iloc[i]} ({drawn[i] / MU_M2:,.2f} / {declared[i] / MU_M2:,.2f} 亩)"
                for i in off[:LIST_LIMIT]
            ]
            report.add(
                "warning", "areas", msg("import.area.declared_mismatch", count=int(off.size), parcels=listed)
            )


def fabric_items(
    report: DryRunReport,
    parcels: gpd.GeoDataFrame,
    ids: Sequence[Any],
    parks: gpd.GeoDataFrame | None,
    crs: str,
    limits: FabricLimits = FabricLimits(),
) -> None:
    """Overlaps, gaps, parcels across the park edge and slivers, each drawn where it is."""
    problems = check_fabric(
        parcels.geometry.array, ids, None if parks is None else parks.geometry.array, limits
    )
    shapes = lonlat_geometries([p.geometry for p in problems], crs)
    for p, shape in zip(problems, shapes):
        params: dict[str, Any] = {"area": f"{p.area_m2:,.1f}"}
        if p.kind == "overlap":
            params.update(first=p.ids[0], second=p.ids[1])
        elif p.kind == "gap":
            params.update(width=f"{p.detail['width_m']:.2f}")
        elif p.kind == "outside_park":
            params.update(parcel=p.ids[0], share=f"{p.detail['share']:.1%}")
        else:
            params.update(parcel=p.ids[0], width=f"{p.detail['width_m']:.2f}")
        report.add(
            "warning",
            "problems",
            msg(f"import.problem.{p.kind}", **params),
            geometry=shape,
            ids=p.ids,
            kind=p.kind,
        )
    if not problems:
        report.add("info", "problems", msg("import.problem.none", count=len(ids)))


def dem_items(report: DryRunReport, plan: DemPlan, will_write: Sequence[str]) -> None:
    """DEMs used as they are, and each mosaic: tiles, cells, resolution, transformation,
    elevations, where it will be written."""
    for p in plan.as_is:
        report.add("info", "dem", msg("import.dem.as_is", file=str(p)))
    for m, out in zip(plan.mosaics, will_write):
        r: DemReport = m.report
        used = [t for t in r.tiles if t.used]
        t0 = used[0]
        cell = (
            msg(
                "import.dem.cell_degrees",
                sx=f"{t0.cell_x * 3600:.2f}",
                sy=f"{t0.cell_y * 3600:.2f}",
                mx=f"{r.cell_m[0]:.1f}",
                my=f"{r.cell_m[1]:.1f}",
                lat=f"{r.centre_lat:.2f}",
            )  # fmt: skip
            if r.geographic
            else msg("import.dem.cell_metres", mx=f"{r.cell_m[0]:.1f}", my=f"{r.cell_m[1]:.1f}")
        )
        report.add(
            "info",
            "dem",
            msg(
                "import.dem.tiles",
                count=len(used),
                crs=r.source_crs,
                cell=cell,
                files=[t.path.name for t in used],
            ),
        )
        left_out = [t.path.name for t in r.tiles if not t.used]
        if left_out:
            report.add("info", "dem", msg("import.dem.left_out", files=left_out))
        how = (
            msg("import.dem.resolution_given") if r.resolution_given else msg("import.dem.resolution_default")
        )
        report.add(
            "info",
            "dem",
            msg(
                "import.dem.reprojected",
                crs=r.target_crs,
                resolution=f"{r.resolution_m:g}",
                how=how,
                cols=r.shape[1],
                rows=r.shape[0],
            ),
        )
        report.add(
            "info",
            "dem",
            msg(
                "import.layer.transform",
                source=r.transformation.source,
                target=r.transformation.target,
                operation=r.transformation.description,
                accuracy=_accuracy(r.transformation),
            ),  # fmt: skip
        )
        report.add(
            "info",
            "dem",
            msg(
                "import.dem.elevations",
                low=f"{r.elevation_m[0]:,.1f}",
                high=f"{r.elevation_m[1]:,.1f}",
                nodata=f"{r.nodata_share:.1%}",
            ),
        )
        report.add("info", "dem", msg("import.dem.written", file=out))


def suggestion_message(s: CRSSuggestion) -> Message:
    """One suggested CRS, said in the user's language."""
    return s.message()


def error_items(report: DryRunReport, section: str, exc: ParksiteError) -> None:
    """A refusal: a missing CRS with its suggestions, or any other domain error."""
    found = crs_suggestions(exc)
    if found is not None:
        suggestions, b = found
        coords = f"x {b[0]:,.0f}…{b[2]:,.0f}, y {b[1]:,.0f}…{b[3]:,.0f}"
        if suggestions:
            report.add(
                "error",
                section,
                msg(
                    "import.crs.missing",
                    where=exc.where or "",
                    coords=coords,
                    suggestions=[suggestion_message(s) for s in suggestions],
                    best=suggestions[0].code,
                ),
            )
        else:
            report.add("error", section, msg("import.crs.none", where=exc.where or "", coords=coords))
        return
    user = getattr(exc, "msg", None)  # a catalogue message, where the error carries one
    report.add(
        "error", section, msg("import.refused", detail=user if isinstance(user, Message) else str(exc))
    )
