"""CRS at the boundary: suggestions for a layer without one, and the transformation used.

A layer without a CRS is never guessed into one. It is refused with the CRSs whose area of use
(from the PROJ database, through pyproj) fits its coordinates, and the user picks one with
``--crs``. Candidates are China's Gauss–Krüger CRSs on CGCS2000, Xian 1980 and Beijing 1954
(3- and 6-degree, with the zone number as an easting prefix or without), and CGCS2000 / WGS 84
geographic coordinates when the numbers look like degrees:

* eastings like ``37 5xx xxx``: the ``37`` is the 3-degree zone → EPSG:4525 (CGCS2000 zone 37);
* eastings like ``5xx xxx``: no prefix, so the central meridian is not in the numbers; the
  candidates are ranked by how well they place the data near the zone (``near``: the target
  CRS's area of use), e.g. EPSG:4546 (CM 111°E) for the Jiaokou zone.

Xian 1980 and Beijing 1954 candidates carry a warning: PROJ has no published transformation
from them to CGCS2000, only a "ballpark" one that ignores the datum shift, so data in them are
placed with a metre-level (or larger) error. :func:`transformation` describes the
transformation a reprojection uses, and its accuracy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from gis.errors import MissingCRSError
from gis.messages import Message, joined, msg

#: Datums whose transformation to CGCS2000 PROJ knows only as a ballpark (no datum shift).
OLDER_DATUMS = ("Xian 1980", "Beijing 1954")

#: How far (degrees) the coordinates may reach outside a candidate's area of use.
AREA_TOLERANCE_DEG = 0.25

_FAMILY = re.compile(r"^(CGCS2000|Xian 1980|Beijing 1954) / (3-degree )?Gauss-Kruger (zone (\d+)|CM (\d+)E)$")


@dataclass(frozen=True)
class CRSSuggestion:
    """A CRS that fits a layer's coordinates.

    ``code`` is ``EPSG:4525``-style, ``name`` pyproj's name, ``datum`` the datum family
    (``CGCS2000``, ``Xian 1980``, ``Beijing 1954``, ``WGS 84``), ``kind`` how the coordinates
    were read (``zone_prefix``: eastings carry the zone number; ``central_meridian``: no prefix;
    ``geographic``), ``zone`` the Gauss–Krüger zone number or ``cm`` the central meridian (°E),
    ``lonlat`` the layer's extent in that CRS as (west, south, east, north) degrees,
    ``near`` whether that extent lies in the reference area, ``same_as`` other codes with the
    very same definition (a 6-degree CM 111°E is the 3-degree CM 111°E).
    """

    code: str
    name: str
    datum: str
    kind: str
    zone: int | None
    cm: int | None
    lonlat: tuple[float, float, float, float]
    near: bool
    same_as: tuple[str, ...] = ()

    @property
    def older_datum(self) -> bool:
        """True for Xian 1980 and Beijing 1954 (a metre-level shift against CGCS2000)."""
        return self.datum in OLDER_DATUMS

    def describe(self) -> str:
        """Return a one-line English description for messages."""
        if self.kind == "zone_prefix":
            why = f"eastings like {self.zone} 5xx xxx carry the zone prefix {self.zone}"
        elif self.kind == "central_meridian":
            why = f"eastings like 5xx xxx without prefix, central meridian {self.cm}°E"
        else:
            why = "coordinates in degrees"
        shift = "; older datum: metre-level shift against CGCS2000" if self.older_datum else ""
        return f"{self.code} ({self.name}: {why}{shift})"

    def message(self) -> Message:
        """This suggestion said in the user's language (ids ``import.crs.…``)."""
        if self.kind == "zone_prefix":
            why = msg("import.crs.why.prefix", zone=self.zone)
        elif self.kind == "central_meridian":
            why = msg("import.crs.why.cm", cm=self.cm)
        else:
            why = msg("import.crs.why.degrees")
        older = msg("import.crs.older", datum=self.datum) if self.older_datum else ""
        return msg("import.crs.suggestion", code=self.code, name=self.name, why=why, older=older)


@dataclass(frozen=True)
class _Candidate:
    code: str
    name: str
    datum: str
    zone: int | None
    cm: int | None
    three_degree: bool
    west: float
    south: float
    east: float
    north: float

    @property
    def meridian(self) -> float:
        """The central meridian (°E): named, or from the zone number."""
        if self.cm is not None:
            return float(self.cm)
        assert self.zone is not None
        return 3.0 * self.zone if self.three_degree else 6.0 * self.zone - 3.0

    @property
    def false_easting(self) -> float:
        """500 km, plus the zone number × 1000 km when eastings carry it."""
        return 500_000.0 + (1_000_000.0 * self.zone if self.zone is not None else 0.0)

    def rough_lonlat(self, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The extent in degrees on a sphere: within a few tenths of a degree, enough to drop
        candidates before the exact (and slower) transformation."""
        xmin, ymin, xmax, ymax = bounds
        lat0, lat1 = ymin / 110_900.0, ymax / 110_900.0
        scale = 111_320.0 * max(np.cos(np.radians(max(abs(lat0), abs(lat1)))), 0.05)
        return (
            self.meridian + (xmin - self.false_easting) / scale,
            lat0,
            self.meridian + (xmax - self.false_easting) / scale,
            lat1,
        )


@lru_cache(maxsize=1)
def _candidates() -> tuple[_Candidate, ...]:
    """China's Gauss–Krüger projected CRSs in the EPSG database, with their areas of use."""
    out = []
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        m = _FAMILY.match(info.name)
        if m is None or info.area_of_use is None or info.deprecated:
            continue
        a = info.area_of_use
        out.append(
            _Candidate(
                code=f"EPSG:{info.code}",
                name=info.name,
                datum=m.group(1),
                zone=int(m.group(4)) if m.group(4) else None,
                cm=int(m.group(5)) if m.group(5) else None,
                three_degree=bool(m.group(2)),
                west=a.west,
                south=a.south,
                east=a.east,
                north=a.north,
            )
        )
    return tuple(out)


@lru_cache(maxsize=256)
def _to_lonlat(code: str) -> Transformer:
    return Transformer.from_crs(code, "OGC:CRS84", always_xy=True)


def _lonlat_extent(
    code: str, bounds: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    xmin, ymin, xmax, ymax = bounds
    with np.errstate(all="ignore"):
        w, s, e, n = _to_lonlat(code).transform_bounds(xmin, ymin, xmax, ymax, densify_pts=5)
    return (float(w), float(s), float(e), float(n)) if np.isfinite([w, s, e, n]).all() else None


def _inside(ext: tuple[float, ...], c: _Candidate, tol: float = AREA_TOLERANCE_DEG) -> bool:
    w, s, e, n = ext
    return w >= c.west - tol and e <= c.east + tol and s >= c.south - tol and n <= c.north + tol


def _overlaps(ext: tuple[float, ...], area: tuple[float, float, float, float]) -> bool:
    w, s, e, n = ext
    return w <= area[2] and e >= area[0] and s <= area[3] and n >= area[1]


def _grow(area: tuple[float, float, float, float], by: float) -> tuple[float, float, float, float]:
    return (area[0] - by, area[1] - by, area[2] + by, area[3] + by)


def area_of(crs: object) -> tuple[float, float, float, float] | None:
    """Return a CRS's area of use as (west, south, east, north) degrees, or None."""
    try:
        aou = CRS.from_user_input(crs).area_of_use
    except Exception:  # pyproj raises CRSError and others for a bad input: no area
        return None
    return None if aou is None else (aou.west, aou.south, aou.east, aou.north)


def suggest_crs(
    bounds: tuple[float, float, float, float],
    *,
    near: tuple[float, float, float, float] | None = None,
    limit: int = 8,
) -> list[CRSSuggestion]:
    """Return the CRSs whose area of use fits coordinates with ``bounds`` (xmin, ymin, xmax,
    ymax), best first: those placing the data in ``near`` (west, south, east, north degrees)
    first, then CGCS2000 before Xian 1980 and Beijing 1954, 3-degree before 6-degree. An empty
    list means the coordinates fit no national CRS (local engineering coordinates, say)."""
    xmin, ymin, xmax, ymax = bounds
    found: list[CRSSuggestion] = []
    if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        ext = (xmin, ymin, xmax, ymax)
        is_near = near is None or _overlaps(ext, near)
        for code, name, datum in (("EPSG:4490", "China Geodetic Coordinate System 2000", "CGCS2000"),
                                  ("EPSG:4326", "WGS 84", "WGS 84")):  # fmt: skip
            found.append(CRSSuggestion(code, name, datum, "geographic", None, None, ext, is_near))
        return found[:limit]
    prefix = int(xmin // 1_000_000) if xmin >= 1_000_000 else None
    if prefix is not None and int(xmax // 1_000_000) != prefix:
        return []  # eastings across two zone prefixes: not one Gauss–Krüger zone
    seen: dict[tuple, int] = {}
    # 3-degree before 6-degree, so that a definition both share is named by its 3-degree code.
    for c in sorted(_candidates(), key=lambda c: not c.three_degree):
        if (prefix is not None and c.zone != prefix) or (prefix is None and c.cm is None):
            continue
        rough = c.rough_lonlat(bounds)
        if not _inside(rough, c, 1.0) or (near is not None and not _overlaps(rough, _grow(near, 1.0))):
            continue
        key = (c.datum, c.meridian, c.false_easting)
        if key in seen:  # the same definition (6-degree CM 111°E = 3-degree CM 111°E)
            i = seen[key]
            found[i] = CRSSuggestion(**{**found[i].__dict__, "same_as": (*found[i].same_as, c.code)})
            continue
        extent = _lonlat_extent(c.code, bounds)
        if extent is None or not _inside(extent, c):
            continue
        seen[key] = len(found)
        found.append(
            CRSSuggestion(
                code=c.code,
                name=c.name,
                datum=c.datum,
                kind="zone_prefix" if prefix is not None else "central_meridian",
                zone=c.zone,
                cm=c.cm,
                lonlat=extent,
                near=near is None or _overlaps(extent, near),
            )
        )
    datum_rank = {"CGCS2000": 0, "Xian 1980": 1, "Beijing 1954": 2}
    found.sort(key=lambda s: (not s.near, datum_rank.get(s.datum, 3)))
    if near is not None and any(s.near for s in found):
        found = [s for s in found if s.near]
    return found[:limit]


def _fmt(v: float) -> str:
    return f"{v:,.0f}".replace(",", " ") if abs(v) >= 1000 else f"{v:.4f}"


def undeclared_crs_error(
    bounds: tuple[float, float, float, float],
    *,
    where: str,
    near: tuple[float, float, float, float] | None = None,
) -> MissingCRSError:
    """Return the error for a layer with no CRS whose coordinates span ``bounds``: a
    :class:`~gis.errors.MissingCRSError` (the class the API and CLI report) whose message names
    the coordinates and the CRSs they fit (see :func:`suggest_crs`) and asks for ``--crs``; it
    carries ``suggestions`` (best first) and ``bounds`` for reports (:func:`crs_suggestions`)."""
    xmin, ymin, xmax, ymax = bounds
    found = suggest_crs(bounds, near=near)
    coords = f"x {_fmt(xmin)}…{_fmt(xmax)}, y {_fmt(ymin)}…{_fmt(ymax)}"
    start = "has no CRS; declare it (e.g. a .prj / assign EPSG:4546 in QGIS) and try again, or pass --crs"
    if found:
        listed = "; ".join(s.describe() for s in found)
        message = f"{start}: its coordinates ({coords}) fit {listed}"
        hint = (
            f"if the data were drawn in {found[0].code}, pass --crs {found[0].code} (parksite never guesses)"
        )
    else:
        message = f"{start}: its coordinates ({coords}) fit no national CRS of China"
        hint = "the drawing may be in local engineering coordinates: georeference it, then pass --crs"
    shown = (
        msg(
            "error.crs.missing_fits",
            coords=coords,
            suggestions=joined([s.message() for s in found], "semicolon"),
            best=found[0].code,
        )
        if found
        else msg("error.crs.missing_fits_none", coords=coords)
    )
    err = MissingCRSError(message, where=where, hint=hint, msg=shown)
    err.suggestions = found  # type: ignore[attr-defined]
    err.bounds = bounds  # type: ignore[attr-defined]
    return err


def crs_suggestions(
    err: BaseException,
) -> tuple[list[CRSSuggestion], tuple[float, float, float, float]] | None:
    """Return ``(suggestions, bounds)`` of an error made by :func:`undeclared_crs_error`, else None."""
    if isinstance(err, MissingCRSError) and hasattr(err, "suggestions") and hasattr(err, "bounds"):
        return list(err.suggestions), tuple(err.bounds)  # type: ignore[return-value]
    return None


# ------------------------------------------------------------------------------ transformation


@dataclass(frozen=True)
class TransformInfo:
    """The coordinate operation a reprojection uses.

    ``description`` is PROJ's (e.g. ``Inverse of 3-degree Gauss-Kruger zone 37 + Gauss-Kruger CM
    111E``), ``accuracy_m`` its accuracy in metres (0 for an exact conversion, None when PROJ
    does not know it), ``ballpark`` True when the datum shift is ignored, ``older_datum`` the
    source's datum when it is Xian 1980 or Beijing 1954 (its data carry a metre-level error).
    """

    source: str
    target: str
    description: str
    accuracy_m: float | None
    ballpark: bool
    older_datum: str | None

    def describe(self) -> str:
        """Return a one-line English description."""
        if self.source == self.target:
            return f"{self.source}: no transformation"
        acc = (
            "exact"
            if self.accuracy_m == 0
            else f"accuracy {self.accuracy_m:g} m"
            if self.accuracy_m is not None
            else "accuracy unknown"
        )
        text = f"{self.source} → {self.target}: {self.description} ({acc})"
        if self.older_datum:
            text += (
                f"; {self.older_datum} is an older datum and PROJ knows no shift from it to "
                "CGCS2000 (ballpark): positions are off by metres or more"
            )
        return text


def _datum_family(crs: CRS) -> str | None:
    name = crs.datum.name if crs.datum is not None else ""
    return next((d for d in OLDER_DATUMS if d.lower() in name.lower()), None)


def transformation(source: object, target: object) -> TransformInfo:
    """Return the :class:`TransformInfo` of the best operation from ``source`` to ``target``
    (anything pyproj parses)."""
    return _transformation(CRS.from_user_input(source), CRS.from_user_input(target))


@lru_cache(maxsize=64)
def _transformation(src: CRS, dst: CRS) -> TransformInfo:
    s_code, t_code = _code(src), _code(dst)
    if src == dst:
        return TransformInfo(s_code, t_code, "none", 0.0, False, None)
    t = Transformer.from_crs(src, dst, always_xy=True)
    ballpark = "ballpark" in t.description.lower()
    accuracy = None if t.accuracy is None or t.accuracy < 0 else float(t.accuracy)
    if (
        accuracy is None
        and not ballpark
        and not any("transformation" in (op.type_name or "").lower() for op in (t.operations or ()))
    ):
        accuracy = 0.0  # conversions only (projection / axis order): exact
    older = _datum_family(src) if _datum_family(dst) is None else None
    return TransformInfo(s_code, t_code, t.description, accuracy, ballpark, older)


def _code(crs: CRS) -> str:
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def gauss_kruger_crs(lon: float) -> str:
    """Return the CGCS2000 3-degree Gauss–Krüger CRS without zone prefix whose central meridian
    (a multiple of 3°) is nearest ``lon`` (°E): the usual computation CRS of a zone there, e.g.
    EPSG:4546 (CM 111°E) for 109.5–112.5°E. ValueError outside China."""
    cm = int(3 * round(lon / 3))
    for c in _candidates():
        if c.datum == "CGCS2000" and c.three_degree and c.cm == cm:
            return c.code
    raise ValueError(f"no CGCS2000 3-degree Gauss-Kruger CRS with central meridian {cm}°E")
