"""Where compressing a response body on a worker thread pays (``app.api.compression``'s
``THREAD_MINIMUM_SIZE``): for bodies of several sizes, the time zlib takes to gzip them (level 6,
as the app does), the extra time of doing it through ``anyio.to_thread.run_sync`` (the hop), and
the longest the event loop goes unserved while eight such bodies are compressed at once, inline
and on threads (a ticker task records the longest gap between its turns).

The bodies are GeoJSON like the app's parcel collections (rectangles with WGS 84 coordinates to
7 decimals, a score, a class and ids), cut to each size. No server and no database are needed.

    python benchmarks/bench_gzip.py [--sizes 4 8 16 32 64 128 256 1024] [--repeat 30] [--json OUT]

Prints one row per size (KiB): compress ms (median), hop ms (median of threaded minus inline),
loop gap ms inline and threaded (median over the repeats of the longest gap), as JSON too.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import zlib
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread


def geojson_body(size: int, seed: int = 7) -> bytes:
    """Return ``size`` bytes of a GeoJSON FeatureCollection of parcel-like rectangles."""
    rng = random.Random(seed)
    features: list[str] = []
    total = 0
    i = 0
    while total < size + 1024:
        lon, lat = 111.0 + rng.random() * 0.2, 37.3 + rng.random() * 0.2
        w, h = rng.uniform(0.0005, 0.002), rng.uniform(0.0005, 0.002)
        ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
        feat = {
            "type": "Feature",
            "id": f"SC-{i:05d}",
            "geometry": {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]},
            "properties": {
                "parcel_id": f"SC-{i:05d}",
                "score": round(rng.uniform(20, 95), 2),
                "class": rng.choice(["优", "良", "中", "差"]),
                "status": rng.choice(["vacant", "existing", "reserved"]),
                "cluster": rng.choice(["sc-almg", "sc-smart", "sc-energy"]),
                "area_m2": round(rng.uniform(3000, 60000), 1),
                "version": 1,
            },
        }
        text = json.dumps(feat, ensure_ascii=False, separators=(",", ":"))
        features.append(text)
        total += len(text.encode()) + 1
        i += 1
    body = ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()
    return body[:size]


def compress(body: bytes) -> bytes:
    """Return ``body`` gzipped at level 6 (what the app's middleware does to a whole body)."""
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(body) + c.flush()


async def _longest_gap(jobs: int, body: bytes, threaded: bool) -> float:
    """Return the longest time (ms) a ticker waited for its turn while ``jobs`` bodies were
    compressed concurrently, inline or on worker threads."""
    gaps: list[float] = []
    done = anyio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await anyio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def job() -> None:
        await anyio.sleep(0)
        if threaded:
            await anyio.to_thread.run_sync(compress, body)
        else:
            compress(body)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        async with anyio.create_task_group() as work:
            for _ in range(jobs):
                work.start_soon(job)
        done.set()
    return max(gaps) * 1000


async def measure(sizes_kib: list[int], repeat: int) -> list[dict[str, Any]]:
    """Return one row per size: ``kib``, ``ratio``, ``compress_ms``, ``hop_ms``,
    ``loop_gap_inline_ms``, ``loop_gap_thread_ms`` (medians over ``repeat``)."""
    rows = []
    await anyio.to_thread.run_sync(lambda: None)  # start the worker thread once
    for kib in sizes_kib:
        body = geojson_body(kib * 1024)
        inline, threaded, gap_inline, gap_thread = [], [], [], []
        for _ in range(repeat):
            t = time.perf_counter()
            out = compress(body)
            inline.append(time.perf_counter() - t)
            t = time.perf_counter()
            await anyio.to_thread.run_sync(compress, body)
            threaded.append(time.perf_counter() - t)
            gap_inline.append(await _longest_gap(8, body, threaded=False))
            gap_thread.append(await _longest_gap(8, body, threaded=True))
        rows.append(
            {
                "kib": kib,
                "ratio": round(len(out) / len(body), 3),
                "compress_ms": round(statistics.median(inline) * 1000, 3),
                "hop_ms": round((statistics.median(threaded) - statistics.median(inline)) * 1000, 3),
                "loop_gap_inline_ms": round(statistics.median(gap_inline), 3),
                "loop_gap_thread_ms": round(statistics.median(gap_thread), 3),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64, 128, 256, 1024], help="KiB")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--json", type=Path, help="write the rows here too")
    args = p.parse_args(argv)
    rows = anyio.run(measure, args.sizes, args.repeat)
    print(f"{'KiB':>6} {'ratio':>6} {'compress ms':>12} {'hop ms':>8} {'gap inline':>11} {'gap thread':>11}")
    for r in rows:
        print(
            f"{r['kib']:>6} {r['ratio']:>6} {r['compress_ms']:>12} {r['hop_ms']:>8} "
            f"{r['loop_gap_inline_ms']:>11} {r['loop_gap_thread_ms']:>11}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
