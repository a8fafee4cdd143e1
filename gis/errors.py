"""Domain errors raised by ``gis/`` and ``scoring/``.

Each error says what is wrong, where (file, row, field) and what to do, twice: ``message`` and
``hint`` in English for logs (``str(err)``), and ``msg`` — a catalogue message (id + parameters,
:mod:`gis.messages`) that the edge renders in the user's language, saying what is wrong and what
to do. ``where`` is a place (a file, layer, row or field) and is shown as it is. The web and CLI
layers map these classes to HTTP statuses and exit codes in one table each (``app/errors.py``);
nothing below ``app/`` knows about HTTP.
"""

from __future__ import annotations

from gis.messages import Message, msg


class ParksiteError(Exception):
    """Base class of every domain error. ``where`` names the file, layer, row or field.

    ``msg`` is what users read (rendered in their language at the edge); without one, the class's
    generic message (:meth:`user_message`) carries the English text as its detail.
    """

    def __init__(
        self, message: str, *, where: str | None = None, hint: str | None = None, msg: Message | None = None
    ):
        self.message = message
        self.where = where
        self.hint = hint
        self.msg = msg
        super().__init__(self.__str__())

    def user_message(self) -> Message:
        """Return the message users read: ``msg``, else ``error.<ClassName>`` with the English
        text as ``detail`` (for errors raised by code that has no catalogue message yet)."""
        if self.msg is not None:
            return self.msg
        return generic_message(self)

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


def generic_message(err: ParksiteError) -> Message:
    """Return the generic message of an error's class (nearest class with one in
    :data:`GENERIC_IDS`) with its English text as ``detail``."""
    detail = err.message + (f" — {err.hint}" if err.hint else "")
    for cls in type(err).__mro__:
        if cls.__name__ in GENERIC_IDS:
            return msg(GENERIC_IDS[cls.__name__], detail=detail)
    return msg("error.generic", detail=detail)


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


#: The generic message of each error class (used when an error carries no ``msg``).
GENERIC_IDS: dict[str, str] = {
    "InputFileError": "error.generic.input_file",
    "MissingCRSError": "error.generic.missing_crs",
    "CRSError": "error.generic.crs",
    "SchemaError": "error.generic.schema",
    "GeometryError": "error.generic.geometry",
    "NoOverlapError": "error.generic.no_overlap",
    "ConfigError": "error.generic.config",
    "NotFoundError": "error.generic.not_found",
    "LimitExceededError": "error.generic.limit",
    "ConflictError": "error.generic.conflict",
    "ParksiteError": "error.generic",
}
