"""Gzip for the app's responses, large bodies compressed off the event loop, and ETags that
name the encoding.

The compressing itself is Starlette's ``GZipMiddleware``: bodies of at least ``minimum_size``
bytes, not already encoded (``Content-Encoding`` set), not a 206 and not an image, font, archive
or event stream (its excluded types: PNG tiles stay as they are; MVT tiles are gzipped, a
protobuf of repeated keys and small integers halves); ``Vary: Accept-Encoding`` and
``Content-Length`` rewritten; a streamed body compressed chunk by chunk (sync-flushed). A chunk
of ``thread_minimum_size`` bytes or more is compressed on a worker thread (its own limiter, not
the routes' thread pool), smaller ones inline, where the hop to a thread would cost more than
the compressing (:data:`THREAD_MINIMUM_SIZE`, measured in ``docs/benchmarks.md``).

:class:`GzipResponses` wraps it with what it lacks:

* ``Accept-Encoding`` is read by its rules: ``gzip;q=0`` refuses gzip, ``*`` accepts it (the
  inner app then sees ``Accept-Encoding: gzip`` or ``identity``, nothing else).
* A strong ETag of a gzipped body is made ``"<tag>-gzip"`` (RFC 9110: a strong validator is
  unique across a resource's representations, and the gzipped bytes are another one than the
  plain bytes, which ranges and shared caches rely on); weak tags stay. ``If-None-Match``
  (when the client accepts gzip) and ``If-Match`` have the suffix taken off before the app sees
  them, so every route keeps comparing its own tags: a parcel's ``"SC-0001-v3-gzip"`` sent back
  as ``If-Match`` is version 3, a static layer's or file's 304 still answers before any work.
  A 304 answering a suffixed tag carries the suffixed tag (the client's stored variant), and
  every 304 carries ``Vary: Accept-Encoding`` like the 200 it stands for. ``If-Range`` keeps its
  suffix: a range of the plain file never extends a gzipped copy.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "COMPRESSLEVEL",
    "MINIMUM_SIZE",
    "SUFFIX",
    "THREAD_MINIMUM_SIZE",
    "GzipResponses",
    "accepts_gzip",
    "compressible",
    "encoded_tag",
]

#: Bodies below this many bytes are sent as they are (gzip's header alone is 18 bytes and the
#: gain on a few hundred bytes is lost in the packet).
MINIMUM_SIZE = 1024
#: A body chunk of this many bytes or more is compressed on a worker thread. Measured on this
#: 2-core machine (benchmarks/bench_gzip.py, docs/benchmarks.md): at 32 KiB eight bodies at once
#: keep the event loop waiting as long on threads as inline (0.34 ms of zlib per body, 0.1 ms per
#: hop); at 64 KiB the two are even, from 128 KiB on threads win by 5×. 64 KiB is also the chunk
#: size of a streamed file (``FileResponse``): each full chunk of a streamed export goes to a thread.
THREAD_MINIMUM_SIZE = 64 * 1024
#: zlib level for responses made on each request (6: zlib's default, most of level 9's gain).
COMPRESSLEVEL = 6
#: What a strong ETag of a gzipped body ends with, inside its quotes.
SUFFIX = "-gzip"

_TAG = re.compile(r'(W/)?"([^"]*)"')
_GZIP = (b"gzip", b"x-gzip")


def accepts_gzip(accept_encoding: str | bytes | None) -> bool:
    """Return whether an ``Accept-Encoding`` value accepts gzip: ``gzip`` (or ``x-gzip``) with
    a q-value above 0, else ``*`` with one (an explicit entry for gzip wins over ``*``)."""
    if not accept_encoding:
        return False
    raw = accept_encoding.encode("latin-1") if isinstance(accept_encoding, str) else accept_encoding
    star: bool | None = None
    for item in raw.lower().split(b","):
        coding, _, params = item.partition(b";")
        coding = coding.strip()
        if coding not in _GZIP and coding != b"*":
            continue
        q = 1.0
        for param in params.split(b";"):
            name, _, value = param.partition(b"=")
            if name.strip() == b"q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0  # a malformed weight: read as "not acceptable", the cautious side
        if coding in _GZIP:
            return q > 0
        star = q > 0
    return bool(star)


def compressible(media_type: str | None) -> bool:
    """Return whether a body of ``media_type`` is worth gzipping: not one of the types the
    middleware leaves alone (images but SVG, fonts, archives, audio, video, event streams)."""
    kind = (media_type or "").partition(";")[0].strip().lower()
    return not {kind, kind.partition("/")[0] + "/*"} & set(DEFAULT_EXCLUDED_CONTENT_TYPES)


def encoded_tag(tag: str) -> str:
    """Return the ETag of the gzipped body of a response tagged ``tag``: a strong tag
    ``"x"`` becomes ``"x-gzip"``; a weak tag (``W/"x"``) or a suffixed one stays."""
    if tag.startswith("W/") or not tag.endswith('"') or tag.endswith(SUFFIX + '"'):
        return tag
    return tag[:-1] + SUFFIX + '"'


def _strip(value: bytes) -> tuple[bytes, set[str]]:
    """Return a conditional header's value with the gzip suffix taken off its tags (``"x-gzip"``
    → ``"x"``, ``W/"x-gzip"`` → ``W/"x"``: a weak tag stays weak, so ``If-Match`` still refuses
    it), and the plain strong tags that had it (``{'"x"'}``)."""
    text = value.decode("latin-1")
    found: set[str] = set()

    def plain(m: re.Match[str]) -> str:
        if not m.group(2).endswith(SUFFIX):
            return m.group(0)
        tag = f'"{m.group(2).removesuffix(SUFFIX)}"'
        found.add(tag)
        return (m.group(1) or "") + tag

    return _TAG.sub(plain, text).encode("latin-1"), found


class GzipResponses:
    """ASGI middleware: gzip (Starlette's, large bodies on a worker thread) with ``Accept-Encoding``
    read by its rules and ETags that name the encoding (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        minimum_size: int = MINIMUM_SIZE,
        thread_minimum_size: int = THREAD_MINIMUM_SIZE,
        compresslevel: int = COMPRESSLEVEL,
    ) -> None:
        self.app = app
        self.gzip = GZipMiddleware(
            app,
            minimum_size=minimum_size,
            compresslevel=compresslevel,
            thread_minimum_size=thread_minimum_size,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = []
        accept = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept += (b", " if accept else b"") + value
            else:
                headers.append((name, value))
        gzip_ok = accepts_gzip(accept)
        held: set[str] = set()  # plain tags of gzipped copies the client holds (If-None-Match)
        for i, (name, value) in enumerate(headers):
            if (name == b"if-none-match" and gzip_ok) or name == b"if-match":
                if SUFFIX.encode() in value:
                    value, found = _strip(value)
                    headers[i] = (name, value)
                    if name == b"if-none-match":
                        held |= found
        headers.append((b"accept-encoding", b"gzip" if gzip_ok else b"identity"))
        inner = {**scope, "headers": headers}

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                out = MutableHeaders(scope=message)
                tag = out.get("etag")
                status = message["status"]
                if tag and (
                    out.get("content-encoding", "").lower() == "gzip" or (status == 304 and tag in held)
                ):
                    out["ETag"] = encoded_tag(tag)
                if status == 304:
                    out.add_vary_header("Accept-Encoding")
            await send(message)

        await self.gzip(inner, receive, send_tagged)
