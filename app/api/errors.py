"""Errors of the HTTP layer, defined with the app's other error classes in :mod:`app.errors`
(their statuses are in :data:`app.errors.ERROR_TABLE`, like all others) and re-exported here."""

from __future__ import annotations

from app.errors import NotAuthenticatedError, PreconditionRequiredError

__all__ = ["NotAuthenticatedError", "PreconditionRequiredError"]
