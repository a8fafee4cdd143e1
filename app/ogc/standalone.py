"""A stand-alone application serving only the feature service and the exports.

``uvicorn --factory app.ogc.standalone:create_ogc_app`` serves ``/ogc`` and
``/api/v1/exports/{kind}`` from the settings' database (``PARKSITE_DATABASE_URL``), with the
vendored front-end files under ``/static`` for the HTML pages. It has no sign-in, so the exports
(enterprises' figures, project verdicts) are served only when ``PARKSITE_PUBLIC_READS`` names
them (``exports`` or ``all``). ``PARKSITE_OGC_MAX_LIMIT`` and
``PARKSITE_OGC_DEFAULT_LIMIT`` set the page sizes (defaults 1000 and 100). The full application
(``app.api``) mounts the same routers; this factory is for a read-only map server and tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.db.engine import make_engine, session_factory
from app.ogc import mount
from app.ogc.params import DEFAULT_LIMIT, MAX_LIMIT
from app.settings import get_settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_ogc_app() -> FastAPI:
    """Return a FastAPI app with the OGC API – Features service and the exports."""
    app = FastAPI(title="parksite OGC API – Features", docs_url=None, redoc_url=None)
    settings = get_settings()
    app.state.session_factory = session_factory(make_engine(settings.resolved_database_url()))
    max_limit = int(os.environ.get("PARKSITE_OGC_MAX_LIMIT", MAX_LIMIT))
    default_limit = min(int(os.environ.get("PARKSITE_OGC_DEFAULT_LIMIT", DEFAULT_LIMIT)), max_limit)
    exports = "exports" in settings.public_reads and not settings.require_login
    mount(app, default_limit=default_limit, max_limit=max_limit, exports=exports)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
