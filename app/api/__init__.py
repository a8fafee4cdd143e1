"""The HTTP API (``/api/v1``), built by :func:`app.api.factory.create_app`.

Modules: ``factory`` (the app, middleware, error handlers), ``deps`` (sessions, the current user,
role guards), ``auth`` (log in, ``/me``; tokens and passwords are :mod:`app.security`), ``errors`` (the HTTP layer's own errors), ``models`` (pydantic
requests and responses), ``geojson`` (WGS 84 in and out), ``paging``, ``etags``, ``store`` (the
served zone and feature queries), ``features`` and ``history`` (single features and versions),
``scores`` (score runs in the database), ``jobs`` (background batch jobs), ``tiles``
(hillshade/slope XYZ tiles) and the ``routes_*`` routers. Routers stay thin: they parse the
request, call :mod:`app.db` functions (no SQL of their own) and shape the response. Nothing here
builds an app, an engine or a connection at import time.
"""
