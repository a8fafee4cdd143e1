"""Request validation errors in the API's one error shape, in the request's language.

FastAPI checks path, query and header parameters and JSON bodies against the route's types and
bounds before the route runs. Its errors become a domain error here:

* a parameter (path, query, header) missing, malformed or out of range →
  :class:`app.errors.InvalidParameterError`, HTTP 400 (ids and paging numbers beyond their bounds
  are refused here, before any database sees them);
* a body that is not JSON or does not match its schema → :class:`app.errors.InvalidBodyError`,
  HTTP 422.

The body is ``{error, message, where, hint, message_zh, message_en, errors}``: ``message`` names
the first offending field and what is wrong with it, ``where`` is ``"<in>: <field>"``, and
``errors`` has one item per field: ``{loc, in, field, type, message}`` (``type`` is pydantic's
error type, ``message`` in the request's language). Texts are catalogue messages
(``error.request.*`` in ``app/locale/<lang>/app.po``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.errors import InvalidBodyError, InvalidParameterError
from gis.errors import ParksiteError
from gis.messages import Message, joined, msg

#: pydantic error type → (catalogue id, the ``ctx`` key its text names as ``limit``).
_IDS: dict[str, tuple[str, str | None]] = {
    "missing": ("error.request.missing", None),
    "int_parsing": ("error.request.integer", None),
    "int_type": ("error.request.integer", None),
    "int_from_float": ("error.request.integer", None),
    "float_parsing": ("error.request.number", None),
    "float_type": ("error.request.number", None),
    "finite_number": ("error.request.number", None),
    "bool_parsing": ("error.request.boolean", None),
    "bool_type": ("error.request.boolean", None),
    "string_type": ("error.request.string", None),
    "greater_than_equal": ("error.request.at_least", "ge"),
    "greater_than": ("error.request.above", "gt"),
    "less_than_equal": ("error.request.at_most", "le"),
    "less_than": ("error.request.below", "lt"),
    "string_too_short": ("error.request.too_short", "min_length"),
    "string_too_long": ("error.request.too_long", "max_length"),
    "too_short": ("error.request.few_items", "min_length"),
    "too_long": ("error.request.many_items", "max_length"),
    "string_pattern_mismatch": ("error.request.pattern", "pattern"),
    "literal_error": ("error.request.one_of", "expected"),
    "enum": ("error.request.one_of", "expected"),
    "extra_forbidden": ("error.request.unknown_field", None),
    "json_invalid": ("error.request.json", None),
    "dict_type": ("error.request.object", None),
    "model_attributes_type": ("error.request.object", None),
    "model_type": ("error.request.object", None),
    "list_type": ("error.request.list", None),
}

#: Where a parameter is, as the messages name it.
_WHERE = {"path": "path", "query": "query", "header": "header", "cookie": "cookie", "body": "body"}


def _shown(value: Any, limit: int = 60) -> str:
    """Return a short text of what was sent (long values cut with …)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item(error: dict[str, Any]) -> dict[str, Any]:
    """Return one item of ``errors``: where the field is, its name, the type and the message."""
    loc = [str(p) for p in error.get("loc", ())]
    where = _WHERE.get(loc[0], loc[0]) if loc else "body"
    field = ".".join(loc[1:]) or where
    kind = str(error.get("type", ""))
    mid, key = _IDS.get(kind, ("error.request.other", None))
    ctx = error.get("ctx") or {}
    limit = ctx.get(key) if key else None
    shown: Any = _shown(limit, 200) if limit is not None else ""
    if key == "expected" and isinstance(limit, str) and re.findall(r"'([^']*)'", limit):
        shown = joined(re.findall(r"'([^']*)'", limit))  # "'a', 'b' or 'c'" → a、b、c / a, b, c
    message: Message = msg(
        mid,
        field=field,
        value=_shown(error.get("input")),
        limit=shown,
        detail=str(error.get("msg", "")),
    )
    return {"loc": loc, "in": where, "field": field, "type": kind, "message": message}


def request_error(errors: Sequence[dict[str, Any]]) -> ParksiteError:
    """Return the domain error of FastAPI's validation ``errors``: 400 for parameters, 422 when
    every error is in the body."""
    items = [_item(dict(e)) for e in errors] or [
        {
            "loc": [],
            "in": "body",
            "field": "body",
            "type": "",
            "message": msg("error.request.json", detail=""),
        }
    ]
    first = items[0]
    where = f"{first['in']}: {first['field']}"
    text = f"{where}: {errors[0].get('msg', 'invalid') if errors else 'invalid'}"
    more = len(items) - 1
    message = msg("error.request.head", first=first["message"], more=more) if more else first["message"]
    details = {"errors": items}
    if all(i["in"] == "body" for i in items):
        return InvalidBodyError(text, where=where, msg=message, details=details)
    return InvalidParameterError(text, where=where, msg=message, details=details)
