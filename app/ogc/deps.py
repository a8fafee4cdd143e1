"""The database session of a request, and the zone the service publishes.

The default session dependency uses the application's session factory — ``app.state.session_factory``
(a ``sessionmaker``) or ``app.state.api.factory`` (``app.api.create_app``) — when the application
provides one, else one engine built once from the settings (``PARKSITE_DATABASE_URL``). An application with its own session dependency passes it
to :func:`app.ogc.mount` / :func:`app.ogc.ogc_router` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from app.db.layers import get_zone
from app.db.models import ZoneRow
from app.ogc.source import zone_ids
from app.settings import get_settings
from gis.errors import NotFoundError
from scoring.zone import load_zone

_lock = threading.Lock()
_factory: sessionmaker[Session] | None = None


def _settings_factory() -> sessionmaker[Session]:
    global _factory
    with _lock:
        if _factory is None:
            from app.db.engine import make_engine, session_factory

            _factory = session_factory(make_engine(get_settings().resolved_database_url()))
        return _factory


def default_session(request: Request) -> Iterator[Session]:
    """Yield a session from ``app.state.session_factory`` (or the settings' database); closed after."""
    state = request.app.state
    factory = (
        getattr(state, "session_factory", None)
        or getattr(getattr(state, "api", None), "factory", None)  # app.api.create_app's state
        or _settings_factory()
    )
    with factory() as session:
        yield session


def resolve_zone(session: Session, zone_id: str | None) -> ZoneRow:
    """Return the zone to publish: ``zone_id`` if given, else the only zone in the database,
    else the zone of the settings' zone file. ``NotFoundError`` when there is none."""
    if zone_id:
        return get_zone(session, zone_id)
    ids = zone_ids(session)
    if len(ids) == 1:
        return get_zone(session, ids[0])
    if not ids:
        raise NotFoundError(
            "no zone in the database", hint="import one with `parksite import --sample` or `--zone FILE`"
        )
    wanted = load_zone(get_settings().zone_file).zone.id
    if wanted not in ids:
        raise NotFoundError(
            f"the database holds zones {', '.join(ids)}; which to publish is not set",
            hint="set PARKSITE_ZONE_FILE to the zone's file",
        )
    return get_zone(session, wanted)
