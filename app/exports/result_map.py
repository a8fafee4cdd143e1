"""A scored parcel table as one self-contained interactive map (folium): ``result.html``.

Parcels coloured by class (the web map's colours), a popup per parcel with its score, class,
exclusion reasons and the breakdown (each criterion's points out of its weight × 100), a
legend, a layer control and the DEMs' hillshade as an image overlay. Leaflet's script and style
(the copy vendored in ``app/static/vendor/leaflet``, its images as data URIs) are inlined and no
tile layer is added: the file opens from a USB stick on a PC with no internet.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from app.i18n import text
from gis.figures import hillshade
from gis.raster import Grid, reproject_grid
from scoring.suitability import resolve_weights
from scoring.zone import ZoneConfig

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "leaflet"

#: Class colours, best class first, as the web map draws them (app/static/js/zone.js).
CLASS_COLORS = ["#1a9641", "#a6d96a", "#fdd835", "#f28e2b", "#e15759", "#bdbdbd"]
EXCLUDED_COLOR = "#6d6d6d"

#: Longest side (cells) of the hillshade overlay: keeps the file small.
MAX_OVERLAY_CELLS = 1200


def _leaflet_css() -> str:
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(m: re.Match[str]) -> str:
        path = VENDOR / m.group(1)
        if not path.is_file():
            return "url()"
        mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
        return f"url(data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    return re.sub(r"url\(\s*['\"]?(images/[^)'\"]+)['\"]?\s*\)", data_uri, css)


def _png(values: np.ndarray) -> str:
    """Return a grey hillshade (0–1, NaN transparent) as a PNG data URI."""
    from PIL import Image

    grey = np.nan_to_num(values, nan=0.0)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = (grey * 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.isnan(values), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def hillshade_overlays(dems: Sequence[Grid]) -> list[tuple[str, list[list[float]]]]:
    """Return each DEM's hillshade as (PNG data URI, [[south, west], [north, east]]): computed
    in the DEM's metric CRS, then warped to Web Mercator (what Leaflet draws), so the image's
    rectangle is exact in latitude and longitude."""
    from pyproj import Transformer

    out = []
    for dem in dems:
        step = max(1, int(np.ceil(max(dem.shape) / MAX_OVERLAY_CELLS)))
        hs = hillshade(dem.values, dem.dx, dem.dy)
        shade = Grid(hs.astype(np.float32), dem.transform, dem.crs, f"hillshade of {dem.source}")
        merc = reproject_grid(shade, "EPSG:3857", resolution=abs(dem.dx) * step)
        left, bottom, right, top = merc.bounds
        to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
        west, south = to_ll.transform(left, bottom)
        east, north = to_ll.transform(right, top)
        out.append((_png(np.clip(merc.values, 0, 1)), [[south, west], [north, east]]))
    return out


def _class_color(zone: ZoneConfig, cls: Any, excluded: bool) -> str:
    if excluded:
        return EXCLUDED_COLOR
    for i, c in enumerate(zone.scoring.classes):
        if cls in (c.name, c.name_en):
            return CLASS_COLORS[min(i, len(CLASS_COLORS) - 1)]
    return "#cccccc"


def _num(v: Any, digits: int) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if np.isnan(x) else f"{x:,.{digits}f}"


def _popup(zone: ZoneConfig, row: dict[str, Any], lang: str) -> str:
    """Return the popup HTML of one scored parcel: score, class, area, reasons, breakdown."""
    en = lang == "en"
    colon = ": " if en else "："
    excluded = bool(row.get("excluded"))
    cls = text("resultmap.excluded", lang) if excluded else (row.get("class_en") if en else row.get("class"))
    lines = [
        f"<b>{html.escape(str(row.get('parcel_id')))}</b>",
        f"{text('resultmap.score', lang)}{colon}<b>{_num(row.get('score'), 1)}</b> ({html.escape(str(cls or '—'))})",
    ]
    if row.get("area_m2") is not None:
        lines.append(
            f"{text('resultmap.area', lang)}{colon}{text('report.area_value', lang, m2=_num(row.get('area_m2'), 0), mu=_num(row.get('area_mu'), 2))}"
        )
    reasons = row.get("reasons_en" if en else "reasons")
    if isinstance(reasons, str) and reasons:
        lines.append(f"<span style='color:#b00'>{html.escape(reasons)}</span>")
    rows = []
    weights = resolve_weights(zone.scoring)
    for c, w in zip(zone.scoring.criteria, weights):
        got = row.get(f"contrib_{c.id}")
        if got is None:
            continue
        name = c.name_en if en else c.name
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td style='text-align:right'>{_num(got, 1)} / {w * 100:.1f}</td></tr>"
        )
    if rows:
        lines.append(
            f"<table class='bd'><tr><th>{text('resultmap.criterion', lang)}</th><th>{text('resultmap.points', lang)}</th></tr>{''.join(rows)}</table>"
        )
    return "<br>".join(lines[:-1]) + ("<br>" if len(lines) > 1 else "") + lines[-1]


def _legend(zone: ZoneConfig, lang: str, title: str) -> str:
    items = [
        (CLASS_COLORS[min(i, len(CLASS_COLORS) - 1)], c.name_en if lang == "en" else c.name)
        for i, c in enumerate(zone.scoring.classes)
    ] + [(EXCLUDED_COLOR, text("resultmap.excluded", lang))]
    rows = "".join(
        f"<div><span style='display:inline-block;width:14px;height:10px;background:{col};margin-right:6px;border:1px solid #555'></span>{html.escape(name)}</div>"
        for col, name in items
    )
    return (
        "<div id='result-legend' style='position:fixed;bottom:28px;right:12px;z-index:1000;background:#fff;"
        "padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)'>"
        f"<b>{html.escape(title)}</b>{rows}</div>"
    )


def result_map_html(
    scored: gpd.GeoDataFrame,
    zone: ZoneConfig,
    *,
    dems: Sequence[Grid] = (),
    lang: str = "zh",
    title: str | None = None,
) -> str:
    """Return the self-contained HTML of the map of a scored parcel table (any CRS; shown in
    WGS 84): one polygon per parcel coloured by class, popups, legend, layer control and the
    hillshade of ``dems``. Parcels without a geometry are left out."""
    import folium

    wgs = scored[scored.geometry.notna() & ~scored.geometry.is_empty].to_crs("EPSG:4326")
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    # Only Leaflet itself, inlined below: no jQuery, Bootstrap or font icons from a CDN.
    fmap.default_js = []
    fmap.default_css = []
    name = title or text("resultmap.title", lang, zone=zone.zone.name_en if lang == "en" else zone.zone.name)
    for i, (uri, bounds) in enumerate(hillshade_overlays(dems)):
        folium.raster_layers.ImageOverlay(
            uri,
            bounds,
            name=text("resultmap.hillshade", lang) + (f" {i + 1}" if len(dems) > 1 else ""),
            opacity=0.6,
        ).add_to(fmap)
    props = [c for c in wgs.columns if c != wgs.geometry.name]
    features = []
    for rec, geom in zip(wgs[props].to_dict("records"), wgs.geometry):
        excluded = bool(rec.get("excluded"))
        features.append(
            {
                "type": "Feature",
                "geometry": geom.__geo_interface__,
                "properties": {
                    "parcel_id": str(rec.get("parcel_id")),
                    "color": _class_color(zone, rec.get("class"), excluded),
                    "popup": _popup(zone, rec, lang),
                },
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=text("resultmap.parcels", lang),
        style_function=lambda f: {
            "color": "#333333",
            "weight": 0.8,
            "fillColor": f["properties"]["color"],
            "fillOpacity": 0.7,
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
        tooltip=folium.GeoJsonTooltip(fields=["parcel_id"], labels=False),
    )
    layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if len(wgs):
        x0, y0, x1, y1 = wgs.total_bounds
        fmap.fit_bounds([[y0, x0], [y1, x1]])
    fmap.get_root().html.add_child(folium.Element(_legend(zone, lang, name)))
    fmap.get_root().header.add_child(
        folium.Element(
            f"<title>{html.escape(name)}</title><style>{_leaflet_css()}\n"
            ".bd{border-collapse:collapse;margin-top:4px}.bd td,.bd th{border:1px solid #ccc;padding:1px 4px;font-size:11px}</style>"
            f"<script>{(VENDOR / 'leaflet.js').read_text(encoding='utf-8')}</script>"
        )
    )
    doc = fmap.get_root().render()
    return doc


def write_result_map(
    scored: gpd.GeoDataFrame, zone: ZoneConfig, out: Path, *, dems: Sequence[Grid] = (), lang: str = "zh"
) -> None:
    """Write :func:`result_map_html` to ``out`` (UTF-8) through a temporary file."""
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text(result_map_html(scored, zone, dems=dems, lang=lang), encoding="utf-8")
    tmp.replace(out)


def asset_urls(doc: str) -> list[str]:
    """Return every http(s) URL the document loads as an asset (script src, link href,
    url(...) in styles, img src); hyperlinks (``<a href>``) are not assets."""
    found = re.findall(r"<(?:script|img|iframe)[^>]*\bsrc\s*=\s*['\"]?(https?://[^'\" >]+)", doc)
    found += re.findall(r"<link[^>]*\bhref\s*=\s*['\"]?(https?://[^'\" >]+)", doc)
    found += re.findall(r"url\(\s*['\"]?(https?://[^)'\"]+)", doc)
    found += re.findall(r"@import\s+['\"]?(https?://[^'\" ;]+)", doc)
    return found
