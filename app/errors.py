"""The app's own error classes, and the one table that maps domain errors to HTTP statuses and
CLI exit codes.

This module imports only :mod:`gis.errors`, so every CLI command can use the table without
loading the database or web layers. :mod:`app.db` and :mod:`app.api` raise the classes defined
here (``app.db.edits.VersionConflictError`` and the like are the same classes, re-exported).
"""

from __future__ import annotations

from typing import Any

from gis import errors as e
from gis.messages import Message


class VersionConflictError(e.ConflictError):
    """The entity changed since ``expected_version`` (HTTP 412); carries its current version and
    state (``current_state``: attributes and ``geometry_wkt``, None when it was deleted)."""

    def __init__(
        self,
        message: str,
        *,
        entity: str,
        entity_id: int,
        expected_version: int,
        current_version: int | None,
        current_state: dict[str, Any] | None,
        where: str | None = None,
        hint: str | None = None,
        msg: Message | None = None,
    ):
        self.entity = entity
        self.entity_id = entity_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.current_state = current_state
        super().__init__(message, where=where, hint=hint, msg=msg)


class ClusterGeometryError(e.GeometryError):
    """A cluster outline extends outside its park or overlaps another cluster (HTTP 422).

    ``kind`` is ``"outside_park"`` or ``"overlap"``; ``park`` / ``cluster`` names the park left
    or the cluster overlapped; ``area_m2`` is the offending area (m²) and ``geometry`` the
    offending part (a shapely geometry in ``crs``, the zone CRS).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        area_m2: float,
        geometry: Any,
        crs: str,
        park: str | None = None,
        cluster: str | None = None,
        where: str | None = None,
        hint: str | None = None,
        msg: Message | None = None,
    ):
        self.kind = kind
        self.area_m2 = area_m2
        self.geometry = geometry
        self.crs = crs
        self.park = park
        self.cluster = cluster
        super().__init__(message, where=where, hint=hint, msg=msg)


class OutlineRepairError(e.GeometryError):
    """An invalid outline (a bow-tie, a ring crossing itself) whose repair would change its area
    by more than the tolerance (HTTP 422): it is not saved. ``repaired`` is the repaired outline
    (a shapely geometry in ``crs``, the zone CRS), offered to the user to accept by sending it;
    ``drawn_m2`` and ``repaired_m2`` are the areas (m²) as drawn and as repaired; ``msg`` the
    message users read."""

    def __init__(
        self,
        message: str,
        *,
        repaired: Any,
        crs: str,
        drawn_m2: float,
        repaired_m2: float,
        msg: Message,
        where: str | None = None,
        hint: str | None = None,
    ):
        self.repaired = repaired
        self.crs = crs
        self.drawn_m2 = drawn_m2
        self.repaired_m2 = repaired_m2
        super().__init__(message, where=where, hint=hint, msg=msg)


class AdmissionRefusedError(e.ConflictError):
    """A project cannot be admitted (准入登记) or its admission revoked as asked (HTTP 409).

    ``code`` says why (``check_failed``, ``reason_required``, ``not_checked``, ``not_vacant``,
    ``parcel_taken``, ``capacity``, ``already_admitted``, ``not_admitted``, ``mixed_parks``);
    ``msg`` is the message users read. The error body has the code as ``reason`` and, besides
    ``message`` in the request's language, ``message_zh`` and ``message_en``.
    """

    def __init__(
        self, message: str, *, code: str, msg: Message, where: str | None = None, hint: str | None = None
    ):
        self.code = code
        self.details = {"reason": code}
        super().__init__(message, where=where, hint=hint, msg=msg)


class BadTileError(e.ParksiteError):
    """A tile address outside the pyramid or a layer that is not tiled (HTTP 400)."""


class PermissionDeniedError(e.ParksiteError):
    """The user's role does not allow the action (HTTP 403)."""


class NotAuthenticatedError(e.ParksiteError):
    """No valid token: anonymous write, expired or forged token, wrong password (HTTP 401)."""


class PreconditionRequiredError(e.ParksiteError):
    """A write without ``If-Match``: the client must say which version it changes (HTTP 428)."""


class InvalidParameterError(e.ParksiteError):
    """A path, query or header parameter is missing, malformed or out of its range (HTTP 400):
    ids and paging numbers beyond their bounds, an unknown encoding, an unknown enum value.
    ``details`` may carry ``errors``, one item per offending field."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        msg: Message | None = None,
        details: dict[str, Any] | None = None,
    ):
        if details is not None:
            self.details = details
        super().__init__(message, where=where, hint=hint, msg=msg)


class InvalidBodyError(e.SchemaError):
    """A request body is not valid JSON or does not match its schema (HTTP 422): wrong types,
    unknown fields, values out of range. ``details`` carries ``errors``, one item per field."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        msg: Message | None = None,
        details: dict[str, Any] | None = None,
    ):
        if details is not None:
            self.details = details
        super().__init__(message, where=where, hint=hint, msg=msg)


class LoginThrottledError(e.ParksiteError):
    """Too many failed logins for a user name or from a client address (HTTP 429): the attempt
    is refused without checking the password. ``retry_after`` is the wait in whole seconds (the
    ``Retry-After`` header); ``details`` adds it to the error body; ``msg`` is the message users
    read (the body gives it in the request's language and in ``message_zh``/``message_en``)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        msg: Message,
        where: str | None = None,
        hint: str | None = None,
    ):
        self.retry_after = retry_after
        self.details = {"retry_after": retry_after}
        super().__init__(message, where=where, hint=hint, msg=msg)


#: Domain error class → (HTTP status, CLI exit code). The most specific class wins.
ERROR_TABLE: dict[type[e.ParksiteError], tuple[int, int]] = {
    e.NotFoundError: (404, 3),
    InvalidParameterError: (400, 2),  # a path/query parameter malformed or out of range
    InvalidBodyError: (422, 5),  # a request body not matching its schema
    e.InputFileError: (400, 2),
    BadTileError: (400, 2),
    e.MissingCRSError: (422, 4),
    e.CRSError: (422, 4),
    e.SchemaError: (422, 5),
    ClusterGeometryError: (422, 6),  # outside its park / overlapping a cluster
    OutlineRepairError: (422, 6),  # invalid outline whose repair changes its area
    e.GeometryError: (422, 6),
    e.NoOverlapError: (422, 7),
    e.ConfigError: (422, 8),
    e.LimitExceededError: (413, 9),
    VersionConflictError: (412, 10),  # stale If-Match / expected version
    AdmissionRefusedError: (409, 10),  # project admission refused (check failed, parcel taken, …)
    e.ConflictError: (409, 10),
    NotAuthenticatedError: (401, 12),
    PermissionDeniedError: (403, 11),
    PreconditionRequiredError: (428, 13),
    LoginThrottledError: (429, 14),  # too many failed logins: wait Retry-After seconds
    e.ParksiteError: (400, 1),
}


def _lookup(exc: e.ParksiteError) -> tuple[int, int]:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return (500, 1)


def http_status_for(exc: e.ParksiteError) -> int:
    """Return the HTTP status for a domain error."""
    return _lookup(exc)[0]


def exit_code_for(exc: e.ParksiteError) -> int:
    """Return the CLI exit code for a domain error (never 0)."""
    return _lookup(exc)[1]
