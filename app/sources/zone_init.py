"""``parksite zone init``: a new zone file written from the zone's own layers.

:func:`init_zone` reads the zone's layers (a field mapping, a GeoPackage or single files, as
an import does), takes the zone's computation CRS (given, else the CGCS2000 3-degree
Gauss–Krüger CRS nearest the parks, :func:`gis.crs_suggest.gauss_kruger_crs`), and writes:

* ``<zone id>/<zone id>.gpkg`` beside the zone file: the layers in parksite's schema and the
  zone CRS (parcels without a ``park`` field get the park covering most of them);
* the DEMs: used where they are when already in the zone CRS, else mosaicked and reprojected
  into ``<zone id>/`` (:mod:`app.sources.dems`);
* the zone file: ``zone`` (id, names, CRS), ``data`` (the two above), ``parks`` and their
  ``clusters`` from the layers (ids, names, outline areas; a park without clusters gets one
  covering it), then the province's default rules to edit (positive list, admission, land
  controls, the 三调 code table, scoring) from ``data/zones/templates/<province>.yaml``.

The file is checked by :func:`scoring.zone.load_zone` before it is kept.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml

from app.settings import ROOT
from app.sources.convert import ConvertedLayer, convert_layer
from app.sources.dems import plan_dems, write_planned
from app.sources.dry_run import ImportRequest, layer_specs
from gis.crs_suggest import gauss_kruger_crs
from gis.errors import ConfigError, InputFileError, SchemaError
from gis.overlay import majority_values
from gis.units import MU_M2
from scoring.config_base import read_yaml, validate
from scoring.land_codes import CodeTable
from scoring.zone import load_zone

#: Province templates: the default rules a new zone file starts from.
TEMPLATES = ROOT / "data" / "zones" / "templates"

_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass
class ZoneInit:
    """What ``zone init`` wrote: the zone file, the GeoPackage, the DEMs, and notes."""

    zone_file: Path
    layers: Path
    dems: list[Path]
    counts: dict[str, int]
    crs: str
    notes: list[str] = field(default_factory=list)


def load_template(province: str) -> dict[str, Any]:
    """Return a province template's sections (positive_list, admission, land_controls,
    land_codes, scoring); ConfigError for an unknown province or a bad file."""
    path = TEMPLATES / f"{province}.yaml"
    if not path.is_file():
        have = sorted(p.stem for p in TEMPLATES.glob("*.yaml"))
        raise ConfigError(
            f"no template for province {province!r} (templates: {', '.join(have)})", where="--province"
        )
    data = read_yaml(path, "zone template", "")
    if not isinstance(data, dict):
        raise ConfigError("a zone template must be a YAML mapping", where=str(path))
    return data


def _text(row: Any, name: str, default: str) -> str:
    value = row.get(name) if hasattr(row, "get") else None
    if value is None or (isinstance(value, float) and value != value) or not str(value).strip():
        return default
    return str(value).strip()


def _slug(value: Any, what: str, where: str) -> str:
    text = str(value).strip()
    if not _SLUG.match(text):
        raise SchemaError(
            f"{what} {text!r} is not an id parksite accepts (lower-case letters, digits, - and _, "
            "starting with a letter)",
            where=where,
            hint=f"map {what} to such an id in the field mapping (e.g. {{value: main}})",
        )
    return text


def _parks_section(
    parks: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame | None, sources: dict[str, str]
) -> list[dict]:
    out = []
    for _, row in parks.iterrows():
        pid = _slug(row["park_id"], "park_id", "parks")
        entry: dict[str, Any] = {
            "id": pid,
            "name": _text(row, "name", pid),
            "name_en": _text(row, "name_en", pid),
            "area_km2": round(float(row.geometry.area) / 1e6, 3),
            "source": f"outline area from {sources['parks']}; names to check",
            "clusters": [],
        }
        rows = clusters[clusters["park_id"].astype(str) == pid] if clusters is not None else []
        for _, c in rows.iterrows() if len(rows) else []:
            cid = _slug(c["cluster_id"], "cluster_id", "clusters")
            entry["clusters"].append(
                {
                    "id": cid,
                    "name": _text(c, "name", cid),
                    "name_en": _text(c, "name_en", cid),
                    "kind": _text(c, "kind", "industrial"),
                    "area_mu": round(float(c.geometry.area) / MU_M2, 1),
                    "directions": _text(c, "directions", "发展方向待填写 (to edit)"),
                    "admits": None,
                    "source": f"outline area from {sources['clusters']}; admitted industries to edit",
                }
            )
        out.append(entry)
    return out


def _missing_clusters(parks: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """One cluster covering each park that has none (the import needs a clusters layer)."""
    have = set(clusters["park_id"].astype(str)) if clusters is not None else set()
    rows = [
        {
            "cluster_id": f"{pid}-all",
            "park_id": pid,
            "name": f"{_text(r, 'name', pid)}（全域）",
            "geometry": r.geometry,
        }
        for _, r in parks.iterrows()
        if (pid := str(r["park_id"])) not in have
    ]
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=parks.crs)
    return (
        extra
        if clusters is None
        else gpd.GeoDataFrame(
            [*clusters.to_dict("records"), *extra.to_dict("records")], geometry="geometry", crs=parks.crs
        )
    )


def init_zone(
    request: ImportRequest,
    *,
    zone_id: str,
    name: str,
    name_en: str,
    zone_crs: str | None = None,
    province: str = "shanxi",
    source: str | None = None,
    overwrite: bool = False,
) -> ZoneInit:
    """Write a new zone file at ``request.zone_file`` from the layers ``request`` names (see
    the module). Raises InputFileError when the file exists (unless ``overwrite``), the errors
    of reading the layers and DEMs, SchemaError for ids parksite cannot take, and ConfigError
    when the written file does not validate."""
    out = Path(request.zone_file)
    if out.exists() and not overwrite:
        raise InputFileError("exists already", where=str(out), hint="choose another name or pass --force")
    if not _SLUG.match(zone_id):
        raise SchemaError(f"zone id {zone_id!r} is not lower-case letters, digits, - and _", where="--id")
    template = load_template(province)
    tables = {
        k: validate(CodeTable, v, "template", "land_codes")
        for k, v in (template.get("land_codes") or {}).items()
    }
    mapping, specs = layer_specs(request)
    if "parks" not in specs:
        raise InputFileError(
            "no parks layer",
            where="zone init",
            hint="name the parks layer in the mapping or with --layer parks=FILE",
        )
    notes: list[str] = []
    crs = zone_crs
    if crs is None:
        spec, base = specs["parks"]
        first = convert_layer(
            "parks",
            spec,
            None,
            tables,
            base=base,
            mapping=mapping,
            crs=request.crs,
            encoding=request.encoding,
        )
        centre = gpd.GeoSeries([first.frame.union_all().centroid], crs=first.frame.crs).to_crs("OGC:CRS84")
        crs = gauss_kruger_crs(float(centre.iloc[0].x))
        notes.append(f"zone CRS {crs}: the CGCS2000 3-degree Gauss-Kruger CRS nearest the parks")
    converted: dict[str, ConvertedLayer] = {
        n: convert_layer(
            n, s, crs, tables, base=b, mapping=mapping, crs=request.crs, encoding=request.encoding
        )
        for n, (s, b) in specs.items()
    }
    frames = {n: c.frame for n, c in converted.items()}
    parks = frames["parks"]
    for needed in ("park_id",):
        if needed not in parks.columns:
            raise SchemaError(
                f"the parks layer has no {needed!r} field",
                where="parks",
                hint="map park_id in the field mapping",
            )
    if frames.get("clusters") is None or set(parks["park_id"].astype(str)) - set(
        frames["clusters"]["park_id"].astype(str)
    ):
        frames["clusters"] = _missing_clusters(parks, frames.get("clusters"))
        notes.append("parks without a cluster got one cluster covering the park (…-all): draw the real ones")
    parcels = frames.get("parcels")
    if parcels is not None and "park" not in parcels.columns:
        values, _ = majority_values(parcels.geometry.array, parks.geometry.array, parks["park_id"])
        frames["parcels"] = parcels.assign(park=values)
        notes.append("parcels got the park covering most of each (no park field was mapped)")
    if parcels is not None and "status" not in frames["parcels"].columns:
        notes.append(
            "parcels have no status: map one (e.g. DLBM through the dlbm code table) before importing"
        )
    folder = out.resolve().parent / zone_id
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / f"{zone_id}.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for n, f in frames.items():
        f.to_file(gpkg, layer=n, driver="GPKG", engine="pyogrio")
    dems: list[Path] = []
    if request.dems:
        plan = plan_dems(request.dems, crs, resolution=request.dem_resolution, clip=tuple(parks.total_bounds))
        write_planned(plan, folder, zone_id)
        dems = plan.paths()
        notes += [line for m in plan.mosaics for line in m.report.lines()]
    sources = {n: Path(c.report.source).name for n, c in converted.items()}
    sources.setdefault("clusters", f"{sources['parks']} (one cluster per park)")
    data = {
        "zone": {
            "id": zone_id,
            "name": name,
            "name_en": name_en,
            "crs": crs,
            "source": source or "parksite zone init from the zone's files (to edit)",
        },
        "data": {
            "layers": os.path.relpath(gpkg, out.resolve().parent),
            "dems": [os.path.relpath(Path(d).resolve(), out.resolve().parent) for d in dems],
        },
        "parks": _parks_section(parks, frames["clusters"], sources),
        **template,
    }
    header = (
        f"# {name} — zone file written by `parksite zone init` from the zone's layers.\n"
        f"# Parks and clusters come from the layers ({', '.join(sorted(frames))}); the rules below are\n"
        f"# the {province} defaults (data/zones/templates/{province}.yaml): edit them to the zone's plan.\n"
    )
    out.write_text(
        header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8"
    )
    try:
        load_zone(out)
    except ConfigError:
        out.unlink()
        raise
    return ZoneInit(out, gpkg, dems, {n: len(f) for n, f in frames.items()}, crs, notes)
