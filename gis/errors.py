"""Domain errors raised by ``gis/`` and ``scoring/``.

Each error's message says what is wrong, where (file, row, field) and what to do. The web and
CLI layers map these classes to HTTP statuses and exit codes in one table each
(``app/errors.py``); nothing below ``app/`` knows about HTTP.
"""

from __future__ import annotations


class ParksiteError(Exception):
    """Base class of every domain error. ``where`` names the file, layer, row or field."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __reduce__(self):
        # Keep message, where, hint and any subclass state across processes (batch workers).
        return (_restore_error, (type(self), self.__dict__.copy()))

    def __str__(self) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}: ")
        parts.append(self.message)
        if self.hint:
            parts.append(f" — {self.hint}")
        return "".join(parts)


def _restore_error(cls: type[ParksiteError], state: dict) -> ParksiteError:
    """Rebuild a pickled domain error without calling its ``__init__``."""
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, str(err))
    return err


class InputFileError(ParksiteError):
    """A file is missing, unreadable, empty or of a format we do not accept."""


class MissingCRSError(ParksiteError):
    """A layer or raster has no coordinate reference system."""


class CRSError(ParksiteError):
    """A CRS is unsuitable for the operation (e.g. geographic where a projected CRS is needed)."""


class SchemaError(ParksiteError):
    """A required column is missing, or a value has the wrong type, is NaN/inf or out of range."""


class GeometryError(ParksiteError):
    """Geometry is of the wrong type, empty, or cannot be repaired."""


class NoOverlapError(ParksiteError):
    """Input features do not overlap the rasters or zone they must be measured against."""


class ConfigError(ParksiteError):
    """A zone configuration file is invalid."""


class NotFoundError(ParksiteError):
    """A named parcel, cluster, zone or project does not exist."""


class LimitExceededError(ParksiteError):
    """An input is larger than the configured limits (file size, raster cells, vertices)."""


class ConflictError(ParksiteError):
    """A write conflicts with the current state (stale version, overlapping cluster)."""
