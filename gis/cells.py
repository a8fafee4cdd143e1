"""Which raster cells each parcel covers, exactly, and statistics grouped by parcel.

:func:`extract_cells` runs one exactextract pass over a batch of parcels and returns, for each
parcel, the cells it touches (``cell_id``) and the exact fraction of each cell inside it
(``coverage``) as :class:`ParcelCells`; :class:`SortedGroups` and
:func:`weighted_quantile_by_group` reduce per-cell values to per-parcel statistics.
Used by :mod:`gis.zonal` (slope statistics) and anything else measured on a grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource
from exactextract.operation import Operation
from exactextract.raster import NumPyRasterSource
from exactextract.writer import Writer

from gis.raster import Grid

# --------------------------------------------------------------------------- exactextract adapter


class _WkbFeature(Feature):
    """An exactextract feature carrying only WKB and its position (cheaper than GeoJSON)."""

    def __init__(self, fid: int, wkb: bytes):
        Feature.__init__(self)
        self.fid = fid
        self.wkb = wkb

    def geometry(self) -> bytes:
        return self.wkb

    def set_geometry_format(self) -> str:
        return "wkb"

    def get(self, name: str) -> int:
        return self.fid

    def fields(self) -> list[str]:
        return ["fid"]


class _WkbSource(FeatureSource):
    def __init__(self, wkbs: np.ndarray):
        super().__init__()
        self.wkbs = wkbs

    def count(self) -> int:
        return len(self.wkbs)

    def __iter__(self):
        for i, wkb in enumerate(self.wkbs):
            yield _WkbFeature(i, wkb)

    def srs_wkt(self) -> None:  # CRS equality is checked by measure_on_dems
        return None


class _RowSink(Feature):
    """The target of ``copy_to``: keeps the fields of the feature being written in ``row``."""

    def __init__(self) -> None:
        Feature.__init__(self)
        self.row: dict = {}

    def set(self, name: str, value: object) -> None:
        self.row[name] = value

    def set_geometry(self, geometry: object) -> None:
        pass

    def set_geometry_format(self) -> str:
        return "wkb"


class _CellWriter(Writer):
    """Collects each feature's ``cell_id`` and ``coverage`` arrays by its ``fid``.

    exactextract hands every feature to ``write`` (a Python call per feature; its Python API has
    no bulk output); one reused sink keeps that call as cheap as it can be.
    """

    def __init__(self, n: int) -> None:
        super().__init__()
        self.sink = _RowSink()
        self.cell_id: list[np.ndarray | None] = [None] * n
        self.coverage: list[np.ndarray | None] = [None] * n

    def add_operation(self, op: Operation) -> None:
        pass

    def add_column(self, col_name: str) -> None:
        pass

    def add_geometry(self) -> None:
        pass

    def write(self, feature: object) -> None:
        row = self.sink.row = {}
        feature.copy_to(self.sink)  # type: ignore[attr-defined]
        fid = row["fid"]
        self.cell_id[fid] = row.get("cell_id")
        self.coverage[fid] = row.get("coverage")

    def features(self) -> None:
        return None


@dataclass(frozen=True, eq=False)
class ParcelCells:
    """The raster cells each parcel of a batch touches, flattened parcel after parcel.

    ``parcel[k]`` is the batch position (0 … n_parcels − 1, non-decreasing) of the parcel that
    touches cell ``cell_id[k]`` (``row · width + col`` of the grid) with ``coverage[k]`` ∈ (0, 1],
    the exact fraction of the cell's area inside the parcel.
    """

    n_parcels: int
    parcel: np.ndarray
    cell_id: np.ndarray
    coverage: np.ndarray

    def gather(self, grid: Grid) -> np.ndarray:
        """Values of ``grid`` (same grid as extracted) at the cells, in order."""
        return grid.values.ravel()[self.cell_id]

    def centres(self, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates (x, y) in CRS units, float64."""
        rows, cols = np.divmod(self.cell_id, grid.shape[1])
        t = grid.transform
        return t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e


@dataclass(frozen=True, eq=False)
class SortedGroups:
    """Per-group reductions over values stored group after group (as the cells of :class:`ParcelCells`).

    ``starts[g]`` is where group ``g`` begins and ``counts[g]`` how many values it has (0 for
    a group without values). Reductions run over contiguous slices (``ufunc.reduceat``), many
    times faster than scattering with ``numpy.bincount`` or ``ufunc.at``.
    """

    starts: np.ndarray
    counts: np.ndarray
    size: int

    @classmethod
    def of(cls, group: np.ndarray, n_groups: int) -> SortedGroups:
        """Index the groups of ``group`` (non-decreasing labels 0 … n_groups − 1); ValueError otherwise."""
        group = np.asarray(group)
        if len(group) and (group[0] < 0 or group[-1] >= n_groups or (np.diff(group) < 0).any()):
            raise ValueError("group labels must be non-decreasing and within 0 … n_groups − 1")
        bounds = np.searchsorted(group, np.arange(n_groups + 1), side="left")
        return cls(bounds[:-1], np.diff(bounds), len(group))

    def _reduceat(self, ufunc: np.ufunc, values: np.ndarray, empty: float) -> np.ndarray:
        if self.size == 0:
            return np.full(len(self.starts), empty)
        out = ufunc.reduceat(values, np.minimum(self.starts, self.size - 1)).astype(np.float64, copy=False)
        out[self.counts == 0] = empty
        return out

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per group (float64; 0 for an empty group)."""
        return self._reduceat(np.add, values, 0.0)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Maximum per group (float64; NaN for an empty group)."""
        return self._reduceat(np.maximum, values, np.nan)

    def spread(self, per_group: np.ndarray) -> np.ndarray:
        """Each group's value repeated for each of its values (the inverse of a reduction)."""
        return np.repeat(per_group, self.counts)


def extract_cells(geometries: Sequence | np.ndarray | gpd.GeoSeries, grid: Grid) -> ParcelCells:
    """Return the cells of ``grid`` covered by each polygon, with exactextract's coverage fractions.

    ``geometries`` must be in the grid's CRS. One exactextract pass over the whole batch; cells
    outside the grid are not returned (a parcel partly outside the DEM gets the part inside).
    """
    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    empty = ParcelCells(n, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    if n == 0:
        return empty
    left, bottom, right, top = grid.bounds
    # A zero-cost stand-in raster (every cell valid) on the DEM's grid: only its geometry matters.
    ones = np.broadcast_to(np.uint8(1), grid.shape)
    src = NumPyRasterSource(ones, left, bottom, right, top, nodata=None, name="grid")
    ops = [Operation("cell_id", "cell_id", src), Operation("coverage", "coverage", src)]
    writer = _CellWriter(n)
    exact_extract(src, _WkbSource(shapely.to_wkb(geoms)), ops, include_cols=["fid"], output=writer)
    counts = np.fromiter((0 if a is None else len(a) for a in writer.cell_id), dtype=np.int64, count=n)
    if counts.sum() == 0:
        return empty
    cell_id = np.concatenate([a for a in writer.cell_id if a is not None]).astype(np.int64, copy=False)
    coverage = np.concatenate([a for a in writer.coverage if a is not None]).astype(np.float64, copy=False)
    parcel = np.repeat(np.arange(n, dtype=np.int64), counts)
    keep = coverage > 0
    if not keep.all():
        parcel, cell_id, coverage = parcel[keep], cell_id[keep], coverage[keep]
    return ParcelCells(n, parcel, cell_id, coverage)


# --------------------------------------------------------------------------- statistics


def weighted_quantile_by_group(
    group: np.ndarray, values: np.ndarray, weights: np.ndarray, n_groups: int, q: float
) -> np.ndarray:
    """Per-group weighted quantile ``q`` exactly as exactextract's ``quantile`` operation.

    exactextract sums coverage per distinct value, sorts the distinct values x₁ < … < xₙ with
    weights wₖ, sets sₖ = (k−1)·wₖ + (n−1)·Σ_{i<k} wᵢ and interpolates linearly in s at
    q·(n−1)·Σwᵢ (the weighted-percentile method). Groups without values get NaN.
    """
    out = np.full(n_groups, np.nan)
    m = len(values)
    if m == 0:
        return out
    new_run = np.empty(m, dtype=bool)  # starts a run of equal (group, value)
    new_run[0] = True
    if values.dtype == np.float32 and group.max() < 2**31:
        # One uint64 sort key (group, value): the float32 bits mapped to an order-preserving
        # uint32. Several times faster than lexsort and exactly the same order; the stable
        # sort profits from groups that are already in order.
        bits = (values + np.float32(0.0)).view(np.uint32)  # + 0 turns -0.0 into 0.0
        bits = np.where(bits & np.uint32(0x80000000), ~bits, bits | np.uint32(0x80000000))
        key = (group.astype(np.uint64) << np.uint64(32)) | bits.astype(np.uint64)
        order = np.argsort(key, kind="stable")
        key = key[order]
        np.not_equal(key[1:], key[:-1], out=new_run[1:])
    else:
        order = np.lexsort((values, group))
        gs, vs = group[order], values[order]
        new_run[1:] = (gs[1:] != gs[:-1]) | (vs[1:] != vs[:-1])
    # Sorting by (group, value) leaves labels that were already in order where they were.
    g = group if (group[1:] >= group[:-1]).all() else group[order]
    x, w = values[order], weights[order].astype(np.float64, copy=False)
    if new_run.all():  # no value repeats within a group (the usual case): runs are the values
        rx, rw = x.astype(np.float64), w
    else:
        run_start = np.flatnonzero(new_run)
        g, rx, rw = g[run_start], x[run_start].astype(np.float64), np.add.reduceat(w, run_start)
    r = len(rx)
    first = np.empty(r, dtype=bool)  # first distinct value of a group
    first[0] = True
    np.not_equal(g[1:], g[:-1], out=first[1:])
    g_start = np.flatnonzero(first)
    n = np.diff(g_start, append=r)  # distinct values per group
    cum_excl = np.cumsum(rw)
    cum_excl -= rw
    cum_excl -= np.repeat(cum_excl[g_start], n)  # Σ_{i<k} wᵢ within the group
    s = np.arange(r, dtype=np.float64)
    s -= np.repeat(g_start.astype(np.float64), n)  # k, the 0-based rank within the group
    s *= rw
    cum_excl *= np.repeat((n - 1).astype(np.float64), n)
    s += cum_excl
    sum_w = np.add.reduceat(rw, g_start)
    target = q * sum_w * (n - 1)
    right = np.minimum.reduceat(np.where(s > np.repeat(target, n), np.arange(r), r), g_start)
    g_end = g_start + n - 1
    has_right = right < r
    left = np.where(has_right, right - 1, g_end)
    rr = np.where(has_right, right, g_end)
    with np.errstate(invalid="ignore", divide="ignore"):
        interp = rx[left] + (target - s[left]) * (rx[rr] - rx[left]) / (s[rr] - s[left])
    out[g[g_start]] = np.where(has_right, interp, rx[left])
    return out
