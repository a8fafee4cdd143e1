"""Query parameters of the feature service, checked as OGC API – Features requires.

Unknown parameters, repeated parameters and invalid values are refused with 400
(``/req/core/query-param-unknown``, ``/req/core/query-param-invalid``) through
:class:`InvalidParameter`, an :class:`app.errors.InvalidParameterError` (400 in ``app/errors.py``).
A ``limit`` above the maximum is not an error: the maximum is used (Part 1, 7.15.3); an
``offset`` or ``limit`` beyond :data:`MAX_INTEGER` is refused (400), so that no number the
database cannot hold reaches it. An empty ``datetime=`` is taken as absent.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from app.errors import InvalidParameterError
from app.ogc.crs import CRS84_URI, UnknownCRS, from_input_axes, service_crs, uri_for
from gis.messages import joined, msg

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: The largest ``offset`` or ``limit`` taken (as the API's, :mod:`app.api.bounds`): 2³¹ − 1.
MAX_INTEGER = 2**31 - 1

#: Parameters each kind of resource accepts.
PARAMS_ITEMS = frozenset({"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime"})
PARAMS_ITEM = frozenset({"f", "crs"})
PARAMS_PLAIN = frozenset({"f"})


class InvalidParameter(InvalidParameterError):
    """A query parameter is unknown, repeated or has an invalid value (HTTP 400)."""


def _cut(text: str, limit: int = 80) -> str:
    """Return ``text`` cut to ``limit`` characters (… marks a cut), for messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_known(params: QueryParams, allowed: Collection[str]) -> None:
    """Refuse parameters not in ``allowed`` and parameters given more than once."""
    unknown = sorted({k for k in params.keys() if k not in allowed})
    if unknown:
        raise InvalidParameter(
            f"unknown query parameter(s) {', '.join(unknown)}",
            where="query",
            hint=f"this resource takes {', '.join(sorted(allowed))}",
            msg=msg("error.ogc.unknown_params", names=joined(unknown), allowed=joined(sorted(allowed))),
        )
    repeated = sorted({k for k in params.keys() if len(params.getlist(k)) > 1})
    if repeated:
        raise InvalidParameter(
            f"parameter(s) given more than once: {', '.join(repeated)}",
            where="query",
            hint="give each parameter once",
            msg=msg("error.ogc.repeated", names=joined(repeated)),
        )


def _int(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameter(
            f"{name}={raw!r} is not an integer",
            where=name,
            hint=f"give a whole number ≥ {minimum}",
            msg=msg("error.ogc.not_integer", name=name, value=_cut(raw), minimum=minimum),
        ) from None
    if not minimum <= value <= MAX_INTEGER:
        raise InvalidParameter(
            f"{name}={value} is outside {minimum} … {MAX_INTEGER}",
            where=name,
            hint=f"give a whole number from {minimum} to {MAX_INTEGER}",
            msg=msg(
                "error.ogc.integer_range",
                name=name,
                value=_cut(raw.strip()),
                minimum=minimum,
                maximum=MAX_INTEGER,
            ),
        )
    return value


def parse_limit(params: Mapping[str, str], default: int, maximum: int) -> int:
    """Return ``limit`` (default ``default``; ≥ 1; above ``maximum`` becomes ``maximum``)."""
    return min(_int(params, "limit", default, 1), maximum)


def parse_offset(params: Mapping[str, str]) -> int:
    """Return ``offset`` (default 0; ≥ 0)."""
    return _int(params, "offset", 0, 0)


def parse_crs_param(
    params: Mapping[str, str], name: str, offered: Collection[str], default: str = CRS84_URI
) -> str:
    """Return the URI named by ``crs`` / ``bbox-crs``; it must be one the collection offers."""
    raw = params.get(name)
    if raw is None:
        return default
    text = raw.strip().strip("[]<>")
    try:
        uri = uri_for(text)
    except UnknownCRS:
        uri = text
    if uri not in offered:
        raise InvalidParameter(
            f"{name}={raw!r} is not a CRS this collection offers",
            where=name,
            hint=f"use one of {', '.join(offered)}",
            msg=msg("error.ogc.crs_not_offered", name=name, value=_cut(raw), offered=joined(list(offered))),
        )
    return uri


@dataclass(frozen=True)
class BBox:
    """A bbox as (minx, miny, maxx, maxy) in GIS axis order, and the URI of its CRS."""

    bounds: tuple[float, float, float, float]
    crs: str


def parse_bbox(params: Mapping[str, str], bbox_crs: str) -> BBox | None:
    """Return the ``bbox`` (4 or 6 numbers, in ``bbox_crs``'s axis order), or None.

    Six numbers carry heights (lower corner x, y, z, upper corner x, y, z); the heights are
    dropped. The lower corner must not exceed the upper one, except in longitude (a box across
    the antimeridian); latitudes must lie within ±90°.
    """
    raw = params.get("bbox")
    if raw is None:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidParameter(
            f"bbox={raw!r} is not a list of numbers",
            where="bbox",
            hint="give minx,miny,maxx,maxy in the axis order of bbox-crs",
            msg=msg("error.ogc.bbox_numbers", value=_cut(raw)),
        ) from None
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(
            f"bbox={raw!r} must hold 4 or 6 finite numbers",
            where="bbox",
            hint="give minx,miny,maxx,maxy in the axis order of bbox-crs",
            msg=msg("error.ogc.bbox_numbers", value=_cut(raw)),
        )
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    target = service_crs(bbox_crs)
    minx, miny, maxx, maxy = from_input_axes(tuple(values), target)  # type: ignore[arg-type]
    if target.geographic:
        if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
            raise InvalidParameter(
                f"bbox={raw!r}: latitude outside ±90°",
                where="bbox",
                hint="check the axis order of bbox-crs (CRS84 is lon,lat)",
                msg=msg("error.ogc.bbox_latitude", value=_cut(raw)),
            )
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
            raise InvalidParameter(
                f"bbox={raw!r}: longitude outside ±180°",
                where="bbox",
                msg=msg("error.ogc.bbox_longitude", value=_cut(raw)),
            )
        if miny > maxy:
            raise InvalidParameter(
                f"bbox={raw!r}: the lower latitude exceeds the upper",
                where="bbox",
                hint="give the lower corner first",
                msg=msg("error.ogc.bbox_order", value=_cut(raw)),
            )
    elif minx > maxx or miny > maxy:
        raise InvalidParameter(
            f"bbox={raw!r}: the lower corner exceeds the upper",
            where="bbox",
            hint="give the lower corner first, in the axis order of bbox-crs",
            msg=msg("error.ogc.bbox_order", value=_cut(raw)),
        )
    return BBox((minx, miny, maxx, maxy), bbox_crs)


def _instant(text: str) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(
            f"datetime {text!r} is not an RFC 3339 date or date-time",
            where="datetime",
            hint="e.g. 2024-05-01T00:00:00Z or 2024-01-01/2024-12-31 or ../2024-12-31",
            msg=msg("error.ogc.datetime", value=_cut(text)),
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_datetime(params: Mapping[str, str]) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """Return ``datetime`` as (start, end) (an instant has start == end; ``..`` is open), or None.

    The collections hold no time-stamped features, so a valid ``datetime`` selects nothing out.
    """
    raw = params.get("datetime")
    if raw is None or not raw.strip():  # datetime= (empty) is the parameter left out
        return None
    if "/" in raw:
        a, _, b = raw.partition("/")
        start, end = _instant(a), _instant(b)
        if start is None and end is None and (a, b) != ("..", ".."):
            raise InvalidParameter(
                f"datetime={raw!r}: an interval needs at least one end",
                where="datetime",
                msg=msg("error.ogc.datetime_open", value=_cut(raw)),
            )
        if start and end and start > end:
            raise InvalidParameter(
                f"datetime={raw!r}: the start is after the end",
                where="datetime",
                msg=msg("error.ogc.datetime_order", value=_cut(raw)),
            )
        return start, end
    if raw == "..":
        raise InvalidParameter(
            "datetime='..' is an open interval without an end",
            where="datetime",
            hint="leave datetime out, or give a date, a date-time or an interval such as ../2024-12-31",
            msg=msg("error.ogc.datetime_open", value=".."),
        )
    t = _instant(raw)
    return t, t
