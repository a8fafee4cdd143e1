"""Terrain tile latency over HTTP against a real ``parksite serve``: first render, from the tile
store on disk (after a restart: a worker's memory is empty), and from memory; the map's first
view after a restart without and with the tiles on disk; and the time of ``parksite tiles seed``.

Phases (each with a fresh server: ``parksite serve --workers W`` in its own process group):

1. **no tiles on disk** (``<state>/tiles`` removed, the start-up seed off): the map's first view —
   ``/api/v1/zone`` (the page reads it before it adds the tile layer), then the hillshade tiles
   of the zone's padded box at the first-view zoom, fetched by 6 parallel connections as a
   browser does — the tiles timed from the first request to the last answer, on cold
   workers (each builds its zone context on its first render); then, over one keep-alive
   connection (one worker) whose context a z16 tile built first, every seeded hillshade tile
   once: **first render**.
2. ``parksite tiles seed`` (all layers, the zooms given), timed.
3. **tiles on disk**, a fresh server: the same first view, then every tile once over one
   connection (**disk**), then again (**memory**).

Prints a JSON summary (latencies in ms: p50, p95, max; counts; seed seconds)::

    python benchmarks/bench_terrain_tiles.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB \\
        --state-dir /tmp/parksite-tiles-bench --workers 2 --json out.json

The database must hold a zone (``parksite serve`` imports and scores the sample into an empty
one: the first start may take a minute or two).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))], 1)


def _stats(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": _pct(ms, 0.5), "p95": _pct(ms, 0.95), "max": round(max(ms), 1)}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``parksite serve`` in a process group of its own, stopped by that group's id."""

    def __init__(self, env: dict[str, str], workers: int, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--port", str(self.port)]
        self.log = log.open("a")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"parksite serve stopped (exit {self.proc.returncode}); see {log}")
            try:
                if httpx.get(f"{self.url}/api/v1/zone", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            self.stop()
            raise SystemExit(f"parksite serve did not answer within 600 s; see {log}")
        self.start_s = time.perf_counter() - started

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _fetch(client: httpx.Client, path: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    r = client.get(path)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200 or r.headers.get("content-type") != "image/png":
        raise SystemExit(f"{path}: HTTP {r.status_code}")
    return ms, r.content


def _get(client: httpx.Client, path: str) -> float:
    return _fetch(client, path)[0]


def first_view(url: str, tiles: list[tuple[int, int, int]]) -> dict[str, Any]:
    """Fetch the first view's hillshade tiles by 6 parallel connections, after the zone as the
    page reads it first; the tiles' wall time (ms)."""
    clients = [httpx.Client(base_url=url, timeout=120) for _ in range(6)]
    try:
        # the page first reads the zone (its box places the map): the workers have answered once
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda c: c.get("/api/v1/zone").raise_for_status(), clients))
        t0 = time.perf_counter()
        with ThreadPoolExecutor(6) as pool:
            per = list(
                pool.map(
                    lambda k: _get(clients[k % 6], "/api/v1/tiles/hillshade/{}/{}/{}.png".format(*tiles[k])),
                    range(len(tiles)),
                )
            )
        wall = (time.perf_counter() - t0) * 1000
    finally:
        for c in clients:
            c.close()
    return {"tiles": len(tiles), "wall_ms": round(wall, 1), "slowest_tile_ms": round(max(per), 1)}


def sweep(
    client: httpx.Client, tiles: list[tuple[int, int, int]], layer: str = "hillshade"
) -> dict[str, Any]:
    """Fetch each tile once; latency stats of all, of those with terrain and of transparent ones."""
    from app.api.tiles import empty_tile

    got = [_fetch(client, f"/api/v1/tiles/{layer}/{z}/{x}/{y}.png") for z, x, y in tiles]
    out = {"all": _stats([ms for ms, _ in got])}
    terrain = [ms for ms, png in got if png != empty_tile()]
    empty = [ms for ms, png in got if png == empty_tile()]
    if terrain:
        out["terrain"] = _stats(terrain)
    if empty:
        out["transparent"] = _stats(empty)
    return out


def seeded_tiles(database_url: str, zooms: tuple[int, ...]) -> tuple[list[tuple[int, int, int]], str]:
    """The tiles the seed covers (per layer) and the served zone's id."""
    from app.api.store import served_zone
    from app.api.terrain_cache import tiles_covering, zone_extent
    from app.db.engine import make_engine, session_factory
    from app.settings import get_settings

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as s:
            zone = served_zone(s, get_settings())
            return tiles_covering(zone_extent(s, zone.id), zooms), zone.id
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--state-dir", default="/tmp/parksite-tiles-bench")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--zooms", default="12-15")
    p.add_argument("--first-view-zoom", type=int, default=12)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from app.api.terrain_cache import parse_zooms

    zooms = parse_zooms(args.zooms)
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    log = state / "bench_serve.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PARKSITE_DATABASE_URL": args.database_url,
        "PARKSITE_STATE_DIR": str(state),
        "PARKSITE_SECRET_KEY": os.environ.get("PARKSITE_SECRET_KEY", "b" * 48),
    }
    out: dict[str, Any] = {"workers": args.workers, "zooms": list(zooms), "uptime_before": _uptime()}

    # the database ready (an empty one gets the sample zone) before anything is timed
    Server({**env, "PARKSITE_SEED_TILES_ON_START": "0"}, 1, log).stop()
    os.environ["PARKSITE_DATABASE_URL"] = args.database_url
    tiles, zone_id = seeded_tiles(args.database_url, zooms)
    view = [t for t in tiles if t[0] == args.first_view_zoom]
    out["zone"] = zone_id
    out["tiles_per_layer"] = len(tiles)
    # z16 tiles are not seeded: one of them builds a worker's zone context before the sweep
    warm_z16 = next(t for t in seeded_tiles(args.database_url, (16,))[0])

    # 1. no tiles on disk
    shutil.rmtree(state / "tiles", ignore_errors=True)
    server = Server({**env, "PARKSITE_SEED_TILES_ON_START": "0"}, args.workers, log)
    try:
        out["no_disk_first_view"] = first_view(server.url, view)
        with httpx.Client(base_url=server.url, timeout=120) as c:
            out["z16_warm_up_ms"] = round(
                _get(c, "/api/v1/tiles/hillshade/{}/{}/{}.png".format(*warm_z16)), 1
            )
            out["first_render"] = sweep(c, [t for t in tiles if t not in view])
    finally:
        server.stop()

    # 2. the seed
    shutil.rmtree(state / "tiles", ignore_errors=True)
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "en", "tiles", "seed", "--zooms", args.zooms],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit(f"tiles seed failed: {r.stdout}{r.stderr}")
    out["seed"] = {"wall_s": round(time.perf_counter() - t0, 1), "said": r.stdout.strip().splitlines()[-1]}

    # 3. tiles on disk, a fresh server
    server = Server(env, args.workers, log)
    try:
        out["disk_first_view"] = first_view(server.url, view)
        with httpx.Client(base_url=server.url, timeout=120) as c:
            out["disk"] = sweep(c, tiles)
            out["memory"] = sweep(c, tiles)
    finally:
        server.stop()
    out["uptime_after"] = _uptime()
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
