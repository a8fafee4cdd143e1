"""Reading vector layers (GeoPackage, GeoJSON, Shapefile, DXF) into checked GeoDataFrames.

``read_layer`` opens a file (:func:`gis.readers.open_vector`), ``prepare_layer`` applies the same
rules to a GeoDataFrame that is already in memory. Both refuse, with a domain error naming file,
layer, feature and field: a missing, empty or unknown file; a layer without features; a layer
without CRS (never guessed: the error lists the CRSs its coordinates fit,
:mod:`gis.crs_suggest`, and the user's ``crs`` is taken only for a layer that declares none);
missing required fields; NaN/±inf where a finite number is required (±inf is refused in every
numeric field); null or empty geometries; geometries of the wrong kind. Then they reproject to the
target CRS and repair invalid geometries, and return a ``LayerReport`` listing what was done.

Features are named 1-based in file order in messages ("feature 3 (parcel_id=SC-0003)").
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gis.archive import ZipLimits
from gis.crs import crs_label, parse_crs, require_projected
from gis.crs_suggest import TransformInfo, area_of, transformation, undeclared_crs_error
from gis.dxf import DxfOptions, DxfReport
from gis.encoding import TextEncoding
from gis.errors import CRSError, GeometryError, InputFileError, SchemaError
from gis.messages import Message, joined, msg
from gis.readers import FORMATS, check_vector_path, open_vector
from gis.repair import (
    KIND_TYPE_IDS,
    GeometryKind,
    GeometryRepair,
    describe_features,
    features_message,
    repair_geometries,
)

__all__ = ["FORMATS", "LayerReport", "prepare_layer", "read_layer"]

#: How far (degrees) a layer's extent may reach beyond its CRS's area of use before the CRS is
#: taken to be wrong (e.g. zone-prefixed eastings declared as EPSG:4546 instead of EPSG:4525).
AREA_OF_USE_MARGIN_DEG = 3.0

_TYPE_NAMES = {
    -1: "null",
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def geometry_array(layer: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray | Sequence) -> np.ndarray:
    """Return the geometries of a GeoDataFrame, GeoSeries or sequence as a numpy object array."""
    if isinstance(layer, gpd.GeoDataFrame):
        layer = layer.geometry
    if isinstance(layer, gpd.GeoSeries):
        return np.asarray(layer.array, dtype=object)
    return np.asarray(layer, dtype=object)


# ------------------------------------------------------------------------------------ report
@dataclass
class LayerReport:
    """What reading a layer did: source, CRS before and after, repairs and other notes."""

    source: str
    layer: str | None
    driver: str
    features: int
    source_crs: str
    crs: str
    reprojected: bool = False
    repairs: list[GeometryRepair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    id_field: str | None = None
    crs_given: bool = False
    transformation: TransformInfo | None = None
    encoding: TextEncoding | None = None
    dxf: DxfReport | None = None

    def lines(self) -> list[str]:
        """Return the report as human-readable lines."""
        name = f"{self.source}" + (f" [layer {self.layer}]" if self.layer else "")
        out = [f"read {self.features} features from {name} ({self.driver})"]
        if self.crs_given:
            out.append(f"no CRS declared: {self.source_crs} taken as given (--crs)")
        if self.reprojected:
            out.append(f"reprojected from {self.source_crs} to {self.crs}")
            if self.transformation is not None and self.transformation.older_datum:
                out.append(self.transformation.describe())
        else:
            out.append(f"CRS {self.crs}")
        if self.encoding is not None and self.encoding.how != "ascii":
            out.append(f"text encoding {self.encoding.describe()}")
        out += [f"repaired {r.describe(self.id_field)}" for r in self.repairs]
        out += self.notes
        return out


# ----------------------------------------------------------------------------------- reading
def read_layer(
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    target_crs: Any,
    geometry: GeometryKind | Collection[GeometryKind] | None = None,
    required: Sequence[str] = (),
    finite: Sequence[str] = (),
    id_field: str | None = None,
    repair: bool = True,
    zip_limits: ZipLimits = ZipLimits(),
    check_extent: bool = True,
    crs: Any = None,
    encoding: str | None = None,
    dxf: DxfOptions | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read one layer from a GeoPackage, GeoJSON, (zipped) Shapefile or DXF drawing and check it.

    ``layer`` names the GeoPackage layer (required when it holds several spatial layers) or the
    Shapefile inside a zip (required when it holds several). ``target_crs`` (anything pyproj
    parses; must be projected in metres; None keeps the layer's CRS) is what the layer is
    reprojected to: the caller passes it, usually the zone's ``zone.crs``. ``geometry`` is the accepted kind(s): ``"polygon"``, ``"line"``, ``"point"``.
    ``required`` fields must exist; ``finite`` fields must hold finite numbers in every feature;
    ``id_field`` must exist, be non-null and unique, and names features in messages. With
    ``repair`` invalid geometries are repaired (else refused). With ``check_extent`` a layer whose
    coordinates lie far outside its declared CRS's area of use (a wrongly declared CRS) is
    refused; turn it off only for synthetic data in made-up coordinates. ``crs`` is the CRS of
    a layer that declares none (the user's ``--crs``; a declared CRS wins, see
    :func:`prepare_layer`); ``encoding`` and ``dxf`` are passed to :func:`gis.readers.open_vector`.

    Returns ``(GeoDataFrame in target CRS, LayerReport)``. Raises InputFileError,
    LimitExceededError (zip limits), MissingCRSError (with the CRSs the coordinates fit),
    CRSError, SchemaError, GeometryError.
    """
    raw = os.fspath(path)
    check_vector_path(raw)
    target = parse_crs(target_crs, where="target CRS") if target_crs is not None else None
    if target is not None:
        require_projected(target, where=f"target CRS {crs_label(target)}")
    opened = open_vector(raw, layer, encoding=encoding, dxf=dxf, zip_limits=zip_limits)
    gdf, report = prepare_layer(
        opened.frame,
        where=opened.where,
        target_crs=target,
        geometry=geometry,
        required=required,
        finite=finite,
        id_field=id_field,
        repair=repair,
        check_extent=check_extent,
        crs=crs,
    )
    report.source, report.layer, report.driver = raw, opened.layer, opened.driver
    report.encoding, report.dxf = opened.encoding, opened.dxf
    return gdf, report


# ---------------------------------------------------------------------------------- checking
def _kinds(geometry: GeometryKind | Collection[GeometryKind] | None) -> tuple[GeometryKind, ...]:
    if geometry is None:
        return ()
    kinds: tuple[GeometryKind, ...] = (geometry,) if isinstance(geometry, str) else tuple(geometry)
    unknown = [k for k in kinds if k not in KIND_TYPE_IDS]
    if unknown:
        raise ValueError(f"unknown geometry kind(s) {unknown}; use {sorted(KIND_TYPE_IDS)}")
    return kinds


def _ids(gdf: gpd.GeoDataFrame, id_field: str | None, positions: np.ndarray) -> list | None:
    return None if id_field is None else list(gdf[id_field].to_numpy()[positions])


def _show(value: Any) -> str:
    """Return a field value as it should read in a message (``nan``, ``inf``, ``'abc'``, ``empty``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA:
        return "empty"
    return str(value) if isinstance(value, (int, float)) else repr(value)


def _check_numbers(gdf: gpd.GeoDataFrame, finite: Sequence[str], id_field: str | None, where: str) -> None:
    """Refuse non-finite values in ``finite`` fields and ±inf in any numeric field."""
    problems = []
    items: list[Message] = []
    for name in gdf.columns:
        if name == gdf.geometry.name:
            continue
        col = gdf[name]
        if name in finite:
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(values))
            need = "a finite number"
            need_id = "error.layer.field_not_finite"
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            values = col.to_numpy(dtype=float, na_value=np.nan)
            bad = np.flatnonzero(np.isinf(values))
            need = "finite (not ±inf)"
            need_id = "error.layer.field_infinite"
        else:
            continue
        if bad.size:
            raw = col.to_numpy()[bad]
            shown = ", ".join(
                f"{describe_features([b], _ids(gdf, id_field, np.array([b])), id_field)} = {_show(v)}"
                for b, v in zip(bad[:10], raw[:10])
            )
            more = f" and {bad.size - 10} more" if bad.size > 10 else ""
            problems.append(f"field {name!r} must be {need}: {shown}{more}")
            values_shown = joined(
                msg(
                    "gis.feature_value",
                    feature=features_message([b], _ids(gdf, id_field, np.array([b])), id_field),
                    value=_show(v),
                )
                for b, v in zip(bad[:10], raw[:10])
            )
            shown_msg = (
                msg("gis.features_more", items=values_shown, more=bad.size - 10)
                if bad.size > 10
                else values_shown
            )
            items.append(msg(need_id, field=str(name), values=shown_msg))
    if problems:
        raise SchemaError(
            "; ".join(problems),
            where=where,
            hint="fill in or correct these values and try again",
            msg=msg("error.layer.bad_values", problems=joined(items, "semicolon")),
        )


@lru_cache(maxsize=32)
def _to_lonlat(crs: CRS) -> Transformer:
    """Return a (cached: building one costs ~0.3 s) transformer from ``crs`` to lon/lat."""
    return Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)


def _check_extent(gdf: gpd.GeoDataFrame, crs: CRS, where: str) -> None:
    """Refuse coordinates that cannot be in the declared CRS (a wrongly declared CRS)."""
    xmin, ymin, xmax, ymax = gdf.total_bounds
    if crs.is_geographic:
        if xmin < -180.0001 or xmax > 180.0001 or ymin < -90.0001 or ymax > 90.0001:
            raise CRSError(
                f"declares the geographic CRS {crs_label(crs)} but its coordinates reach "
                f"x {xmin:,.0f}…{xmax:,.0f}, y {ymin:,.0f}…{ymax:,.0f}, which look projected",
                where=where,
                hint="declare the CRS the coordinates are really in (e.g. EPSG:4546)",
                msg=msg(
                    "error.crs.looks_projected",
                    crs=crs_label(crs),
                    x=f"{xmin:,.0f}…{xmax:,.0f}",
                    y=f"{ymin:,.0f}…{ymax:,.0f}",
                ),
            )
        return
    aou = crs.area_of_use
    if aou is None:
        return
    with np.errstate(all="ignore"):
        lon0, lat0, lon1, lat1 = _to_lonlat(crs).transform_bounds(xmin, ymin, xmax, ymax)
    m = AREA_OF_USE_MARGIN_DEG
    inside = (
        np.isfinite([lon0, lat0, lon1, lat1]).all()
        and lon0 >= aou.west - m
        and lon1 <= aou.east + m
        and lat0 >= aou.south - m
        and lat1 <= aou.north + m
    )
    if not inside:
        raise CRSError(
            f"declares {crs_label(crs)} but its coordinates (x {xmin:,.0f}…{xmax:,.0f}, "
            f"y {ymin:,.0f}…{ymax:,.0f}) lie far outside that CRS's area of use ({aou.name})",
            where=where,
            hint="declare the CRS the data are really in (eastings with a zone prefix 37… are "
            "EPSG:4525, without prefix EPSG:4546)",
            msg=msg(
                "error.crs.outside_area",
                crs=crs_label(crs),
                x=f"{xmin:,.0f}…{xmax:,.0f}",
                y=f"{ymin:,.0f}…{ymax:,.0f}",
                area=aou.name,
            ),
        )


def prepare_layer(
    gdf: gpd.GeoDataFrame,
    *,
    where: str = "layer",
    target_crs: Any,
    geometry: GeometryKind | Collection[GeometryKind] | None = None,
    required: Sequence[str] = (),
    finite: Sequence[str] = (),
    id_field: str | None = None,
    repair: bool = True,
    check_extent: bool = True,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Check, reproject and repair a GeoDataFrame by the rules of ``read_layer``.

    ``where`` names the source in messages. ``crs`` is taken as the layer's CRS only when it
    declares none (the declared CRS wins; a note says when the two differ); without either the
    layer is refused with the CRSs its coordinates fit, near the target CRS's area of use
    (:func:`gis.crs_suggest.undeclared_crs_error`). Returns ``(GeoDataFrame, LayerReport)``; the
    frame gets a fresh 0…n-1 index so positions and report rows agree.
    """
    kinds = _kinds(geometry)
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        raise InputFileError(
            "has no features",
            where=where,
            hint="export a layer with features",
            msg=msg("error.layer.no_features"),
        )
    given = parse_crs(crs, where="--crs") if crs is not None else None
    crs_note = None
    if gdf.crs is None:
        if given is None:
            bounds = tuple(float(v) for v in gdf.total_bounds)
            near = area_of(target_crs) if target_crs is not None else None
            raise undeclared_crs_error(bounds, where=where, near=near)  # type: ignore[arg-type]
        gdf = gdf.set_crs(given)
    elif given is not None and CRS.from_user_input(gdf.crs) != given:
        crs_note = (
            f"declares {crs_label(CRS.from_user_input(gdf.crs))}: the declared CRS is used, "
            f"--crs {crs_label(given)} applies only to layers without one"
        )
    source_crs = CRS.from_user_input(gdf.crs)
    needed = list(dict.fromkeys([*required, *finite, *([id_field] if id_field else [])]))
    missing = [f for f in needed if f not in gdf.columns]
    if missing:
        present = [c for c in gdf.columns if c != gdf.geometry.name]
        raise SchemaError(
            f"lacks required field(s) {', '.join(missing)} (fields present: "
            f"{', '.join(map(str, present)) or 'none'})",
            where=where,
            hint="add the fields (names are case-sensitive) and try again",
            msg=msg("error.layer.missing_fields", missing=missing, present=[str(c) for c in present] or "—"),
        )
    if id_field:
        ids = gdf[id_field]
        dup = np.flatnonzero(ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy())
        nul = np.flatnonzero(ids.isna().to_numpy())
        if nul.size or dup.size:
            parts = []
            part_msgs: list[Message] = []
            if nul.size:
                parts.append(f"empty in {describe_features(nul)}")
                part_msgs.append(msg("error.layer.id_empty_in", features=features_message(nul)))
            if dup.size:
                parts.append(f"repeated in {describe_features(dup, _ids(gdf, id_field, dup), id_field)}")
                part_msgs.append(
                    msg(
                        "error.layer.id_repeated_in",
                        features=features_message(dup, _ids(gdf, id_field, dup), id_field),
                    )
                )
            raise SchemaError(
                f"id field {id_field!r} must be unique and non-empty: " + "; ".join(parts),
                where=where,
                hint="give each feature its own id",
                msg=msg("error.layer.id_field", field=id_field, problems=joined(part_msgs, "semicolon")),
            )
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    blank = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if blank.size:
        raise GeometryError(
            f"has null or empty geometry in {describe_features(blank, _ids(gdf, id_field, blank), id_field)}",
            where=where,
            hint="delete these features or draw their geometry",
            msg=msg(
                "error.layer.blank_geometry",
                features=features_message(blank, _ids(gdf, id_field, blank), id_field),
            ),
        )
    if kinds:
        allowed = [t for k in kinds for t in KIND_TYPE_IDS[k]]
        types = shapely.get_type_id(geoms)
        wrong = np.flatnonzero(~np.isin(types, allowed))
        if wrong.size:
            found = sorted({_TYPE_NAMES[int(t)] for t in types[wrong]})
            want = "/".join(_TYPE_NAMES[t] for t in allowed)
            raise GeometryError(
                f"must hold {want} geometries but has {', '.join(found)} in "
                f"{describe_features(wrong, _ids(gdf, id_field, wrong), id_field)}",
                where=where,
                hint="export the right layer, or convert the geometries in QGIS",
                msg=msg(
                    "error.layer.wrong_geometry",
                    want=want,
                    found=found,
                    features=features_message(wrong, _ids(gdf, id_field, wrong), id_field),
                ),
            )
    _check_numbers(gdf, finite, id_field, where)
    if check_extent:
        _check_extent(gdf, source_crs, where)

    report = LayerReport(
        source=where,
        layer=None,
        driver="GeoDataFrame",
        features=len(gdf),
        source_crs=crs_label(source_crs),
        crs=crs_label(source_crs),
        id_field=id_field,
        crs_given=given is not None and crs_note is None,
    )
    if crs_note:
        report.notes.append(crs_note)
    if target_crs is not None:
        target = parse_crs(target_crs, where="target CRS")
        if source_crs != target:
            gdf = gdf.to_crs(target)
            coords, owner = shapely.get_coordinates(gdf.geometry.array, return_index=True)
            bad = np.unique(owner[~np.isfinite(coords).all(axis=1)])
            if bad.size:
                raise GeometryError(
                    f"{describe_features(bad, _ids(gdf, id_field, bad), id_field)} cannot be "
                    f"reprojected from {crs_label(source_crs)} to {crs_label(target)}",
                    where=where,
                    hint="check the layer's declared CRS",
                    msg=msg(
                        "error.layer.reproject",
                        features=features_message(bad, _ids(gdf, id_field, bad), id_field),
                        source=crs_label(source_crs),
                        target=crs_label(target),
                    ),
                )
            report.reprojected = True
            report.crs = crs_label(target)
            report.transformation = transformation(source_crs, target)
    repair_kind = kinds[0] if len(kinds) == 1 else None
    if repair:
        gdf, report.repairs = repair_geometries(gdf, kind=repair_kind, id_field=id_field, where=where)
    else:
        invalid = np.flatnonzero(~shapely.is_valid(gdf.geometry.array))
        if invalid.size:
            raise GeometryError(
                f"has invalid geometry in {describe_features(invalid, _ids(gdf, id_field, invalid), id_field)}"
                f" ({shapely.is_valid_reason(gdf.geometry.array[invalid[0]])})",
                where=where,
                hint="repair it (QGIS ▸ Fix Geometries) or read with repair on",
                msg=msg(
                    "error.layer.invalid_geometry",
                    features=features_message(invalid, _ids(gdf, id_field, invalid), id_field),
                    reason=shapely.is_valid_reason(gdf.geometry.array[invalid[0]]),
                ),
            )
    return gdf, report
