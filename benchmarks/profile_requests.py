"""Where a request's time goes: the endpoints of the load mix (``benchmarks/load_office.py``)
timed one at a time in this process, and profiled with pyinstrument.

The app is built in this process on ``--database-url`` (a database ``parksite serve`` prepared:
sample zone imported and scored, a user to check with). Each endpoint is asked ``--repeat``
times after a warm-up (zone context and caches built), one request at a time; the script prints
p50/p95 in milliseconds and, with ``--profile``, pyinstrument's call tree of those requests. To
profile the route itself, the routes run on the event loop's thread while profiled (FastAPI
otherwise runs them in its thread pool, which pyinstrument does not follow).

    python benchmarks/profile_requests.py --database-url postgresql+psycopg://…/parksite_load20 \\
        --user admin --password parksite-dev --repeat 50 --profile check
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import load_office  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))], 1)


def _inline_threadpool() -> None:
    """Run FastAPI's sync routes and dependencies on the calling (event loop) thread."""
    import fastapi.dependencies.utils as deps_utils
    import fastapi.routing as routing

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    routing.run_in_threadpool = inline  # type: ignore[assignment]
    deps_utils.run_in_threadpool = inline  # type: ignore[assignment]


class Profiled:
    """ASGI middleware: runs each request under ``self.profiler`` when one is set (on the
    event loop's thread, where the routes then run too)."""

    profiler: Any = None

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        profiler = Profiled.profiler
        if profiler is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        profiler.start()
        try:
            await self.app(scope, receive, send)
        finally:
            profiler.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--repeat", type=int, default=50)
    p.add_argument("--profile", nargs="*", default=[], help="endpoints to profile (pyinstrument)")
    p.add_argument("--endpoints", nargs="*", default=None, help="only these endpoints (default: all)")
    p.add_argument("--state-dir", default="/tmp/parksite-profile-state")
    p.add_argument(
        "--uncached",
        action="store_true",
        help="as before the per-version caches: the data version read and the zone state rebuilt on every request",
    )
    args = p.parse_args(argv)

    from fastapi.testclient import TestClient
    from pyinstrument import Profiler

    from app.api.factory import create_app
    from app.settings import Settings

    Path(args.state_dir).mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=args.database_url,
        state_dir=Path(args.state_dir),
        secret_key="p" * 48,
        warm_on_start=False,  # warmed below by requests, as before: no build in the background
    )
    if args.profile:
        _inline_threadpool()
    if args.uncached:
        from app.db.data_version import DataVersionCache

        DataVersionCache.memo = lambda self, session, key, build: build()  # type: ignore[method-assign]
    app = create_app(settings)
    app.add_middleware(Profiled)
    if args.uncached:
        app.state.api.versions.ttl_s = 0.0
    report: dict[str, Any] = {}
    with TestClient(app) as c:
        headers: dict[str, str] = {}
        if args.user:
            r = c.post("/api/v1/auth/token", data={"username": args.user, "password": args.password or ""})
            r.raise_for_status()
            headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        bbox = tuple(c.get("/api/v1/zone", headers=headers).json()["bbox"])
        box = ",".join(str(v) for v in bbox)
        ids = [
            str(f["id"])
            for f in c.get("/api/v1/parcels", params={"bbox": box}, headers=headers).json()["features"]
        ]
        target = load_office.Target(
            bbox,
            ids,
            load_office.tiles_covering(bbox),
            headers,
            can_check=bool(args.user),  # type: ignore[arg-type]
        )
        send = load_office.requests_of(target)
        for name, fn in send.items():
            if (name == "check" and not args.user) or (args.endpoints and name not in args.endpoints):
                continue
            rng = random.Random(1)
            for _ in range(3):
                fn(c, rng).raise_for_status()
            times = []
            for _ in range(args.repeat):  # timed without the profiler
                t0 = time.perf_counter()
                fn(c, rng).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
            profiler = Profiled.profiler = Profiler(interval=0.0005) if name in args.profile else None
            if profiler:
                for _ in range(args.repeat):
                    fn(c, rng).raise_for_status()
                Profiled.profiler = None
            report[name] = {"n": len(times), "p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95)}
            print(
                f"{name:14s} n={len(times)} p50 {report[name]['p50_ms']} ms  p95 {report[name]['p95_ms']} ms"
            )
            if profiler:
                print(profiler.output_text(unicode=True, color=False, show_all=False))
    return report


if __name__ == "__main__":
    main()
