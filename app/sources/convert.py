"""A zone's own files read through ``gis/`` and mapped to parksite's layers (a field mapping).

:func:`convert_layer` reads one file (:func:`gis.layers.read_layer`: DXF, Shapefile in GBK or
UTF-8, GeoPackage, GeoJSON; the declared CRS, else ``--crs``; reprojected to the zone CRS,
invalid geometry repaired), joins its tables (:func:`gis.tables.join_table`), adds overlays
(:func:`gis.overlay.majority_values`), then maps its fields (:mod:`app.sources.mapping`):
source fields renamed, constants, code tables (the zone file's ``land_codes``), units. It
records everything a dry run shows: what was read and how, what mapped, which source fields
and codes did not, values that are not numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.db.import_layers import LAYERS
from app.sources.mapping import UNITS, FieldMapping, FieldSpec, LayerMapping, resolve, target_unit
from gis.dxf import DxfOptions
from gis.errors import ConfigError, SchemaError
from gis.layers import LayerReport, read_layer
from gis.messages import Message, msg
from gis.overlay import majority_values
from gis.tables import JoinReport, join_table, read_table
from scoring.land_codes import CodeTable
from scoring.zone import ZoneConfig


@dataclass
class CodeMiss:
    """Values of a source field that a code table does not hold: code → how many features."""

    target: str
    source: str
    table: str
    codes: dict[str, int]


@dataclass
class OverlayInfo:
    """An overlay: its layer as read, the field taken, and how many features it did not cover."""

    report: LayerReport
    field: str
    column: str
    uncovered: int
    mixed: int


@dataclass
class ConvertedLayer:
    """One parksite layer made from a zone's file: the mapped ``frame`` (zone CRS), how the file
    was read (``report``), its source fields, how each target was filled (``mapped``: target →
    a catalogue message saying it), the source fields left out, codes and numbers that did not map, joins and
    overlays."""

    name: str
    frame: gpd.GeoDataFrame
    report: LayerReport
    source_fields: list[str]
    mapped: dict[str, Message] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    code_misses: list[CodeMiss] = field(default_factory=list)
    bad_numbers: dict[str, list[str]] = field(default_factory=dict)
    joins: list[JoinReport] = field(default_factory=list)
    overlays: list[OverlayInfo] = field(default_factory=list)


def _dxf_options(spec: LayerMapping) -> DxfOptions | None:
    d = spec.dxf
    if d is None:
        return None
    return DxfOptions(tuple(d.layers), tuple(d.label_layers), d.label_pattern, d.attribute)


def _code_table(
    name: str, mapping: FieldMapping | None, tables: Mapping[str, CodeTable], where: str
) -> CodeTable:
    table = (mapping.codes.get(name) if mapping else None) or tables.get(name)
    if table is None:
        have = sorted({*(mapping.codes if mapping else {}), *tables})
        raise ConfigError(
            f"names the code table {name!r}, which neither the mapping nor the zone file holds "
            f"(tables: {', '.join(have) or 'none'})",
            where=where,
            hint="add it under land_codes in the zone file (parksite zone init writes the 三调 dlbm table)",
        )
    return table


def _numbers(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Values as floats (thousands separators and spaces dropped); the raw values that are not numbers."""
    text = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    cleaned = text.str.replace(r"[,\s，]", "", regex=True)
    nums = pd.to_numeric(cleaned, errors="coerce")
    bad = sorted({str(v) for v, n in zip(text, nums) if v not in (None, "") and pd.isna(n)})
    return nums.astype(float), bad


def _map_field(
    target: str,
    spec: FieldSpec,
    src: gpd.GeoDataFrame,
    out: ConvertedLayer,
    mapping: FieldMapping | None,
    tables: Mapping[str, CodeTable],
    where: str,
) -> pd.Series:
    """The values of one target field, and what was done, recorded in ``out``."""
    if spec.value is not None:
        out.mapped[target] = msg("import.how.value", value=str(spec.value))
        return pd.Series([spec.value] * len(src), index=src.index, dtype=object)
    assert spec.field is not None
    if spec.field not in src.columns:
        fields = [c for c in src.columns if c != src.geometry.name]
        raise SchemaError(
            f"field {target!r} maps from {spec.field!r}, which the layer does not have "
            f"(fields: {', '.join(map(str, fields))})",
            where=where,
            hint="name the source field as the file spells it",
        )
    values = src[spec.field].astype(object)
    steps: list[Message] = []
    if spec.codes is not None:
        table = _code_table(spec.codes, mapping, tables, f"{where}: {target}")
        looked = [table.lookup(v) for v in values]
        misses: dict[str, int] = {}
        for v, hit in zip(values, looked):
            if (
                hit is None
                and v is not None
                and not (isinstance(v, float) and np.isnan(v))
                and str(v).strip()
            ):
                misses[str(v)] = misses.get(str(v), 0) + 1
        if misses:
            out.code_misses.append(CodeMiss(target, spec.field, spec.codes, misses))
        take = spec.take
        values = pd.Series(
            [
                None if hit is None else (hit[0] if take == "code" else getattr(hit[1], take))
                for hit in looked
            ],
            index=src.index,
            dtype=object,
        )
        steps.append(msg("import.how.codes", table=spec.codes, take=msg(f"import.how.take.{take}")))
    if spec.unit is not None:
        nums, bad = _numbers(values)
        if bad:
            out.bad_numbers[target] = bad
        unit = target_unit(target)
        assert unit is not None
        factor = UNITS[spec.unit][1] / UNITS[unit][1]
        values = nums * factor
        steps.append(msg("import.how.unit", unit=spec.unit, target_unit=unit, factor=f"{factor:g}"))
    if spec.default is not None:
        empty = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
        values = values.where(~empty, spec.default)
        steps.append(msg("import.how.default", value=str(spec.default)))
    out.mapped[target] = msg("import.how.field", field=spec.field, steps=steps)
    return values


def convert_layer(
    name: str,
    spec: LayerMapping,
    zone_crs: str | None,
    tables: Mapping[str, CodeTable],
    *,
    base: Path,
    mapping: FieldMapping | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    file: str | Path | None = None,
) -> ConvertedLayer:
    """Read and map one parksite layer ``name`` by ``spec`` into ``zone_crs`` (None: the
    layer's own CRS), with the zone's
    code ``tables`` (its ``land_codes``; the mapping's own come first); ``crs`` and ``encoding`` are the command line's, for files that declare none
    (the layer's own entry in the mapping comes first, then these, then the mapping's defaults);
    ``file`` replaces the mapping's file (``parksite score PARCELS``). ``base`` is the mapping
    file's folder.

    Returns the :class:`ConvertedLayer`. Raises the errors of :func:`gis.layers.read_layer`,
    :func:`gis.tables.read_table` / :func:`~gis.tables.join_table`, and ConfigError or
    SchemaError for a mapping that names what does not exist.
    """
    layer_crs = spec.crs or crs or (mapping.crs if mapping else None)
    layer_enc = spec.encoding or encoding or (mapping.encoding if mapping else None)
    path = Path(file) if file is not None else resolve(base, spec.file)
    src, report = read_layer(
        path,
        spec.layer,
        target_crs=zone_crs,
        geometry=LAYERS[name].geometry,
        crs=layer_crs,
        encoding=layer_enc,
        dxf=_dxf_options(spec),
    )
    where = f"{path}" + (f" [layer {report.layer}]" if report.layer else "")
    joins: list[JoinReport] = []
    for j in spec.join:
        table_path = resolve(base, j.file)
        table, enc = read_table(table_path, sheet=j.sheet, encoding=j.encoding or layer_enc)
        src, jr = join_table(src, table, on=j.field, key=j.key, columns=j.columns, where=str(table_path))
        jr.encoding = enc
        joins.append(jr)
    overlays: list[OverlayInfo] = []
    for ov in spec.overlay:
        ov_path = resolve(base, ov.file)
        cover, ov_report = read_layer(
            ov_path,
            ov.layer,
            target_crs=zone_crs,
            geometry="polygon",
            required=(ov.field,),
            crs=ov.crs or layer_crs,
            encoding=ov.encoding or layer_enc,
        )
        values, share = majority_values(src.geometry.array, cover.geometry.array, cover[ov.field])
        src = src.copy()
        src[ov.column] = values
        src[f"{ov.column}_share"] = np.round(share, 4)
        overlays.append(
            OverlayInfo(
                ov_report,
                ov.field,
                ov.column,
                uncovered=sum(v is None for v in values),
                mixed=int(np.count_nonzero((share > 0) & (share < 0.5))),
            )
        )
    source_fields = [str(c) for c in src.columns if c != src.geometry.name]
    out = ConvertedLayer(name, src, report, source_fields, joins=joins, overlays=overlays)
    if not spec.fields:
        out.mapped = {f: msg("import.how.field", field=f, steps=[]) for f in source_fields}
        return out
    mapped = {t: _map_field(t, s, src, out, mapping, tables, where) for t, s in spec.fields.items()}
    used = {s.field for s in spec.fields.values() if s.field is not None}
    out.unmapped = [f for f in source_fields if f not in used]
    data: dict[str, Any] = dict(mapped)
    if spec.keep_unmapped:
        data.update({f: src[f] for f in out.unmapped if f not in data})
    out.frame = gpd.GeoDataFrame(data, geometry=src.geometry.array, crs=src.crs, index=src.index)
    return out


def convert_all(
    mapping: FieldMapping,
    mapping_file: str | Path,
    zone: ZoneConfig,
    *,
    crs: str | None = None,
    encoding: str | None = None,
) -> dict[str, ConvertedLayer]:
    """Convert every layer the mapping names (in parksite's layer order); see :func:`convert_layer`."""
    base = Path(mapping_file).resolve().parent
    return {
        name: convert_layer(
            name,
            mapping.layers[name],
            zone.zone.crs,
            zone.land_codes,
            base=base,
            mapping=mapping,
            crs=crs,
            encoding=encoding,
        )
        for name in LAYERS
        if name in mapping.layers
    }


def convert_mapped(
    name: str,
    mapping_file: str | Path,
    zone: ZoneConfig,
    *,
    file: str | Path | None = None,
    crs: str | None = None,
    encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read layer ``name`` by the mapping file's entry for it — from ``file`` instead of the
    mapping's own, when given — and return the mapped frame and its reading report."""
    from app.sources.mapping import load_mapping

    mapping = load_mapping(mapping_file)
    if name not in mapping.layers:
        raise ConfigError(
            f"has no entry for the {name} layer", where=str(mapping_file), hint=f"add layers: {name}: … to it"
        )
    c = convert_layer(
        name,
        mapping.layers[name],
        zone.zone.crs,
        zone.land_codes,
        base=Path(mapping_file).resolve().parent,
        mapping=mapping,
        crs=crs,
        encoding=encoding,
        file=file,
    )
    return c.frame, c.report
