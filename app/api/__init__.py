"""The HTTP API (``/api/v1``), built by :func:`app.api.factory.create_app`.

Modules: ``factory`` (the app, middleware, error handlers), ``deps`` (sessions, the current user,
role guards), ``auth`` (tokens), ``errors`` (the HTTP layer's own errors), ``models`` (pydantic
requests and responses), ``geojson`` (WGS 84 in and out), ``paging``, ``etags``, ``store`` (the
served zone and feature queries), ``features`` and ``history`` (single features and versions),
``scores`` (score runs in the database), ``jobs`` (background batch jobs), ``tiles``
(hillshade/slope XYZ tiles) and the ``routes_*`` routers. Nothing here builds an app, an engine
or a connection at import time.
"""
