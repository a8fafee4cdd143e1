"""The one shape of an error answer over HTTP, for the API (``/api/v1``), the exports and the
OGC feature service (``/ogc``).

Every error is a JSON object ``{"error", "message", "where", "hint"}``:

* ``error`` — the error's type (``NotFoundError``, ``InvalidParameterError``, ``SchemaError`` …);
* ``message`` — what is wrong and what to do, in the request's language when the error carries
  a catalogue message (then ``message_zh`` and ``message_en`` give both languages and ``hint``
  is null), else the English text;
* ``where`` — the field, parameter, file or row, or null; ``hint`` — what to do (English), or null.

Errors may add members: ``errors`` (request validation: one item per offending field, each with
``loc``, ``in``, ``field``, ``type`` and ``message`` in the request's language), ``reason``,
``retry_after``, ``problem``, ``repair``, ``current_version`` … (see :mod:`app.api.factory`).
The OGC service adds ``code`` and ``description`` (its exception document) to the same object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from app.i18n import DEFAULT_LANG, render, render_value
from gis.errors import ParksiteError
from gis.messages import Message, msg

__all__ = ["base_error_body", "domain_error_response", "http_error_body"]


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON data (non-finite floats → None, unknown objects → text)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def base_error_body(exc: ParksiteError, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Return the JSON body of a domain error in ``lang``: ``error``, ``message``, ``where``,
    ``hint`` (and ``message_zh``/``message_en`` for a catalogue message), plus the ``details``
    the raiser attached (messages in them rendered in ``lang``)."""
    if exc.msg is not None:
        body: dict[str, Any] = {
            "error": type(exc).__name__,
            "message": render(exc.msg, lang),
            "where": exc.where,
            "hint": None,
            "message_zh": render(exc.msg, "zh"),
            "message_en": render(exc.msg, "en"),
        }
    else:
        body = {"error": type(exc).__name__, "message": exc.message, "where": exc.where, "hint": exc.hint}
    details = getattr(exc, "details", None)
    if isinstance(details, dict):
        body |= _plain(render_value(details, lang))
    return body


#: The ``error`` member and message of HTTP errors the framework raises (no route, wrong method).
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    404: ("NotFoundError", "error.http.not_found"),
    405: ("MethodNotAllowed", "error.http.method_not_allowed"),
}


def http_error_body(status: int, detail: Any, where: str | None, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Return the body of an error the framework raised (a Starlette ``HTTPException``: no such
    path, method not allowed …) in the same shape as domain errors, in ``lang``."""
    import http

    name, mid = _HTTP_ERRORS.get(status, ("HTTPError", "error.http.other"))
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    text = detail if isinstance(detail, str) else phrase
    message: Message = msg(mid, where=where or "", status=status, detail=text)
    return {
        "error": name,
        "message": render(message, lang),
        "where": where,
        "hint": None,
        "message_zh": render(message, "zh"),
        "message_en": render(message, "en"),
    }


async def domain_error_response(request: Any, exc: Exception) -> Any:
    """Exception handler of an application without the API's own (``app.ogc.mount`` adds it to
    such an app, e.g. ``app.ogc.standalone``): a domain error → its status (``app/errors.py``)
    and :func:`base_error_body`, in the language of ``?lang=`` or ``Accept-Language``."""
    from fastapi.responses import JSONResponse

    from app.errors import http_status_for
    from app.i18n import negotiate

    assert isinstance(exc, ParksiteError)
    asked = request.query_params.get("lang")
    lang = asked if asked in ("zh", "en") else negotiate(request.headers.get("accept-language"))
    return JSONResponse(base_error_body(exc, lang), status_code=http_status_for(exc))
