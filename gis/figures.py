"""Static maps and charts for printed documents, drawn offline with matplotlib (no tile server).

Pure drawing: shapes in a metric CRS (the zone CRS), DEM grids (:class:`gis.raster.Grid`) and
labels already written in the reader's language go in, PNG bytes come out. Nothing here knows a
zone, a database or a language; the report assembly (``app/reports``) chooses what to draw.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display: figures are written to bytes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from shapely.geometry.base import BaseGeometry  # noqa: E402

from gis.raster import Grid  # noqa: E402

#: Fonts tried in order: Noto Sans CJK (Debian's fonts-noto-cjk) for Chinese, DejaVu otherwise.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK", "DejaVu Sans"]

#: Figure resolution (dots per inch) of the PNGs.
DPI = 150

LineStyle = Literal["-", "--", ":", "-."]

Extent = tuple[float, float, float, float]  # (xmin, ymin, xmax, ymax) in CRS units (m)


def _style() -> None:
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = FONTS
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["font.size"] = 8


def hillshade(
    z: np.ndarray, dx: float, dy: float, azimuth_deg: float = 315.0, altitude_deg: float = 45.0
) -> np.ndarray:
    """Return the hillshade of elevations ``z`` (metres, NaN = no data) on cells ``dx`` × ``|dy|``
    metres: 0 (in shadow) … 1 (facing the light), NaN where ``z`` is NaN; light from
    ``azimuth_deg`` (clockwise from north) at ``altitude_deg`` above the horizon."""
    zf = np.where(np.isnan(z), np.nanmean(z) if np.isfinite(z).any() else 0.0, z)
    gy, gx = np.gradient(zf, abs(dy), abs(dx))  # rows run north → south: gy is −∂z/∂north
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(gy, -gx)  # the way the slope faces (downhill), counter-clockwise from east
    az = np.deg2rad(90.0 - azimuth_deg)  # light direction in the same convention
    alt = np.deg2rad(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    out = np.clip(shade, 0.0, 1.0)
    out[np.isnan(z)] = np.nan
    return out


def window(grid: Grid, extent: Extent) -> tuple[np.ndarray, Extent] | None:
    """Return the part of ``grid`` inside ``extent`` and that part's own extent, None if they do
    not overlap."""
    xmin, ymin, xmax, ymax = extent
    left, bottom, right, top = grid.bounds
    if xmax <= left or xmin >= right or ymax <= bottom or ymin >= top:
        return None
    c0 = max(0, int(np.floor((xmin - left) / grid.dx)))
    c1 = min(grid.shape[1], int(np.ceil((xmax - left) / grid.dx)))
    r0 = max(0, int(np.floor((top - ymax) / -grid.dy)))
    r1 = min(grid.shape[0], int(np.ceil((top - ymin) / -grid.dy)))
    if c1 <= c0 or r1 <= r0:
        return None
    part = grid.values[r0:r1, c0:c1]
    ext = (left + c0 * grid.dx, top + r1 * grid.dy, left + c1 * grid.dx, top + r0 * grid.dy)
    return part, ext


def padded_extent(geom: BaseGeometry, *, margin: float = 0.25, min_size_m: float = 600.0) -> Extent:
    """Return a square extent around ``geom`` (metres): its bounds grown by ``margin`` of their
    larger side on each side, at least ``min_size_m`` wide."""
    x0, y0, x1, y1 = geom.bounds
    side = max(x1 - x0, y1 - y0)
    side = max(side * (1 + 2 * margin), min_size_m)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


@dataclass(frozen=True)
class MapLayer:
    """A layer to draw: shapes, how (matplotlib colour, line width, fill) and its legend label
    (None: not in the legend); ``label_field`` writes that column's text beside each shape."""

    frame: gpd.GeoDataFrame | None
    label: str | None
    color: str
    linewidth: float = 1.0
    fill: str | None = None
    alpha: float = 1.0
    linestyle: LineStyle = "-"
    marker: str = "o"
    label_field: str | None = None
    zorder: int = 2


def _to_png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _scale_bar(ax: plt.Axes, extent: Extent, label_m: str) -> None:
    xmin, ymin, xmax, ymax = extent
    width = xmax - xmin
    nice = [50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000]
    length = max([n for n in nice if n <= width / 4] or [nice[0]])
    x0, y0 = xmin + width * 0.05, ymin + (ymax - ymin) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=2.5, zorder=10)
    ax.text(
        x0 + length / 2,
        y0 + (ymax - ymin) * 0.015,
        f"{length:g} {label_m}",
        ha="center",
        fontsize=7,
        zorder=10,
    )
    ax.annotate(
        "N",
        xy=(xmax - width * 0.06, ymax - (ymax - ymin) * 0.05),
        xytext=(xmax - width * 0.06, ymax - (ymax - ymin) * 0.15),
        arrowprops={"arrowstyle": "-|>", "color": "black"},
        ha="center",
        fontsize=9,
        fontweight="bold",
        zorder=10,
    )


def _draw_layers(ax: plt.Axes, layers: Sequence[MapLayer], extent: Extent) -> list[object]:
    handles: list[object] = []
    xmin, ymin, xmax, ymax = extent
    for lay in layers:
        gdf = lay.frame
        if gdf is None or gdf.empty:
            continue
        gdf = gdf.cx[xmin:xmax, ymin:ymax]
        if gdf.empty:
            continue
        kinds = set(gdf.geom_type)
        if kinds & {"Point", "MultiPoint"}:
            gdf.plot(
                ax=ax,
                color=lay.color,
                markersize=28,
                marker=lay.marker,
                zorder=lay.zorder,
                edgecolor="black",
                linewidth=0.5,
            )
            handles.append(
                plt.Line2D(
                    [],
                    [],
                    color=lay.color,
                    marker=lay.marker,
                    linestyle="",
                    markeredgecolor="black",
                    label=lay.label,
                )
            )
        elif kinds & {"Polygon", "MultiPolygon"}:
            gdf.plot(
                ax=ax,
                facecolor=lay.fill or "none",
                edgecolor=lay.color,
                linewidth=lay.linewidth,
                alpha=lay.alpha,
                linestyle=lay.linestyle,
                zorder=lay.zorder,
            )
            handles.append(
                Patch(
                    facecolor=lay.fill or "none",
                    edgecolor=lay.color,
                    linestyle=lay.linestyle,
                    label=lay.label,
                )
            )
        else:
            gdf.plot(
                ax=ax,
                color=lay.color,
                linewidth=lay.linewidth,
                linestyle=lay.linestyle,
                alpha=lay.alpha,
                zorder=lay.zorder,
            )
            handles.append(
                plt.Line2D(
                    [], [], color=lay.color, linewidth=lay.linewidth, linestyle=lay.linestyle, label=lay.label
                )
            )
        if lay.label is None:
            handles.pop()
        if lay.label_field and lay.label_field in gdf.columns:
            for geom, name in zip(gdf.geometry, gdf[lay.label_field]):
                if geom is None or geom.is_empty or not isinstance(name, str) or not name:
                    continue
                clipped = geom.intersection(_box(extent))
                if clipped.is_empty:
                    continue
                p = clipped.representative_point()
                ax.text(
                    p.x,
                    p.y,
                    name,
                    fontsize=6.5,
                    color=lay.color,
                    ha="center",
                    va="center",
                    zorder=lay.zorder + 1,
                    clip_on=True,
                    bbox={"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 0.8},
                )
    return handles


def _legend(ax: plt.Axes, handles: list[object], title: str | None) -> None:
    """Put the legend beside the map (right of it), so it hides nothing; axis labels off."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0,
        fontsize=7,
        frameon=False,
        title=title,
        title_fontsize=7.5,
    )


def _box(extent: Extent) -> BaseGeometry:
    from shapely.geometry import box

    return box(*extent)


def _axes(extent: Extent, size_in: tuple[float, float] = (5.0, 5.0)) -> tuple[plt.Figure, plt.Axes]:
    _style()
    fig, ax = plt.subplots(figsize=size_in)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax


def location_map(
    grids: Sequence[Grid],
    layers: Sequence[MapLayer],
    extent: Extent,
    *,
    metres: str = "m",
    legend_title: str | None = None,
) -> bytes:
    """Return a PNG map of ``layers`` over the hillshade of the DEM ``grids`` within ``extent``
    (metres), with a legend, a scale bar (``metres``: the unit's label) and a north arrow."""
    fig, ax = _axes(extent)
    ax.set_facecolor("#f4f1ea")
    for g in grids:
        part = window(g, extent)
        if part is None:
            continue
        z, ext = part
        hs = hillshade(z, g.dx, g.dy)
        ax.imshow(
            hs,
            extent=(ext[0], ext[2], ext[1], ext[3]),
            cmap="Greys_r",
            vmin=0,
            vmax=1,
            alpha=0.55,
            zorder=0,
            interpolation="bilinear",
        )
    handles = _draw_layers(ax, layers, extent)
    _scale_bar(ax, extent, metres)
    if handles:
        _legend(ax, handles, legend_title)
    return _to_png(fig)


def slope_class_map(
    grids: Sequence[Grid],
    layers: Sequence[MapLayer],
    extent: Extent,
    limits_pct: Sequence[float],
    class_labels: Sequence[str],
    *,
    metres: str = "m",
) -> bytes:
    """Return a PNG map of slope classes within ``extent``: the slope of each DEM grid (degrees,
    e.g. :attr:`gis.zonal.TerrainSurface.slope_deg`) cut at ``limits_pct`` (percent, ascending)
    into ``len(limits_pct) + 1`` classes named by ``class_labels``, with ``layers`` on top."""
    if len(class_labels) != len(limits_pct) + 1:
        raise ValueError("one class label more than slope limits is needed")
    fig, ax = _axes(extent)
    colours = ["#1a9850", "#a6d96a", "#fee08b", "#f46d43", "#a50026"][: len(class_labels)]
    if len(class_labels) > len(colours):
        colours = list(plt.get_cmap("RdYlGn_r")(np.linspace(0, 1, len(class_labels))))
    cmap = ListedColormap(colours)
    bounds = [0.0, *limits_pct, 1e9]
    norm = BoundaryNorm(bounds, cmap.N)
    for g in grids:
        part = window(g, extent)
        if part is None:
            continue
        deg, ext = part
        pct = np.tan(np.deg2rad(deg)) * 100.0
        ax.imshow(
            np.ma.masked_invalid(pct),
            extent=(ext[0], ext[2], ext[1], ext[3]),
            cmap=cmap,
            norm=norm,
            zorder=0,
            interpolation="nearest",
            alpha=0.85,
        )
    handles = _draw_layers(ax, layers, extent)
    handles = [Patch(facecolor=c, label=lab) for c, lab in zip(colours, class_labels)] + handles
    _scale_bar(ax, extent, metres)
    _legend(ax, handles, None)
    return _to_png(fig)


def contribution_chart(
    labels: Sequence[str],
    contributions: Sequence[float],
    maxima: Sequence[float],
    *,
    xlabel: str,
    legend: Mapping[str, str],
) -> bytes:
    """Return a PNG horizontal bar chart: per criterion (``labels``) the points it contributes
    (``contributions``) against the most it could (``maxima``: weight × 100); ``legend`` maps
    ``"got"`` and ``"max"`` to their labels."""
    _style()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(6.3, 0.35 * n + 0.9))
    y = np.arange(n)[::-1]
    ax.barh(y, maxima, color="#dde3ea", edgecolor="#9aa7b4", label=legend["max"], height=0.6)
    ax.barh(y, contributions, color="#2b6cb0", label=legend["got"], height=0.6)
    for yi, c, m in zip(y, contributions, maxima):
        ax.text(max(m, c) + 0.4, yi, f"{c:.1f} / {m:.1f}", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max([*maxima, *contributions, 1.0]) * 1.25)
    ax.legend(loc="lower right", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _to_png(fig)


def class_count_chart(
    groups: Sequence[str],
    classes: Sequence[str],
    counts: Sequence[Sequence[int]],
    colours: Sequence[str],
    *,
    ylabel: str,
) -> bytes:
    """Return a PNG bar chart of counts per class within each group: ``counts[g][c]`` is the
    number in group ``groups[g]`` of class ``classes[c]`` (coloured ``colours[c]``); bars side by
    side per group, each labelled with its count."""
    if len(colours) != len(classes) or any(len(row) != len(classes) for row in counts):
        raise ValueError("one colour and one count per class (in every group) are needed")
    _style()
    fig, ax = plt.subplots(figsize=(6.3, 2.6))
    n = len(classes)
    width = 0.8 / max(n, 1)
    x = np.arange(len(groups))
    for c, (name, colour) in enumerate(zip(classes, colours)):
        values = [row[c] for row in counts]
        pos = x - 0.4 + width * (c + 0.5)
        ax.bar(pos, values, width=width * 0.92, color=colour, edgecolor="#4a5568", linewidth=0.4, label=name)
        for xi, v in zip(pos, values):
            ax.text(xi, v + 0.05, str(v), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(groups)
    ax.set_ylabel(ylabel)
    top = max([v for row in counts for v in row] + [1])
    ax.set_ylim(0, top * 1.25 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return _to_png(fig)
