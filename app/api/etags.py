"""Strong ETags ``"<id>-v<version>"`` and ``If-Match`` for optimistic concurrency.

Every write of a cluster or parcel must send ``If-Match`` with the ETag the client read: missing
→ 428 (``PreconditionRequiredError``); ``*`` is refused the same way, because it would overwrite
whatever is there. A tag that is not this entity's current one (another version, another entity,
a weak tag) is passed to the edit functions as a stale version and fails with 412
(``VersionConflictError``, carrying the current version and feature).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Header, Request

from app.errors import PreconditionRequiredError
from gis.messages import msg

_TAG = re.compile(r'^"(?P<key>.+)-v(?P<version>\d+)"$')


def etag(key: str, version: int) -> str:
    """Return the strong ETag of an entity version, e.g. ``"sc-almg-v3"``."""
    return f'"{key}-v{int(version)}"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in re.findall(r'(?:W/)?"[^"]*"|\*', header)]


def require_if_match(if_match: str | None, *, where: str) -> str:
    """Return the ``If-Match`` value; PreconditionRequiredError (428) when it is missing, empty
    or names no version (``*``)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequiredError(
            "the request has no If-Match header",
            where=where,
            hint="send If-Match with the ETag of the version you edited (GET it first)",
            msg=msg("error.etag.missing"),
        )
    tags = _tags(if_match)
    if tags == ["*"] or not tags:
        raise PreconditionRequiredError(
            f"If-Match {if_match!r} names no version",
            where=where,
            hint='send the ETag you read, e.g. If-Match: "SC-0001-v3"; "*" is not accepted',
            msg=msg("error.etag.unknown", value=if_match),
        )
    return if_match


def if_match_header(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='ETag(s) of the version(s) edited, e.g. "sc-almg-v3"; one tag per cluster '
            "involved (comma-separated or one header each). Missing: 428.",
        ),
    ] = None,
) -> str:
    """Dependency: every ``If-Match`` header of the request joined by commas (HTTP allows one
    header per tag or one list); 428 when there is none.

    The request gate (:mod:`app.api.gate`) makes the same check for a route that depends on
    this before the body is read, so a missing ``If-Match`` is 428 even when the body is bad.
    """
    return require_if_match(", ".join(request.headers.getlist("if-match")), where="If-Match")


#: A route parameter: the request's ``If-Match`` (428 before anything else when missing).
IfMatch = Annotated[str, Depends(if_match_header)]


def tag_versions(if_match: str | None, extra: Mapping[str, str] | None = None) -> dict[str, int]:
    """Return ``{entity id: version}`` named by the strong ETags of ``If-Match`` and of ``extra``
    (a body's map ``id → ETag``; a bare version number is taken as well). Tags that are not
    ``"<id>-v<n>"`` are left out; the header wins over the map for the same id."""
    found: dict[str, int] = {}
    for key, value in (extra or {}).items():
        text = str(value).strip()
        if text.isdigit():
            found[str(key)] = int(text)
            continue
        m = _TAG.match(text)
        if m and m.group("key") == str(key):
            found[str(key)] = int(m.group("version"))
    for tag in _tags(if_match or ""):
        m = _TAG.match(tag)
        if m:
            found[m.group("key")] = int(m.group("version"))
    return found


def expected_version(if_match: str | None, key: str, *, where: str) -> int:
    """Return the version named by ``If-Match`` for entity ``key`` (0 when no tag names it).

    Raises PreconditionRequiredError (428) when the header is missing, empty or ``*``.
    """
    tags = _tags(require_if_match(if_match, where=where))
    for tag in tags:
        m = _TAG.match(tag)  # weak tags (W/"…") never match: If-Match compares strongly
        if m and m.group("key") == key:
            return int(m.group("version"))
    return 0


def matches(if_none_match: str | None, current: str) -> bool:
    """Return whether ``If-None-Match`` names ``current`` (weak comparison, ``*`` matches)."""
    if not if_none_match:
        return False
    return any(t == "*" or t.removeprefix("W/") == current for t in _tags(if_none_match))
