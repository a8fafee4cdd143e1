"""ETags and 304s for the map's static layers, answered before the route runs.

The parks (``/parks``), the clusters (``/clusters``) and the reference layers (``/layers/{name}``)
change only on an import, an edit, an admission or a score run, all of which move the data
version (:func:`app.db.data_version.data_version`, kept for a second per process and forgotten
on this process's writes: ``ApiState.versions``). A GET of one of them gets
``ETag: "L-<hash>"`` (the data version, the path and query, the language asked for and the
credentials sent) and ``Cache-Control: no-cache``; a request whose ``If-None-Match`` names the
current tag is answered ``304 Not Modified`` without reading or encoding the layer (and, when
the version was read less than a second ago, without any query and off the thread pool). When login is required, a request without credentials is never answered
304 (the route answers it, 401)."""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.etags import matches

#: The static layers, below the API prefix: exact paths, and ``layers/`` as a prefix.
STATIC_PATHS = ("/parks", "/clusters")
STATIC_PREFIXES = ("/layers/",)


def layer_etag(version: str, scope: Scope) -> str:
    """Return the ETag of a static layer response for ``version`` and this request."""
    headers = Headers(scope=scope)
    h = hashlib.sha1()
    for part in (
        version,
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        headers.get("accept-language", ""),
        headers.get("authorization", ""),
        headers.get("cookie", ""),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return f'"L-{h.hexdigest()[:20]}"'


class LayerETags:
    """ASGI middleware: ETag and 304 for GETs of the static layers under ``prefix``."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.exact = {prefix + p for p in STATIC_PATHS}
        self.prefixes = tuple(prefix + p for p in STATIC_PREFIXES)

    def _static(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not self._static(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state.api
        versions = state.versions
        tag = layer_etag(versions.cached() or await run_in_threadpool(versions.read), scope)
        headers = Headers(scope=scope)
        anonymous = not headers.get("authorization") and not headers.get("cookie")
        if matches(headers.get("if-none-match"), tag) and not (state.require_login and anonymous):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", tag.encode()), (b"cache-control", b"no-cache")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                out = MutableHeaders(scope=message)
                out["ETag"] = tag
                out["Cache-Control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, tagged)
