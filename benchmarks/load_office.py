"""A whole office at once: a closed-loop load test of a running ``parksite serve``.

N clients (threads, one ``httpx.Client`` each, keep-alive) send requests back to back with no
think time for a fixed time, each picking the next request from a mix:

====================  =====  ====================================================
endpoint              share  request
====================  =====  ====================================================
``parcels_bbox``      3      ``GET /api/v1/parcels?bbox=…`` (a random quarter of the zone)
``parcel_detail``     3      ``GET /api/v1/parcels/{id}``
``tiles``             4      ``GET /api/v1/tiles/hillshade/{z}/{x}/{y}.png``, z 12–15 in the zone
``ogc_items``         1      ``GET /ogc/collections/parcels/items?limit=50&bbox=…``
``check``             1      ``POST /api/v1/check`` (a project on a random parcel; needs a user)
====================  =====  ====================================================

Reports, as JSON, per endpoint the number of requests, errors (HTTP ≥ 400 or no answer), p50,
p95 and max latency in milliseconds, and overall requests/s and the error share. Checks need a
signed-in user: pass ``--user``/``--password`` (the development admin is ``admin``); without
them the check is left out of the mix and reported as skipped. ``--map`` adds what a map page
loads beside: ``map_static`` (2: one of the scripts and styles the map page links, by its
versioned URL) and ``parcels_zone`` (1: ``GET /api/v1/parcels``, the whole zone's GeoJSON).

    python benchmarks/load_office.py --url http://127.0.0.1:8000 --clients 32 --seconds 20 \\
        --user admin --password … --json load.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

#: The mix: endpoint → share of requests.
MIX: dict[str, int] = {"parcels_bbox": 3, "parcel_detail": 3, "tiles": 4, "ogc_items": 1, "check": 1}
#: Added by ``--map``: the map page's scripts and styles, and the whole zone's parcels.
MAP_MIX: dict[str, int] = {"map_static": 2, "parcels_zone": 1}

#: The project checked (the plan's 铝基新材料 branch, as in the API tests).
PROJECT: dict[str, Any] = {
    "name": "负载测试项目",
    "industry": "铝镁新材料",
    "branch": "铝基新材料",
    "investment_wan": 60000,
    "output_wan": 150000,
    "land_mu": 10,
    "water_m3_per_day": 500,
    "power_kw": 4500,
}


@dataclass
class Target:
    """What the clients ask for: the zone's WGS 84 bbox, parcel ids, tiles, the auth header."""

    bbox: tuple[float, float, float, float]
    parcel_ids: list[str]
    tiles: list[tuple[int, int, int]]
    headers: dict[str, str] = field(default_factory=dict)
    can_check: bool = False
    static: list[str] = field(default_factory=list)  # the map page's scripts and styles


def tiles_covering(
    bbox: tuple[float, float, float, float], zooms: range = range(12, 16)
) -> list[tuple[int, int, int]]:
    """Return the web-mercator tiles ``(z, x, y)`` covering a WGS 84 bbox at each zoom."""

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    out = []
    for z in zooms:
        x0, y1 = tile(bbox[0], bbox[1], z)
        x1, y0 = tile(bbox[2], bbox[3], z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def discover(url: str, user: str | None = None, password: str | None = None) -> Target:
    """Return the :class:`Target` of the server at ``url`` (zone bbox, parcel ids, a token)."""
    with httpx.Client(base_url=url, timeout=60) as c:
        headers: dict[str, str] = {}
        if user:
            r = c.post("/api/v1/auth/token", data={"username": user, "password": password or ""})
            r.raise_for_status()
            headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        zone = c.get("/api/v1/zone", headers=headers)
        zone.raise_for_status()
        bbox = tuple(zone.json()["bbox"])
        box = ",".join(str(v) for v in bbox)
        parcels = c.get("/api/v1/parcels", params={"bbox": box, "limit": 1000}, headers=headers)
        parcels.raise_for_status()
        ids = [str(f["id"]) for f in parcels.json()["features"]]
        if not ids:
            raise SystemExit(f"{url} serves no parcels in its zone's bbox {box}")
        page = c.get("/")
        static = sorted(set(re.findall(r'="(/static/[^"]+)"', page.text))) if page.status_code == 200 else []
        return Target(bbox, ids, tiles_covering(bbox), headers, can_check=bool(user), static=static)  # type: ignore[arg-type]


def _quarter(bbox: tuple[float, float, float, float], rng: random.Random) -> str:
    w, h = (bbox[2] - bbox[0]) / 2, (bbox[3] - bbox[1]) / 2
    x, y = bbox[0] + rng.random() * w, bbox[1] + rng.random() * h
    return f"{x:.6f},{y:.6f},{x + w:.6f},{y + h:.6f}"


def requests_of(t: Target) -> dict[str, Callable[[httpx.Client, random.Random], httpx.Response]]:
    """Return endpoint name → a function sending one such request."""
    h = {**t.headers, "Accept-Encoding": "gzip"}
    return {
        "parcels_bbox": lambda c, r: c.get(
            "/api/v1/parcels", params={"bbox": _quarter(t.bbox, r)}, headers=h
        ),
        "parcel_detail": lambda c, r: c.get(f"/api/v1/parcels/{r.choice(t.parcel_ids)}", headers=h),
        "tiles": lambda c, r: c.get(
            "/api/v1/tiles/hillshade/{}/{}/{}.png".format(*r.choice(t.tiles)), headers=h
        ),
        "ogc_items": lambda c, r: c.get(
            "/ogc/collections/parcels/items", params={"limit": 50, "bbox": _quarter(t.bbox, r)}, headers=h
        ),
        "check": lambda c, r: c.post(
            "/api/v1/check", json={"parcel_id": r.choice(t.parcel_ids), "project": PROJECT}, headers=h
        ),
        "map_static": lambda c, r: c.get(r.choice(t.static), headers=h),
        "parcels_zone": lambda c, r: c.get("/api/v1/parcels", headers=h),
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))], 1)


def run_load(
    url: str,
    clients: int,
    seconds: float,
    *,
    target: Target | None = None,
    seed: int = 0,
    shares: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Run ``clients`` closed-loop clients against ``url`` for ``seconds`` with the mix ``shares``
    (default :data:`MIX`); return the report (``clients``, ``seconds``, ``requests``,
    ``requests_per_s``, ``errors``, ``error_share``, ``endpoints``: name → ``n``, ``errors``,
    ``p50_ms``, ``p95_ms``, ``max_ms``; ``skipped``)."""
    t = target or discover(url)
    send = requests_of(t)
    shares = shares or MIX
    mix = {
        k: w for k, w in shares.items() if (k != "check" or t.can_check) and (k != "map_static" or t.static)
    }
    names, weights = list(mix), list(mix.values())
    times: dict[str, list[float]] = {k: [] for k in mix}
    errors: dict[str, int] = {k: 0 for k in mix}
    samples: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        with httpx.Client(base_url=url, timeout=60) as c:
            start.wait()
            while time.perf_counter() < deadline[0]:
                name = rng.choices(names, weights)[0]
                t0 = time.perf_counter()
                try:
                    status = send[name](c, rng).status_code
                    problem = f"{name}: HTTP {status}" if status >= 400 else None
                except httpx.HTTPError as exc:
                    problem = f"{name}: {type(exc).__name__}"
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    times[name].append(ms)
                    if problem:
                        errors[name] += 1
                        if len(samples) < 5:
                            samples.append(problem)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    n = sum(len(v) for v in times.values())
    n_err = sum(errors.values())
    return {
        "url": url,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": n,
        "requests_per_s": round(n / elapsed, 1) if elapsed else 0.0,
        "errors": n_err,
        "error_share": round(n_err / n, 4) if n else 0.0,
        "error_samples": samples,
        "endpoints": {
            k: {
                "n": len(v),
                "errors": errors[k],
                "p50_ms": _pct(v, 0.50),
                "p95_ms": _pct(v, 0.95),
                "max_ms": round(max(v), 1) if v else None,
            }
            for k, v in times.items()
        },
        "skipped": [k for k in shares if k not in mix],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the command line, run the load, print (and write) the report; return it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 32], help="one run per count")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    p.add_argument("--user", help="user for the checks (none: checks skipped)")
    p.add_argument("--password")
    p.add_argument("--json", help="write the report here")
    p.add_argument(
        "--map", action="store_true", help="add the map page's scripts and the whole zone's parcels"
    )
    a = p.parse_args(argv)
    target = discover(a.url, a.user, a.password)
    shares = MIX | MAP_MIX if a.map else MIX
    report = {"runs": [run_load(a.url, n, a.seconds, target=target, shares=shares) for n in a.clients]}
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return report


if __name__ == "__main__":
    main()
