"""Speed of the web map at 100,000 parcels: vector tiles in Chromium and tile latencies.

Builds a large zone: ``parksite serve`` prepares a state directory (the sample zone imported and
scored, on SpatiaLite, or on PostGIS with ``--database-url``), then the sample's parcels are
replaced by ``--parcels`` N synthetic ones (a square grid of 90 × 90 m parcels on a 100 m pitch
around the 双池镇园区 park, spread over its clusters, with synthetic scores, classes and
statuses in the newest score run; the scores are random, not computed, since only drawing is
timed). Then a fresh ``parksite serve`` is started on it and timed:

* **tiles, cold**: parcel tiles at zooms 13–16 over the grid, each asked once from a fresh server
  (once its workers report warm: ``/api/v1/health``)
  (built by PostGIS ``ST_AsMVT`` or SpatiaLite + Python encoding), then **cached**: the same
  again (the server's tile cache), and **revalidated**: with ``If-None-Match`` (304). p50/p95/max.
* **Chromium** (Playwright, Debian's chromium): the map page opened fresh (no browser cache) and
  moved to a view of the grid's centre at ``--zoom``: time from the view change to the first
  parcels drawn from vector tiles and to all its tiles drawn (``auto``: the map chose vector
  tiles itself; ``auto_no_basemap``: the same without the hillshade basemap, whose tiles the same
  server renders at the same time); for comparison the same view forced to GeoJSON
  (``?parcels=geojson``: pages of 500, at most 10 pages) until its parcels are loaded.

Run from the repository root (takes minutes; the machine may be shared, so it prints the load)::

    .venv/bin/python benchmarks/bench_map_tiles.py                     # 100,000 parcels, SpatiaLite
    .venv/bin/python benchmarks/bench_map_tiles.py --parcels 10000     # quick
    .venv/bin/python benchmarks/bench_map_tiles.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/parksite_bench
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pyproj import Transformer
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db.engine import make_engine  # noqa: E402
from app.db.geometry import to_db  # noqa: E402
from app.db.models import (  # noqa: E402
    ClusterRow,
    ParcelRow,
    ParcelScoreRow,
    ParkRow,
    ScoreRunRow,
)
from app.settings import Settings  # noqa: E402

SERVE = textwrap.dedent(
    """
    import typer
    from app.commands.serve import register
    cli = typer.Typer()
    @cli.callback()
    def _root() -> None:
        "parksite (benchmark server)"
    register(cli)
    cli(["serve"])
    """
)
TO_WGS = Transformer.from_crs("EPSG:4546", "EPSG:4326", always_xy=True)
CLASSES = ((80, "优"), (65, "良"), (50, "中"), (0, "差"))
STATUSES = ("vacant", "vacant", "vacant", "existing", "reserved", "public")
CHROMIUM = os.environ.get("PARKSITE_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_warm(url: str, deadline: float, answers: int = 8) -> None:
    """Wait until ``answers`` health answers in a row say warm (each worker process has built the
    zone's context and state: ``GET /api/v1/health``), so "cold" below means the tile caches are
    empty, not that the processes are still starting."""
    in_a_row = 0
    while in_a_row < answers:
        try:
            warm = httpx.get(f"{url}/api/v1/health", timeout=5).json().get("warm") is True
        except (httpx.HTTPError, ValueError):
            warm = False
        in_a_row = in_a_row + 1 if warm else 0
        if time.monotonic() > deadline:
            raise SystemExit("parksite serve did not get warm in time")
        time.sleep(0.05 if warm else 0.5)


@contextmanager
def serve(state: Path, database_url: str | None) -> Iterator[str]:
    """Run ``parksite serve`` on ``state`` until the block ends; yield its URL once it answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKSITE_")}
    env.update(PARKSITE_STATE_DIR=str(state), PARKSITE_PORT=str(port), PARKSITE_DEV_MODE="1")
    if database_url:
        env["PARKSITE_DATABASE_URL"] = database_url
    log = open(state / "serve.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"parksite serve exited: see {state / 'serve.log'}")
            try:
                if httpx.get(f"{url}/api/v1/zone", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("parksite serve did not answer in time")
            time.sleep(0.5)
        wait_warm(url, deadline)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def build_zone(settings: Settings, n: int, seed: int = 7) -> tuple[float, float, float, float]:
    """Replace the zone's parcels by ``n`` grid parcels with synthetic scores; return the grid's
    bounds (EPSG:4546 m)."""
    from sqlalchemy import delete, func, insert, select
    from sqlalchemy.orm import Session

    rng = random.Random(seed)
    engine = make_engine(settings.resolved_database_url())
    with Session(engine) as s:
        park = s.scalars(select(ParkRow).where(ParkRow.code == "shuangchi")).one()
        clusters = list(s.scalars(select(ClusterRow.id).where(ClusterRow.park_id == park.id)))
        run = s.scalar(
            select(ScoreRunRow.id).where(ScoreRunRow.status == "done").order_by(ScoreRunRow.id.desc())
        )
        zone_id = park.zone_id
        centre = func.ST_Centroid(ParkRow.geom)
        cx, cy = s.execute(select(func.ST_X(centre), func.ST_Y(centre)).where(ParkRow.id == park.id)).one()
        old = select(ParcelRow.id).where(ParcelRow.zone_id == zone_id)
        s.execute(delete(ParcelScoreRow).where(ParcelScoreRow.parcel_id.in_(old)))
        s.execute(delete(ParcelRow).where(ParcelRow.zone_id == zone_id))
        side = math.ceil(math.sqrt(n))
        x0, y0 = float(cx) - side * 50, float(cy) - side * 50
        rows = []
        for k in range(n):
            i, j = divmod(k, side)
            x, y = x0 + j * 100, y0 + i * 100
            g = box(x + 5, y + 5, x + 95, y + 95)
            rows.append(
                {
                    "zone_id": zone_id,
                    "parcel_id": f"BG-{k + 1:06d}",
                    "park_id": park.id,
                    "cluster_id": clusters[(i // 40 + j // 40) % len(clusters)] if clusters else None,
                    "status": rng.choice(STATUSES),
                    "area_m2": 8100.0,
                    "area_mu": 8100.0 * 15 / 10000,
                    "attrs": {},
                    "geom": to_db(g),
                }
            )
        for start in range(0, n, 5000):
            s.execute(insert(ParcelRow), rows[start : start + 5000])
        ids = list(s.scalars(select(ParcelRow.id).where(ParcelRow.zone_id == zone_id)))
        scores = []
        for pid in ids:
            excluded = rng.random() < 0.06
            score = None if excluded else round(rng.uniform(20, 98), 2)
            klass = "排除" if excluded else next(c for t, c in CLASSES if score is not None and score >= t)
            scores.append(
                {"run_id": run, "parcel_id": pid, "score": score, "score_class": klass, "excluded": excluded}
            )
        for start in range(0, len(scores), 5000):
            s.execute(insert(ParcelScoreRow), scores[start : start + 5000])
        s.commit()
    engine.dispose()
    return x0, y0, x0 + side * 100, y0 + side * 100


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def pct(values: list[float]) -> dict[str, float]:
    a = np.array(values) * 1000
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def time_tiles(
    url: str, bounds: tuple[float, float, float, float], zooms: list[int], per_zoom: int
) -> dict[str, Any]:
    """Time parcel tiles over the grid: cold, cached (server cache) and revalidated (304)."""
    lo = TO_WGS.transform(bounds[0], bounds[1])
    hi = TO_WGS.transform(bounds[2], bounds[3])
    rng = random.Random(3)
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=120) as c:
        version = c.get("/api/v1/tiles/vector.json").json()["version"]
        for z in zooms:
            x0, y1 = tile_of(lo[0], lo[1], z)
            x1, y0 = tile_of(hi[0], hi[1], z)
            tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
            tiles = rng.sample(tiles, min(per_zoom, len(tiles)))
            cold, cached, reval, sizes, feats = [], [], [], [], []
            etags = {}
            for x, y in tiles:
                t = time.perf_counter()
                r = c.get(f"/api/v1/tiles/parcels/{z}/{x}/{y}.mvt?v={version}")
                cold.append(time.perf_counter() - t)
                r.raise_for_status()
                sizes.append(len(r.content))
                etags[(x, y)] = r.headers["etag"]
                if len(feats) < 3:
                    import mapbox_vector_tile

                    d = mapbox_vector_tile.decode(r.content)
                    feats.append(len(d["parcels"]["features"]) if "parcels" in d else 0)
            for x, y in tiles:
                t = time.perf_counter()
                c.get(f"/api/v1/tiles/parcels/{z}/{x}/{y}.mvt?v={version}").raise_for_status()
                cached.append(time.perf_counter() - t)
            for x, y in tiles:
                t = time.perf_counter()
                r = c.get(f"/api/v1/tiles/parcels/{z}/{x}/{y}.mvt", headers={"If-None-Match": etags[(x, y)]})
                reval.append(time.perf_counter() - t)
                assert r.status_code == 304
            out[f"z{z}"] = {
                "cold": pct(cold),
                "cached": pct(cached),
                "revalidated_304": pct(reval),
                "kb_mean": round(sum(sizes) / len(sizes) / 1024, 1),
                "parcels_per_tile_sample": feats,
            }
    return out


def time_browser(url: str, bounds: tuple[float, float, float, float], zoom: int) -> dict[str, Any]:
    """Open the map fresh and move to the grid's centre at ``zoom``: time to the first parcels
    drawn from vector tiles, to all tiles drawn, and the same view forced to GeoJSON."""
    from playwright.sync_api import sync_playwright

    lon, lat = TO_WGS.transform((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    out: dict[str, Any] = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for mode in ("auto", "auto_no_basemap", "geojson"):
            ctx = b.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            page.set_default_timeout(180_000)
            t0 = time.perf_counter()
            page.goto(url + ("/?parcels=geojson" if mode == "geojson" else "/"))
            page.wait_for_selector("body[data-ready='1']")
            ready = time.perf_counter() - t0
            res = page.evaluate(
                """([lat, lon, z, mode]) => new Promise((resolve) => {
                    const ps = window.parksite, m = ps.map, tiles = ps.parcels.tiles;
                    tiles.firstDrawnAt = null; tiles.drawn = 0;
                    const t0 = performance.now();
                    const r = {};
                    if (mode === "geojson") {
                      m.on("parcels:loaded", () => {
                        if (ps.parcels.loading) return;
                        r.loaded_ms = performance.now() - t0; r.features = ps.parcels.byId.size;
                        r.truncated = ps.parcels.truncated; resolve(r);
                      });
                    } else {
                      m.once("parcels:drawn", () => { r.first_drawn_ms = performance.now() - t0; });
                      const wait = () => {
                        if (!tiles.layer) { setTimeout(wait, 20); return; }
                        tiles.layer.once("load", () => {
                          r.all_tiles_ms = performance.now() - t0; r.drawn = tiles.drawn;
                          // when the server answered: the view's count and its tiles (ms from t0)
                          const res = performance.getEntriesByType("resource").filter((e) => e.startTime >= t0);
                          const probe = res.find((e) => e.name.includes("/tiles/vector.json?bbox"));
                          const mvt = res.filter((e) => e.name.includes(".mvt"));
                          r.probe_done_ms = probe ? probe.responseEnd - t0 : null;
                          r.tiles_asked = mvt.length;
                          r.first_tile_ms = mvt.length ? Math.min(...mvt.map((e) => e.responseEnd)) - t0 : null;
                          r.tile_wait_ms_median = mvt.length
                            ? mvt.map((e) => e.responseEnd - e.startTime).sort((a, b) => a - b)[Math.floor(mvt.length / 2)] : null;
                          r.vector = ps.parcels.vector; r.matched = ps.parcels.matched; resolve(r);
                        });
                      };
                      wait();
                    }
                    // without the hillshade basemap, whose tiles the same server renders meanwhile
                    if (mode === "auto_no_basemap") m.removeLayer(ps.basemaps.hillshade);
                    m.setView([lat, lon], z, { animate: false });
                    setTimeout(() => resolve({ ...r, timeout: true }), 170000);
                })""",
                [lat, lon, zoom, mode],
            )
            res["page_ready_s"] = round(ready, 2)
            out[mode] = res
            ctx.close()
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--database-url", default=None, help="a PostGIS database (emptied) instead of SpatiaLite")
    ap.add_argument("--zoom", type=int, default=14, help="the browser's view zoom")
    ap.add_argument("--tiles-per-zoom", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        state = Path(tmp)
        t = time.perf_counter()
        with serve(state, args.database_url):
            pass
        settings = Settings(state_dir=state, database_url=args.database_url)
        bounds = build_zone(settings, args.parcels)
        built = time.perf_counter() - t
        print(f"zone of {args.parcels:,} parcels built in {built:.0f} s; grid {bounds}")
        with serve(state, args.database_url) as url:
            info = httpx.get(f"{url}/api/v1/tiles/vector.json").json()
            tiles = time_tiles(url, bounds, [13, 14, 15, 16], args.tiles_per_zoom)
            browser = time_browser(url, bounds, args.zoom)
    result = {
        "parcels": args.parcels,
        "backend": "postgis" if args.database_url else "spatialite",
        "vector_above": info["vector_above"],
        "tiles": tiles,
        "browser": browser,
        "load_avg": os.getloadavg(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
