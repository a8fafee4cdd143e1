"""Opening vector files: GeoPackage, GeoJSON, Shapefile (plain or zipped) and DXF drawings.

:func:`open_vector` checks a path (local, existing, not empty, a known format whose first bytes
match its name; zip archives by :mod:`gis.archive`), picks the layer, decides the text encoding
of a Shapefile's table or a drawing (:mod:`gis.encoding`: given, declared or detected — never
silently mojibake) and reads the features with pyogrio. It checks nothing else:
:func:`gis.layers.read_layer` then applies the rules of :func:`gis.layers.prepare_layer`
(CRS, fields, geometry, repairs).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.errors

from gis.archive import ZipLimits, extracted_shapefile
from gis.dxf import DxfOptions, DxfReport, read_dxf
from gis.encoding import TextEncoding, shapefile_encoding, transcode
from gis.errors import InputFileError
from gis.messages import msg

#: Accepted file name endings and the format they stand for.
FORMATS: dict[str, str] = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".zip": "zipped Shapefile",
    ".shp": "Shapefile",
    ".dxf": "DXF",
}


@dataclass
class OpenedLayer:
    """A layer as read from its file, not yet checked: the features (``frame``, in the file's
    own CRS or none), how messages name it (``where``), the layer read (GeoPackage layer or
    Shapefile stem), the format, the text encoding used (Shapefiles and DXF) and what reading a
    drawing found (DXF)."""

    frame: gpd.GeoDataFrame
    where: str
    layer: str | None
    driver: str
    encoding: TextEncoding | None = None
    dxf: DxfReport | None = None


def _refuse_remote(raw: str) -> None:
    if "://" in raw or raw.lower().startswith("/vsi"):
        raise InputFileError(
            "remote and GDAL virtual paths are not accepted",
            where=raw,
            hint="download the file and give a local path",
            msg=msg("error.file.remote"),
        )


def _check_magic(path: Path, fmt: str) -> None:
    """Refuse a file whose first bytes do not match its format (e.g. a VRT posing as .gpkg)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    ok = {
        "GeoPackage": head.startswith(b"SQLite format 3\x00"),
        "GeoJSON": head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"),
        "Shapefile": head[:4] == b"\x00\x00\x27\x0a",
    }[fmt]
    if not ok:
        raise InputFileError(
            f"is not a {fmt} (its content does not match its name)",
            where=str(path),
            hint="export the layer again from QGIS",
            msg=msg("error.file.content_mismatch", format=fmt),
        )


def _pick_gpkg_layer(path: Path, layer: str | None) -> str:
    try:
        listing = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise InputFileError(
            f"cannot be read as a GeoPackage ({exc})",
            where=str(path),
            hint="export the layer again from QGIS",
            msg=msg("error.file.not_gpkg", detail=str(exc)),
        ) from exc
    names = [str(n) for n, _ in listing]
    spatial = [str(n) for n, g in listing if g is not None]
    if layer is not None:
        if layer not in names:
            raise InputFileError(
                f"has no layer {layer!r} (layers: {', '.join(names) or 'none'})",
                where=str(path),
                hint="check the layer name",
                msg=msg("error.file.no_layer", layer=layer, layers=names or "—"),
            )
        return layer
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise InputFileError(
            "has no layer with geometry",
            where=str(path),
            hint="export a spatial layer",
            msg=msg("error.file.no_spatial_layer"),
        )
    raise InputFileError(
        f"has {len(spatial)} layers ({', '.join(spatial)}); name the one to read",
        where=str(path),
        hint="pass the layer name",
        msg=msg("error.file.several_layers", n=len(spatial), layers=spatial),
    )


def _read_file(path: Path, layer: str | None, fmt: str, where: str) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            # Mixed-type GeoJSON fields come back as text; _check_numbers names the bad values.
            warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
            return pyogrio.read_dataframe(path, layer=layer)
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.GeometryError,
    ) as exc:
        raise InputFileError(
            f"cannot be read as a {fmt} ({exc})",
            where=where,
            hint="open it in QGIS to check it, and export it again",
            msg=msg("error.file.unreadable", format=fmt, detail=str(exc)),
        ) from exc


def _read_shapefile(shp: Path, encoding: str | None, where: str) -> tuple[gpd.GeoDataFrame, TextEncoding]:
    """Read a Shapefile with its table's bytes taken one to one (Latin-1) and decoded here in the
    chosen encoding (:func:`gis.encoding.transcode`): a field name cut mid-character at 10 bytes,
    as writers do with UTF-8 and GBK names, loses the cut character instead of failing."""
    enc = shapefile_encoding(shp, given=encoding, where=where)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
            raw = pyogrio.read_dataframe(shp, encoding="ISO-8859-1")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.GeometryError,
    ) as exc:
        raise InputFileError(
            f"cannot be read as a Shapefile ({exc})",
            where=where,
            hint="open it in QGIS to check it, and export it again",
            msg=msg("error.file.unreadable", format="Shapefile", detail=str(exc)),
        ) from exc
    return transcode(raw, enc.codec), enc


def check_vector_path(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Return the path and its format after refusing remote paths, missing, non-regular or
    empty files and unknown extensions (InputFileError)."""
    raw = os.fspath(path)
    _refuse_remote(raw)
    p = Path(raw)
    if not p.exists():
        raise InputFileError(
            "file not found", where=raw, hint="check the path", msg=msg("error.file.not_found")
        )
    if not p.is_file():
        raise InputFileError(
            "is not a file", where=raw, hint="give the path of a layer file", msg=msg("error.file.not_a_file")
        )
    if p.stat().st_size == 0:
        raise InputFileError(
            "is empty (0 bytes)", where=raw, hint="export the layer again", msg=msg("error.file.empty")
        )
    suffix = p.suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise InputFileError(
            f"has an unknown format {suffix or '(no extension)'!r}",
            where=raw,
            hint="give a GeoPackage (.gpkg), GeoJSON (.geojson), Shapefile (.shp or zipped .zip) "
            "or DXF drawing (.dxf)",
            msg=msg("error.file.unknown_format", suffix=suffix or "—"),
        )
    return p, fmt


def open_vector(
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    encoding: str | None = None,
    dxf: DxfOptions | None = None,
    zip_limits: ZipLimits = ZipLimits(),
) -> OpenedLayer:
    """Read one layer of a GeoPackage, GeoJSON, (zipped) Shapefile or DXF drawing, unchecked.

    ``layer`` names the GeoPackage layer (required when it holds several spatial layers) or the
    Shapefile inside a zip (required when it holds several). ``encoding`` is the text encoding
    of a Shapefile's table or a drawing when the user knows it (else declared or detected,
    :mod:`gis.encoding`); ``dxf`` says which layers and labels of a drawing to take
    (:class:`gis.dxf.DxfOptions`). Raises InputFileError and LimitExceededError (zip limits).
    """
    p, fmt = check_vector_path(path)
    raw = os.fspath(path)
    if fmt == "zipped Shapefile":
        with extracted_shapefile(p, layer, zip_limits) as shp:
            _check_magic(shp, "Shapefile")
            where = f"{raw} [{shp.stem}.shp]"
            gdf, enc = _read_shapefile(shp, encoding, where)
            return OpenedLayer(gdf, where, shp.stem, fmt, enc)
    if fmt == "Shapefile":
        _check_magic(p, "Shapefile")
        gdf, enc = _read_shapefile(p, encoding, raw)
        return OpenedLayer(gdf, raw, None, fmt, enc)
    if fmt == "DXF":
        gdf, report = read_dxf(p, dxf or DxfOptions(), encoding=encoding, where=raw)
        return OpenedLayer(gdf, raw, None, fmt, report.encoding, report)
    _check_magic(p, fmt)
    layer_name = _pick_gpkg_layer(p, layer) if fmt == "GeoPackage" else None
    where = raw + (f" [layer {layer_name}]" if layer_name else "")
    return OpenedLayer(_read_file(p, layer_name, fmt, where), where, layer_name, fmt)
