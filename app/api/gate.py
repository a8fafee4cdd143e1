"""The request gate: who may send a body, and how big, is decided before a byte of it is read.

:class:`RequestGate` is a pure ASGI middleware in front of the API. For a request that carries
a body (``POST``, ``PUT``, ``PATCH``, ``DELETE``) it

1. finds the route it goes to and the checks its dependencies make of the user
   (:func:`app.api.deps.guard_of`: a role for writes, login for reads when required), resolves
   the user from the ``Authorization`` header and runs those checks: 401 / 403 at once, the
   body unread (the route's own dependencies take the resolved user as it is);
   then, for a route that takes ``If-Match`` (:data:`app.api.etags.IfMatch`), that the header
   is there: 428 at once, so a missing ``If-Match`` is 428 even when the body is bad;
2. checks the declared ``Content-Length`` against the limit: ``Settings.max_body_mb`` for
   uploads (``multipart/form-data``), ``Settings.max_json_mb`` (or the former, if smaller) for
   every other body — 413 at once, the body unread; a body without a length (chunked) is read
   up to the limit and refused as soon as it passes it;
3. for a JSON body, reads it (within the limit) and counts its arrays outside strings before
   anything parses it: a body with more than ``2 × Settings.max_vertices + 1000`` arrays holds
   more positions than any geometry the API accepts (each position is an array, and rings and
   polygons add at most half as many again), and is refused with 413 without being parsed.

Errors are answered with the app's own error responses (``respond``, from ``create_app``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import GATE_USER, ApiState, Guard, guard_of, user_for_token
from app.api.etags import if_match_header, require_if_match
from gis.errors import LimitExceededError, ParksiteError
from gis.messages import msg

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Arrays a JSON body may hold besides those of its geometry (lists of parcel ids, admits, …).
SPARE_ARRAYS = 1000
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

#: Answer a domain error raised in the gate (the request's scope gives its language).
Respond = Callable[[ParksiteError, Scope], Response]


def json_arrays(body: bytes) -> int:
    """Return the number of arrays (``[``) in a JSON text, those inside strings not counted."""
    return _JSON_STRING.sub(b"", body).count(b"[")


def _guards(dependant: Any, seen: set[int] | None = None) -> list[Guard]:
    """Return the user checks of a route's dependency tree, outermost first, each once."""
    seen = set() if seen is None else seen
    found: list[Guard] = []
    for dep in dependant.dependencies:
        check = guard_of(dep.call) if dep.call is not None else None
        if check is not None and id(check) not in seen:
            seen.add(id(check))
            found.append(check)
        found += _guards(dep, seen)
    return found


def _takes_if_match(dependant: Any) -> bool:
    """Return whether a route's dependency tree reads ``If-Match`` (:data:`app.api.etags.IfMatch`)."""
    return any(dep.call is if_match_header or _takes_if_match(dep) for dep in dependant.dependencies)


@dataclass(frozen=True)
class GatedRoute:
    """A route that takes a body: its methods, its path pattern, its user checks and whether it
    needs ``If-Match``."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    guards: tuple[Guard, ...]
    if_match: bool = False


def gated_routes(prefix: str, routers: Iterable[APIRouter]) -> list[GatedRoute]:
    """Return the routes of ``routers`` (mounted under ``prefix``) that take a body, in order."""
    out = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.methods & BODY_METHODS:
                pattern, _, _ = compile_path(prefix + route.path)
                out.append(
                    GatedRoute(
                        frozenset(route.methods),
                        pattern,
                        tuple(_guards(route.dependant)),
                        _takes_if_match(route.dependant),
                    )
                )
    return out


class RequestGate:
    """ASGI middleware: user checks and body limits before the body is read (module docstring).

    ``routes`` are the app's routes that take a body (:func:`gated_routes`); a request to any
    other path is only held to the size limits.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: list[GatedRoute],
        max_body_bytes: int,
        max_json_bytes: int,
        max_vertices: int,
        respond: Respond,
    ):
        self.app = app
        self.routes = routes
        self.max_body_bytes = max_body_bytes
        self.max_json_bytes = min(max_json_bytes, max_body_bytes)
        self.max_arrays = 2 * max_vertices + SPARE_ARRAYS
        self.respond = respond

    # ----------------------------------------------------------------- who

    def route_for(self, method: str, path: str) -> GatedRoute | None:
        """Return the route a request goes to (None for an unknown path)."""
        for route in self.routes:
            if method in route.methods and route.pattern.match(path):
                return route
        return None

    def guards_for(self, method: str, path: str) -> tuple[Guard, ...]:
        """Return the user checks of the route a request goes to (none for an unknown path)."""
        route = self.route_for(method, path)
        return route.guards if route is not None else ()

    @staticmethod
    def _check_if_match(scope: Scope, route: GatedRoute | None) -> None:
        if route is None or not route.if_match:
            return
        values = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"if-match"]
        require_if_match(", ".join(values), where="If-Match")

    async def _check_user(self, scope: Scope, headers: dict[bytes, bytes]) -> None:
        guards = self.guards_for(scope["method"], scope["path"])
        if not guards:
            return
        state: ApiState = scope["app"].state.api
        scheme, token = get_authorization_scheme_param(headers.get(b"authorization", b"").decode("latin-1"))
        bearer = token if scheme.lower() == "bearer" and token else None
        user = await run_in_threadpool(user_for_token, state, bearer)
        for check in guards:
            check(state, user)
        if bearer is not None:
            scope.setdefault("state", {})[GATE_USER] = (bearer, user)

    # ----------------------------------------------------------------- how much

    def _too_large(self, limit: int) -> LimitExceededError:
        return LimitExceededError(
            f"the request body is larger than {limit / 1e6:g} MB",
            where="request body",
            hint="send less data (PARKSITE_MAX_JSON_MB for edits and checks, PARKSITE_MAX_BODY_MB for uploads)",
            msg=msg("error.request.too_large", mb=f"{limit / 1e6:g}"),
        )

    def _too_many_arrays(self, n: int) -> LimitExceededError:
        return LimitExceededError(
            f"the request body holds {n:,} arrays, more than a geometry within the limit of "
            f"{(self.max_arrays - SPARE_ARRAYS) // 2:,} vertices can have",
            where="request body",
            hint="simplify the outline (QGIS ▸ Simplify)",
            msg=msg(
                "error.request.too_many_arrays",
                n=f"{n:,}",
                limit=f"{(self.max_arrays - SPARE_ARRAYS) // 2:,}",
            ),
        )

    async def _read(self, receive: Receive, limit: int) -> bytes:
        """Return the whole body, LimitExceededError as soon as it passes ``limit`` bytes."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    # ----------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        upload = kind == b"multipart/form-data"
        limit = self.max_body_bytes if upload else self.max_json_bytes
        length = headers.get(b"content-length")
        chunked = length is None and b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        try:
            await self._check_user(scope, headers)
            self._check_if_match(scope, self.route_for(scope["method"], scope["path"]))
            if length is not None and length.isdigit() and int(length) > limit:
                raise self._too_large(limit)
            is_json = kind == b"application/json" or kind.endswith(b"+json")
            if not (chunked or (is_json and length not in (None, b"0"))):
                await self.app(scope, receive, send)
                return
            body = await self._read(receive, limit)
            if is_json and (n := json_arrays(body)) > self.max_arrays:
                raise self._too_many_arrays(n)
        except ParksiteError as exc:
            await self.respond(exc, scope)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """Return a ``receive`` that gives ``body`` once, then what the client sends next."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["RequestGate", "json_arrays"]
