"""What keeping the data version for a second saves: revalidations (304) of the static layers and
cached vector tiles, with the version kept (``ttl_s`` 1 s, the default) and read on every request
(``ttl_s`` 0, as before), alternating in rounds so both see the same machine load.

The app runs in this process on ``--database-url`` (a database ``parksite serve`` prepared);
requests go through Starlette's TestClient one at a time. Prints the median and p95 per request
in milliseconds for each variant.

    python benchmarks/bench_etags.py --database-url postgresql+psycopg://…/parksite_load20
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))], 2)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--requests", type=int, default=200, help="requests per variant and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--state-dir", default="/tmp/parksite-bench-etags")
    args = p.parse_args(argv)

    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.settings import Settings

    Path(args.state_dir).mkdir(parents=True, exist_ok=True)
    app = create_app(
        Settings(
            database_url=args.database_url,
            state_dir=Path(args.state_dir),
            secret_key="e" * 48,
            warm_on_start=False,  # per-request costs only: no build in the background
        )
    )
    versions = app.state.api.versions
    out: dict[str, Any] = {}
    with TestClient(app) as c:
        info = c.get("/api/v1/tiles/vector.json").json()
        zone = c.get("/api/v1/zone").json()
        lon, lat = (zone["bbox"][0] + zone["bbox"][2]) / 2, (zone["bbox"][1] + zone["bbox"][3]) / 2
        z = 14
        x = int((lon + 180) / 360 * 2**z)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
        tile = f"/api/v1/tiles/parcels/{z}/{x}/{y}.mvt"
        clusters_tag = c.get("/api/v1/clusters").headers["etag"]
        cases = {
            "clusters_304": lambda: c.get("/api/v1/clusters", headers={"If-None-Match": clusters_tag}),
            "tile_cached": lambda: c.get(tile),
        }
        c.get(tile)  # built once: the server's tile cache holds it
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for variant, ttl in (("kept_1s", 1.0), ("read_each_time", 0.0)):
                versions.ttl_s = ttl
                versions.invalidate()
                for name, send in cases.items():
                    for _ in range(args.requests):
                        t0 = time.perf_counter()
                        r = send()
                        times.setdefault((name, variant), []).append((time.perf_counter() - t0) * 1000)
                        assert r.status_code in (200, 304), r.status_code
        for (name, variant), v in sorted(times.items()):
            out[f"{name}/{variant}"] = {"median_ms": round(statistics.median(v), 2), "p95_ms": _pct(v, 0.95)}
            print(
                f"{name:14s} {variant:15s} median {out[f'{name}/{variant}']['median_ms']:7.2f} ms  p95 {out[f'{name}/{variant}']['p95_ms']:7.2f} ms"
            )
        print(f"version reads: {versions.reads}; data version {info['version']}")
    return out


if __name__ == "__main__":
    main()
