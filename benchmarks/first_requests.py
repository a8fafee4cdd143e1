"""The first requests after a restart: ``parksite serve`` started afresh, then the first
``POST /api/v1/check`` and the first hillshade tile timed, with and without the warm-up at
worker start (``PARKSITE_WARM_ON_START``, :mod:`app.api.warmup`).

Each run starts a new server (``python -m app.cli serve``, development mode, on the database
given or a SpatiaLite file in ``--state-dir``; the sample zone is imported and scored on the
first start), waits until ``GET /api/v1/health`` answers, signs in as the development admin,
reads the zone and its parcels (as the map does), then — at once (``on_at_once``), or once
every worker's health says ``warm`` (``on_when_warm``), or without warm-up (``off``) — times:

* ``tile_ms``: the first hillshade tile (zoom 15, under the zone's first parcel), asked first as
  the map's first view does (without warm-up it builds the measuring context);
* ``check_ms``: then the first ``POST /api/v1/check`` (a project on that parcel; without warm-up
  it builds the zone's admission state);
* ``check_again_ms``, ``tile_again_ms``: a second check and another first-rendered tile (the
  process's caches built);
* ``up_s``: from the command's start to the first health answer; ``warm_s``: the warm-up's own
  time as the answering worker reports it.

Prints one JSON object (``--json OUT`` also writes it)::

    python benchmarks/first_requests.py --database-url postgresql+psycopg://…/DB --workers 1 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_office import PROJECT  # noqa: E402

MODES = ("off", "on_at_once", "on_when_warm")
DEV_ADMIN = ("admin", "parksite-dev")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def _first_point(geometry: dict[str, Any]) -> tuple[float, float]:
    coords: Any = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return float(coords[0]), float(coords[1])


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float, warm_workers: int = 0) -> dict:
    """Poll ``/api/v1/health`` (a new connection each time, so every worker is asked) until it
    answers — or, with ``warm_workers``, until that many workers said ``warm``; return the last
    answer."""
    deadline = time.monotonic() + timeout
    warm: set[int] = set()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text()[-4000:]}")
        try:
            with httpx.Client(base_url=url, timeout=10) as c:
                body = c.get("/api/v1/health").json()
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if body["warm"]:
            warm.add(body["pid"])
        if len(warm) >= warm_workers:
            return body
        time.sleep(0.05)
    raise SystemExit(f"no answer in {timeout} s:\n{log.read_text()[-4000:]}")


def run_once(database_url: str, state_dir: Path, workers: int, mode: str, timeout: float) -> dict:
    """Start a server in ``mode``, time its first requests, stop it; return the timings."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PARKSITE_STATE_DIR": str(state_dir),
        "PARKSITE_DEV_MODE": "1",
        "PARKSITE_WARM_ON_START": "0" if mode == "off" else "1",
    }
    cmd = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--port", str(port)]
    cmd += ["--database-url", database_url]
    log = state_dir / f"serve-{mode}.log"
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
    try:
        _wait(url, proc, log, timeout)
        up_s = time.perf_counter() - t0
        with httpx.Client(base_url=url, timeout=timeout) as c:
            r = c.post("/api/v1/auth/token", data={"username": DEV_ADMIN[0], "password": DEV_ADMIN[1]})
            r.raise_for_status()
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            c.get("/api/v1/zone", headers=h).raise_for_status()
            parcels = c.get("/api/v1/parcels", params={"limit": 50}, headers=h)
            parcels.raise_for_status()
            features = parcels.json()["features"]
            if mode == "on_when_warm":
                _wait(url, proc, log, timeout, warm_workers=workers)
            since_start_s = time.perf_counter() - t0

            def timed(method: str, path: str, **kw: Any) -> float:
                s = time.perf_counter()
                resp = c.request(method, path, headers=h, **kw)
                if resp.status_code != 200:
                    raise SystemExit(f"{method} {path}: {resp.status_code} {resp.text[:500]}")
                return (time.perf_counter() - s) * 1000

            body = {"parcel_id": features[0]["id"], "project": PROJECT}
            lon, lat = _first_point(features[0]["geometry"])
            x, y = _tile(lon, lat, 15)
            tile_ms = timed("GET", f"/api/v1/tiles/hillshade/15/{x}/{y}.png")  # the map's first view
            check_ms = timed("POST", "/api/v1/check", json=body)
            check_again_ms = timed("POST", "/api/v1/check", json=body | {"parcel_id": features[1]["id"]})
            tile_again_ms = timed("GET", f"/api/v1/tiles/hillshade/15/{x + 1}/{y}.png")
            health = c.get("/api/v1/health").json()
        return {
            "mode": mode,
            "workers": workers,
            "up_s": round(up_s, 2),
            "first_check_at_s": round(since_start_s, 2),
            "check_ms": round(check_ms, 1),
            "tile_ms": round(tile_ms, 1),
            "check_again_ms": round(check_again_ms, 1),
            "tile_again_ms": round(tile_again_ms, 1),
            "warm_s": health["warm_up"]["seconds"],
            "warm_steps_s": {s["name"]: s["seconds"] for s in health["warm_up"]["steps"]},
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="default: a SpatiaLite file in --state-dir")
    p.add_argument("--state-dir", type=Path, help="default: a temporary folder")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--rounds", type=int, default=2, help="each mode this many times, alternating")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the server")
    p.add_argument("--json", type=Path, help="also write the result here")
    a = p.parse_args(argv)
    state_dir = a.state_dir or Path(tempfile.mkdtemp(prefix="parksite-first-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    url = a.database_url or f"sqlite:///{state_dir / 'parksite.sqlite'}"
    run_once(url, state_dir, a.workers, "off", a.timeout)  # prepares the database; not counted
    runs = [run_once(url, state_dir, a.workers, m, a.timeout) for _ in range(a.rounds) for m in a.modes]
    summary = {
        m: {
            k: statistics.median(r[k] for r in runs if r["mode"] == m)
            for k in ("check_ms", "tile_ms", "check_again_ms", "tile_again_ms", "up_s")
        }
        for m in a.modes
    }
    out = {"runs": runs, "median": summary, "load": os.getloadavg()}
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    if a.json:
        a.json.write_text(text)
    return out


if __name__ == "__main__":
    main()
