"""The language of an API answer: the ``lang`` query parameter, else ``Accept-Language``, else zh.

Routes that answer with domain messages (checks, recommendations, 标准地 sheets, job messages,
errors) render them in this language (:func:`app.i18n.render_value`); nothing else depends on it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from app.i18n import negotiate

Lang = Literal["zh", "en"]


def request_lang(request: Request) -> str:
    """Return the language of a request: ``?lang=zh|en`` if given, else its ``Accept-Language``
    header (zh when neither names a language we have)."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    return negotiate(request.headers.get("accept-language"))


def _lang_dep(
    request: Request,
    lang: Annotated[Lang | None, Query(description="zh or en (default: Accept-Language, else zh)")] = None,
) -> str:
    return lang or request_lang(request)


#: A route parameter: the language of the answer (query ``lang``, else ``Accept-Language``).
LangDep = Annotated[str, Depends(_lang_dep)]
