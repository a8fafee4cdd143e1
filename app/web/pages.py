"""Page routes (``/``, ``/jobs``, ``/dashboard``, ``/import``, ``/supervision``) and the ``/static`` mount of the web map."""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.staticfiles import PathLike
from starlette.types import Scope

from app.api.compression import MINIMUM_SIZE, accepts_gzip, compressible
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


class GzippedFiles:
    """The gzipped bytes of files, made once per version of a file (its path, modification time
    and size) and kept in memory, so that the map's scripts are never compressed twice. Bounded
    by the files served: the static folder is about 3 MB, its gzipped copies well under half."""

    def __init__(self, compresslevel: int = 9) -> None:
        self.compresslevel = compresslevel  # made once per file: the best zlib does
        self._files: dict[str, tuple[int, int, bytes]] = {}
        self._lock = threading.Lock()
        self.made = 0  # files compressed so far (each version of a file counts once)

    def cached(self, path: str, stat: os.stat_result) -> bytes | None:
        """Return the gzipped bytes of ``path`` as of ``stat`` if they were made, else None."""
        with self._lock:
            kept = self._files.get(path)
        if kept is not None and kept[:2] == (stat.st_mtime_ns, stat.st_size):
            return kept[2]
        return None

    def make(self, path: str, stat: os.stat_result) -> bytes | None:
        """Return the gzipped bytes of ``path`` as of ``stat``, compressing the file (blocking:
        call it on a worker thread); None when the file changed since ``stat`` was taken."""
        data = Path(path).read_bytes()
        if len(data) != stat.st_size or os.stat(path).st_mtime_ns != stat.st_mtime_ns:
            return None  # changed meanwhile: the caller sends the file as it is now, plain
        body = gzip.compress(data, compresslevel=self.compresslevel, mtime=0)
        with self._lock:
            self._files[path] = (stat.st_mtime_ns, stat.st_size, body)
            self.made += 1
        return body


class VersionedStatic(StaticFiles):
    """``/static``: files asked for with the current ``?v=<asset version>`` (the pages'
    ``static()`` URLs) are cached by browsers for a year (``immutable``): a new version is a new
    URL. Others (no or an old ``v``) are revalidated (``no-cache``; the ETag and 304 are
    Starlette's, from the file's size and time). A GET that accepts gzip gets a compressible
    file's gzipped copy from :class:`GzippedFiles` (compressed once, on a worker thread; its
    ETag gets the gzip suffix in :class:`app.api.compression.GzipResponses`); HEAD and ranges get
    the file as it is."""

    def __init__(self, *, directory: str, version: str) -> None:
        super().__init__(directory=directory)
        self.version = version
        self.gzipped = GzippedFiles()

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Return the file's response (Starlette's), or its gzipped copy when the client takes it."""
        response = await super().get_response(path, scope)
        if (
            not isinstance(response, FileResponse)
            or response.status_code != 200
            or response.stat_result is None
        ):
            return response
        asked = Headers(scope=scope)
        stat = response.stat_result
        if (
            scope["method"] != "GET"
            or "range" in asked
            or not accepts_gzip(asked.get("accept-encoding"))
            or stat.st_size < MINIMUM_SIZE
            or not compressible(response.media_type)
        ):
            return response
        file = os.fspath(response.path)
        body = self.gzipped.cached(file, stat) or await run_in_threadpool(self.gzipped.make, file, stat)
        if body is None:
            return response
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "accept-ranges")}
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(body, status_code=200, headers=headers)

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
