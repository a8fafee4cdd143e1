"""Checks on a database URL made before anything connects, and the error for an unusable database.

Kept apart from :mod:`app.db.probe` (which connects, and so imports :mod:`app.db.engine`) so that
the engine factory can refuse a SQLite path whose folder does not exist without an import cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gis.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

#: What to say about the URL setting in hints.
URL_SETTING = "PARKSITE_DATABASE_URL (or --database-url)"


class DatabaseUnavailableError(ConfigError):
    """The database cannot be used: a missing folder or database, a server that does not answer,
    a refused login, or PostgreSQL without PostGIS (CLI exit code 8, like other setup errors)."""


def shown_url(url: str | URL) -> str:
    """Return ``url`` as text with its password hidden (``***``)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def check_sqlite_location(url: str) -> None:
    """Raise ``DatabaseUnavailableError`` unless a SQLite URL's file can be created or opened.

    In-memory and ``file:`` URLs are not checked. The folder must exist already: a typo in the
    path (``sqlite:////nonexistent/dir/x.sqlite``) is refused, not created.
    """
    from sqlalchemy.engine import make_url

    db = make_url(url).database
    if not db or db == ":memory:" or db.startswith("file:"):
        return
    path = Path(db).expanduser()
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise DatabaseUnavailableError(
            f"the folder {folder} of the SpatiaLite database file {path.name} does not exist",
            where=shown_url(url),
            hint=f"create it first (mkdir -p {folder}) or give another path in {URL_SETTING}",
        )
    if path.is_dir():
        raise DatabaseUnavailableError(
            f"{path} is a folder, not a SpatiaLite database file",
            where=shown_url(url),
            hint=f"name a file, e.g. sqlite:///{path / 'parksite.sqlite'}, in {URL_SETTING}",
        )
