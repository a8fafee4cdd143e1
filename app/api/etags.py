"""Strong ETags ``"<id>-v<version>"`` and ``If-Match`` for optimistic concurrency.

Every write of a cluster or parcel must send ``If-Match`` with the ETag the client read: missing
→ 428 (``PreconditionRequiredError``); ``*`` is refused the same way, because it would overwrite
whatever is there. A tag that is not this entity's current one (another version, another entity,
a weak tag) is passed to the edit functions as a stale version and fails with 412
(``VersionConflictError``, carrying the current version and feature).
"""

from __future__ import annotations

import re

from app.errors import PreconditionRequiredError
from gis.messages import msg

_TAG = re.compile(r'^"(?P<key>.+)-v(?P<version>\d+)"$')


def etag(key: str, version: int) -> str:
    """Return the strong ETag of an entity version, e.g. ``"sc-almg-v3"``."""
    return f'"{key}-v{int(version)}"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in re.findall(r'(?:W/)?"[^"]*"|\*', header)]


def expected_version(if_match: str | None, key: str, *, where: str) -> int:
    """Return the version named by ``If-Match`` for entity ``key`` (0 when no tag names it).

    Raises PreconditionRequiredError (428) when the header is missing, empty or ``*``.
    """
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
