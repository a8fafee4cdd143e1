"""Page routes (``/``, ``/jobs``, ``/dashboard``, ``/import``, ``/supervision``) and the ``/static`` mount of the web map."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import PathLike
from starlette.types import Scope

from app.i18n import LANGS
from app.web.texts import catalogue_digest, web_catalog_json

#: Where the pages' templates and static files live (inside the package, so they install with it).
WEB_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = WEB_DIR / "templates"
STATIC_DIR: Final = WEB_DIR.parent / "static"

#: Optional basemaps the user may switch on (off by default); the only hosts a page may load from
#: besides itself. Keep in step with ``static/js/basemaps.js``.
BASEMAP_IMG_SOURCES: Final = ("https://*.tianditu.gov.cn", "https://tile.openstreetmap.org")

#: Content-Security-Policy of the pages: scripts, styles, fonts and API calls from this server only.
CSP: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Leaflet, Chart.js and Bootstrap position elements with style attributes.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: " + " ".join(BASEMAP_IMG_SOURCES),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


def asset_version(static_dir: Path = STATIC_DIR) -> str:
    """Return a short hash of the project's own scripts, styles and texts (for cache busting),
    sub-folders included (e.g. ``js/clusters/``)."""
    h = hashlib.sha1()
    for sub in ("js", "css"):
        for p in sorted((static_dir / sub).rglob("*")):
            if p.is_file():
                h.update(p.relative_to(static_dir).as_posix().encode())
                h.update(p.read_bytes())
    h.update(catalogue_digest())
    return h.hexdigest()[:10]


class VersionedStatic(StaticFiles):
    """``/static``: files asked for with the current ``?v=<asset version>`` (the pages'
    ``static()`` URLs) are cached by browsers for a year (``immutable``): a new version is a new
    URL. Others (no or an old ``v``) are revalidated (``no-cache``; the ETag and 304 are
    Starlette's, from the file's size and time)."""

    def __init__(self, *, directory: str, version: str) -> None:
        super().__init__(directory=directory)
        self.version = version

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        query = scope.get("query_string", b"").decode("latin-1")
        current = f"v={self.version}" in query.split("&")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "no-cache"
        return response


def _page(templates: Jinja2Templates, version: str, request: Request, name: str, page: str) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    response = templates.TemplateResponse(
        request,
        name,
        {
            "root": root,
            "api": f"{root}/api/v1",
            "texts": f"{root}/i18n",
            "page": page,
            "version": version,
            "static": lambda path: f"{root}/static/{path}?v={version}",
        },
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def mount(app: FastAPI) -> None:
    """Add the map page (``/``), the batch-job page (``/jobs``), the import page (``/import``),
    the supervision list (``/supervision``), their texts (``/i18n/{lang}.json``) and ``/static``
    to ``app``.

    The pages talk to the API under ``/api/v1`` from the browser; nothing here reads the database.
    """
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    version = asset_version()

    app.mount("/static", VersionedStatic(directory=str(STATIC_DIR), version=version), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def map_page(request: Request) -> HTMLResponse:
        return _page(templates, version, request, "map.html", "map")

    @app.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
    def jobs_page(request: Request) -> HTMLResponse:
        return _page(templates, version, request, "jobs.html", "jobs")

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def dashboard_page(request: Request) -> HTMLResponse:
        return _page(templates, version, request, "dashboard.html", "dashboard")

    @app.get("/import", response_class=HTMLResponse, include_in_schema=False)
    def import_page(request: Request) -> HTMLResponse:
        return _page(templates, version, request, "import.html", "import")

    @app.get("/supervision", response_class=HTMLResponse, include_in_schema=False)
    def supervision_page(request: Request) -> HTMLResponse:
        return _page(templates, version, request, "supervision.html", "supervision")

    @app.get("/i18n/{lang}.json", include_in_schema=False)
    def texts(lang: str, request: Request) -> Response:
        """The web's message catalogue in one language (``{id: text}``), revalidated by ETag."""
        if lang not in LANGS:
            return Response(status_code=404)
        body, etag = web_catalog_json(lang)
        headers = {"ETag": etag, "Cache-Control": "no-cache", "Content-Language": lang}
        asked = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
        if etag in asked or "*" in asked:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response((STATIC_DIR / "img" / "favicon.svg").read_bytes(), media_type="image/svg+xml")
