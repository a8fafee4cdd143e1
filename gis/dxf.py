"""CAD drawings (DXF) of a parcel plan read into polygons with ids, through GDAL's DXF driver.

A 控规 or parcel plan drawn in CAD holds each parcel as a closed polyline (or a hatch) on a
named layer, and its number as a TEXT / MTEXT label inside it — or as an attribute of a block
inserted inside it. :func:`read_dxf` reads the drawing with GDAL (pyogrio; open options
``CLOSED_LINE_AS_POLYGON``, ``INLINE_BLOCKS=NO`` so block references keep their attributes,
``ENCODING`` from :func:`gis.encoding.dxf_encoding`) and returns:

* one polygon per closed polyline or hatch on the chosen layers (all layers when none is
  chosen); a polyline whose ends are within :data:`CLOSE_TOLERANCE_M` is closed, other open
  ones are counted and skipped; a hatch drawn over its own boundary polyline counts once;
* ``label``: the text inside the polygon — from TEXT/MTEXT on the label layers (all layers when
  none is chosen), or the part of it that matches ``label_pattern`` if one is given, or the value of the block attribute
  ``attribute`` of a block inserted inside it. A text inside nested polygons belongs to the
  smallest. A polygon with no label, or several, gets none, and the report lists it;
* ``dxf_layer``, ``dxf_handle`` and ``texts`` (every text inside the polygon, for mapping other
  fields such as a land-use code).

DXF has no CRS: the caller declares one (``--crs``). Paper-space entities are ignored.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from gis.encoding import TextEncoding, dxf_encoding
from gis.errors import InputFileError
from gis.messages import joined, msg

#: Ends of a polyline closer than this (drawing units, metres) are taken as closed.
CLOSE_TOLERANCE_M = 0.05


@dataclass(frozen=True)
class DxfOptions:
    """What to take from a drawing: ``layers`` with the parcel outlines, ``label_layers`` with
    their numbers (TEXT/MTEXT), a ``label_pattern`` (regular expression) the number matches, or
    the block ``attribute`` tag that holds it. Empty tuples mean every layer."""

    layers: tuple[str, ...] = ()
    label_layers: tuple[str, ...] = ()
    label_pattern: str | None = None
    attribute: str | None = None


@dataclass
class DxfReport:
    """What reading a drawing found: entities per DXF layer, polygons taken, polylines closed or
    skipped, duplicates dropped, and the polygons without a label or with several (0-based
    positions in the result, with the candidate labels)."""

    encoding: TextEncoding
    layers: dict[str, dict[str, int]] = field(default_factory=dict)
    polygons: int = 0
    closed_gaps: int = 0
    open_skipped: int = 0
    duplicates: int = 0
    unlabelled: list[int] = field(default_factory=list)
    ambiguous: list[tuple[int, list[str]]] = field(default_factory=list)
    labels_outside: int = 0

    def lines(self) -> list[str]:
        """Return the report as English lines."""
        out = [f"text encoding {self.encoding.describe()}"]
        out.append(
            "DXF layers: "
            + "; ".join(
                f"{name} (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
                for name, kinds in sorted(self.layers.items())
            )
        )
        out.append(f"{self.polygons} polygon(s) from closed polylines and hatches")
        if self.closed_gaps:
            out.append(f"{self.closed_gaps} polyline(s) closed across a gap under {CLOSE_TOLERANCE_M} m")
        if self.open_skipped:
            out.append(f"{self.open_skipped} open polyline(s) skipped")
        if self.duplicates:
            out.append(f"{self.duplicates} duplicate outline(s) (hatch over its boundary) counted once")
        if self.unlabelled:
            out.append(f"{len(self.unlabelled)} polygon(s) without a label")
        if self.ambiguous:
            out.append(f"{len(self.ambiguous)} polygon(s) with several labels")
        return out


def _kind(geom: shapely.Geometry | None, subclasses: str | None, text: object) -> str:
    sub = subclasses or ""
    has_text = text is not None and not (isinstance(text, float) and np.isnan(text))
    if "AcDbText" in sub or "AcDbMText" in sub or (has_text and "AcDbBlockReference" not in sub):
        return "text"
    if "AcDbBlockReference" in sub:
        return "block"
    if "AcDbHatch" in sub:
        return "hatch"
    if geom is None:
        return "other"
    return {0: "point", 1: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon"}.get(
        int(shapely.get_type_id(geom)), "other"
    )


def _read(path: Path, encoding: TextEncoding, where: str) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # DXF has no CRS: said elsewhere
            return pyogrio.read_dataframe(
                path,
                layer="entities",
                CLOSED_LINE_AS_POLYGON="YES",
                INLINE_BLOCKS="NO",
                ENCODING=encoding.gdal_name,
            )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputFileError(
            f"cannot be read as a DXF drawing ({exc})",
            where=where,
            hint="save it from CAD as DXF (AutoCAD 2000–2018 DXF)",
            msg=msg("error.dxf.unreadable", detail=str(exc)),
        ) from exc


def _attribute(values: object, tag: str) -> str | None:
    """The value of block attribute ``tag`` in GDAL's ``BlockAttributes`` list ("TAG value")."""
    if values is None or (isinstance(values, float) and np.isnan(values)):
        return None
    for item in list(values):  # type: ignore[call-overload]
        name, _, value = str(item).partition(" ")
        if name.upper() == tag.upper():
            return value.strip() or None
    return None


def _polygons(
    frame: gpd.GeoDataFrame, kinds: np.ndarray, chosen: np.ndarray, report: DxfReport
) -> tuple[list[shapely.Geometry], list[int]]:
    """Polygons from the chosen rows: polygons and hatches as they are, closed polylines."""
    geoms = shapely.force_2d(np.asarray(frame.geometry.array, dtype=object))
    out: list[shapely.Geometry] = []
    rows: list[int] = []
    for i in np.flatnonzero(chosen):
        g = geoms[i]
        if g is None or shapely.is_empty(g):
            continue
        if kinds[i] in ("polygon", "hatch"):
            parts = shapely.get_parts(g)
            out += [p for p in parts if shapely.get_type_id(p) == 3]
            rows += [int(i)] * sum(1 for p in parts if shapely.get_type_id(p) == 3)
        elif kinds[i] == "line":
            for line in shapely.get_parts(g):
                coords = shapely.get_coordinates(line)
                if len(coords) < 3:
                    report.open_skipped += 1
                    continue
                gap = float(np.hypot(*(coords[0] - coords[-1])))
                if gap > CLOSE_TOLERANCE_M:
                    report.open_skipped += 1
                    continue
                if gap > 0:
                    report.closed_gaps += 1
                    coords = np.vstack([coords, coords[:1]])
                if len(coords) < 4:
                    report.open_skipped += 1
                    continue
                out.append(shapely.Polygon(coords))
                rows.append(int(i))
    return out, rows


def _dedupe(polys: list[shapely.Geometry], rows: list[int], report: DxfReport) -> list[int]:
    """Positions of ``polys`` to keep: the first of each set of equal outlines."""
    keep: list[int] = []
    tree = shapely.STRtree(polys) if polys else None
    dropped: set[int] = set()
    for i, p in enumerate(polys):
        if i in dropped:
            continue
        keep.append(i)
        assert tree is not None
        for j in tree.query(p):
            j = int(j)
            if j > i and j not in dropped and polys[j].equals(p):
                dropped.add(j)
    report.duplicates = len(dropped)
    return keep


def read_dxf(
    path: str | Path,
    options: DxfOptions = DxfOptions(),
    *,
    encoding: str | None = None,
    where: str | None = None,
) -> tuple[gpd.GeoDataFrame, DxfReport]:
    """Read the parcel polygons of the DXF drawing at ``path`` with their labels (see the
    module's description). ``encoding`` overrides the drawing's text encoding.

    Returns a GeoDataFrame without CRS (columns ``label``, ``dxf_layer``, ``dxf_handle``,
    ``texts``, geometry) and a :class:`DxfReport`. Raises InputFileError for an unreadable
    drawing, unknown layer names or a drawing with no closed shape on the chosen layers.
    """
    p = Path(path)
    where = where or str(p)
    enc = dxf_encoding(p, given=encoding, where=where)
    frame = _read(p, enc, where)
    report = DxfReport(encoding=enc)
    if "PaperSpace" in frame.columns:
        paper = frame["PaperSpace"].map(lambda v: bool(v) if v is not None and v == v else False)
        frame = frame[~paper.astype(bool).to_numpy()].reset_index(drop=True)
    layer = frame["Layer"].astype(str).to_numpy() if "Layer" in frame.columns else np.full(len(frame), "0")
    subclasses = frame["SubClasses"] if "SubClasses" in frame.columns else pd.Series([None] * len(frame))
    geoms = np.asarray(frame.geometry.array, dtype=object)
    text_col = frame["Text"] if "Text" in frame.columns else pd.Series([None] * len(frame))
    kinds = np.array([_kind(g, s, t) for g, s, t in zip(geoms, subclasses, text_col)], dtype=object)
    if "BlockName" in frame.columns:
        kinds[frame["BlockName"].notna().to_numpy()] = "block"
    for name, kind in zip(layer, kinds):
        report.layers.setdefault(name, {}).setdefault(kind, 0)
        report.layers[name][kind] += 1
    for what, what_id, names in (
        ("layer", "dxf.what.layer", options.layers),
        ("label layer", "dxf.what.label_layer", options.label_layers),
    ):
        unknown = sorted(set(names) - set(layer))
        if unknown:
            raise InputFileError(
                f"has no {what} {', '.join(map(repr, unknown))} (layers: {', '.join(sorted(set(layer)))})",
                where=where,
                hint="name the DXF layers as the drawing spells them",
                msg=msg(
                    "error.dxf.no_layer",
                    what=msg(what_id),
                    names=joined(list(unknown)),
                    layers=joined(sorted(set(layer))),
                ),
            )
    on_layers = np.isin(layer, options.layers) if options.layers else np.ones(len(layer), bool)
    polys, rows = _polygons(frame, kinds, on_layers & np.isin(kinds, ["polygon", "hatch", "line"]), report)
    keep = _dedupe(polys, rows, report)
    polys, rows = [polys[i] for i in keep], [rows[i] for i in keep]
    if not polys:
        chosen = ", ".join(options.layers) if options.layers else "any layer"
        raise InputFileError(
            f"has no closed polyline or hatch on {chosen}",
            where=where,
            hint="choose the layer(s) with the parcel outlines, and close the polylines in CAD",
            msg=msg("error.dxf.no_outlines", layers=str(chosen)),
        )
    report.polygons = len(polys)
    texts, points = _label_points(frame, kinds, layer, geoms, options)
    labels, all_texts = _assign(polys, texts, points, options, report)
    handles = frame["EntityHandle"].to_numpy() if "EntityHandle" in frame.columns else [None] * len(frame)
    out = gpd.GeoDataFrame(
        {
            "label": labels,
            "dxf_layer": [layer[r] for r in rows],
            "dxf_handle": [handles[r] for r in rows],
            "texts": all_texts,
        },
        geometry=polys,
        crs=None,
    )
    return out, report


def _clean(text: object) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    value = re.sub(r"\s+", " ", str(text)).strip()
    return value or None


def _label_points(
    frame: gpd.GeoDataFrame,
    kinds: np.ndarray,
    layer: np.ndarray,
    geoms: np.ndarray,
    options: DxfOptions,
) -> tuple[list[tuple[str, bool]], list[shapely.Geometry]]:
    """Texts that may label a polygon, as (text, is the id candidate) and their points."""
    on_label = np.isin(layer, options.label_layers) if options.label_layers else np.ones(len(layer), bool)
    pattern = re.compile(options.label_pattern) if options.label_pattern else None
    texts: list[tuple[str, bool]] = []
    points: list[shapely.Geometry] = []
    text_col = frame["Text"].to_numpy() if "Text" in frame.columns else [None] * len(frame)
    attrs = frame["BlockAttributes"].to_numpy() if "BlockAttributes" in frame.columns else [None] * len(frame)
    for i, kind in enumerate(kinds):
        g = geoms[i]
        if g is None or shapely.is_empty(g):
            continue
        pt = shapely.force_2d(g if shapely.get_type_id(g) == 0 else shapely.point_on_surface(g))
        if kind == "text":
            value = _clean(text_col[i])
            if value is None:
                continue
            match = pattern.search(value) if pattern is not None else None
            is_id = options.attribute is None and bool(on_label[i]) and (pattern is None or match is not None)
            texts.append((match.group(0) if match is not None and is_id else value, is_id))
            points.append(pt)
        elif kind == "block" and options.attribute is not None:
            value = _clean(_attribute(attrs[i], options.attribute))
            if value is not None and bool(on_label[i] or not options.label_layers):
                texts.append((value, True))
                points.append(pt)
    return texts, points


def _assign(
    polys: Sequence[shapely.Geometry],
    texts: list[tuple[str, bool]],
    points: list[shapely.Geometry],
    options: DxfOptions,
    report: DxfReport,
) -> tuple[list[str | None], list[str | None]]:
    """Give each polygon its label (the one id text inside it) and all its texts."""
    inside: list[list[tuple[str, bool]]] = [[] for _ in polys]
    if points:
        tree = shapely.STRtree(list(polys))
        pt_idx, poly_idx = tree.query(np.asarray(points, dtype=object), predicate="within")
        areas = shapely.area(np.asarray(polys, dtype=object))
        best: dict[int, int] = {}
        for t, q in zip(pt_idx.tolist(), poly_idx.tolist()):
            if t not in best or areas[q] < areas[best[t]]:
                best[t] = q  # the smallest polygon holding the text
        for t, q in best.items():
            inside[q].append(texts[t])
        report.labels_outside = sum(1 for t, (_, is_id) in enumerate(texts) if is_id and t not in best)
    labels: list[str | None] = []
    all_texts: list[str | None] = []
    for k, found in enumerate(inside):
        ids = list(dict.fromkeys(v for v, is_id in found if is_id))
        all_texts.append(" | ".join(v for v, _ in found) or None)
        if len(ids) == 1:
            labels.append(ids[0])
            continue
        labels.append(None)
        if ids:
            report.ambiguous.append((k, ids))
        else:
            report.unlabelled.append(k)
    return labels, all_texts
