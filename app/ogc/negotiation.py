"""Choosing the encoding of a response: ``f=json|html`` first, else the ``Accept`` header.

Browsers (``text/html`` first) get HTML; GDAL/QGIS (``application/geo+json, application/json``)
and anything that accepts ``*/*`` get JSON. An unknown ``f`` is a 400 naming the allowed values.
"""

from __future__ import annotations

from starlette.requests import Request

from app.ogc.params import InvalidParameter
from gis.messages import joined, msg

JSON = "json"
HTML = "html"

_F = {
    "json": JSON,
    "geojson": JSON,
    "application/json": JSON,
    "application/geo+json": JSON,
    "html": HTML,
    "text/html": HTML,
}
_ACCEPT_JSON = (
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json",
    "application/*",
    "*/*",
)
_ACCEPT_HTML = ("text/html", "application/xhtml+xml", "text/*")


def _accept(header: str) -> list[tuple[str, float]]:
    """Return the media ranges of an Accept header with their q values, best first."""
    out = []
    for i, part in enumerate(header.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for p in params:
            k, _, v = p.partition("=")
            if k.strip() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        out.append((media.lower(), q, i))
    return [(m, q) for m, q, _ in sorted(out, key=lambda t: (-t[1], t[2])) if q > 0]


def _refuse_format(f: str, allowed: tuple[str, ...]) -> InvalidParameter:
    shown = ", ".join(allowed)
    return InvalidParameter(
        f"f={f!r} is not an encoding of this resource: the allowed values are {shown}",
        where="f",
        hint=f"use f={' or f='.join(allowed)}",
        msg=msg("error.ogc.format", value=f, allowed=joined(list(allowed))),
    )


def require_json(request: Request) -> None:
    """Refuse an ``f`` other than ``json`` (400) for a resource that has only a JSON encoding
    (a collection's JSON Schema)."""
    f = request.query_params.get("f")
    if f is not None and _F.get(f.strip().lower()) != JSON:
        raise _refuse_format(f, ("json",))


def negotiate(request: Request) -> str:
    """Return ``"json"`` or ``"html"`` for the request (``f`` wins over ``Accept``)."""
    f = request.query_params.get("f")
    if f is not None:
        try:
            return _F[f.strip().lower()]
        except KeyError:
            raise _refuse_format(f, (JSON, HTML)) from None
    header = request.headers.get("accept")
    if not header:
        return JSON
    for media, _ in _accept(header):
        base = media.split(";")[0]
        if base in _ACCEPT_HTML:
            return HTML
        if base in _ACCEPT_JSON or base.endswith("+json"):
            return JSON
    return JSON
