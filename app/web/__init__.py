"""The web map: HTML pages (Jinja2) and the static files they load, served by the app itself.

:func:`mount` adds ``/`` (the map), ``/jobs`` (batch uploads) and ``/static`` to a FastAPI app.
The pages hold no data: their scripts read everything from the HTTP API (``/api/v1``). Every
script, style, font and icon is under ``/static`` (vendored libraries in ``static/vendor``), so
the map works on an intranet with no internet access; the pages' Content-Security-Policy lets
them load nothing from elsewhere except the optional 天地图 / OpenStreetMap basemap tiles.
"""

from __future__ import annotations

from app.web.pages import STATIC_DIR, TEMPLATES_DIR, mount

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "mount"]
