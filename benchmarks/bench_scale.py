"""Province scale: scoring by spatial partitions on Dask distributed, DEM read by windows.

Builds a synthetic zone in a temporary folder (``--tmp``) — by default 1,000,000 parcels on a
DEM of 40,000 × 40,000 cells of 10 m (400 × 400 km; 6.4 GB as float32, larger than a worker's
memory limit) — and scores it with :func:`scoring.distributed.score_zone_parcels_distributed`
on a LocalCluster of ``--workers`` processes (``--memory-limit`` each), or on a running
scheduler (``--scheduler tcp://HOST:8786``). The DEM is computed and written by blocks of rows
to a tiled, deflate-compressed BigTIFF: no process ever holds it whole.

The zone's layers are the 20,000-parcel benchmark's (benchmarks/bench_scoring.py) scaled to
the DEM: a lattice of roads with S224, rivers, parks, substations, water sources and gates;
the parcels are its rotated rectangles on a 200 m lattice.

Reports (and with ``--json OUT`` writes) ``parcels``, ``seconds`` (end to end: context,
partitions, scoring — not building the synthetic zone), ``parcels_per_s``,
``peak_rss_mb_per_worker`` (each worker process's peak resident memory), and
``same_as_single_process``: the measures of a sample of parcels (``--sample``, a compact block
of neighbours) equal those of today's one-process pipeline (:func:`scoring.measure.measure_batch`
on a context that reads its DEM whole — a cut of the DEM around the sample, since the whole DEM
does not fit) to 1e-9; with ``--full-check`` (small zones only) the whole table is compared
with :func:`scoring.batch.score_zone_parcels`. Also the per-partition seconds and a projection
of the run time on a cluster of ``--project-nodes`` nodes like this machine. Run from the
repository root::

    .venv/bin/python benchmarks/bench_scale.py --parcels 100000 --dem-size 10000 --workers 2 --json out.json
    .venv/bin/python benchmarks/bench_scale.py --workers 2 --json full.json     # 1,000,000 × 40,000²
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS as RioCRS
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyproj import CRS as ProjCRS  # noqa: E402
from pyproj import Transformer  # noqa: E402

from benchmarks.bench_scoring import CELL_M, CRS, X0, Y0, ZONE_FILE, make_layers, make_parcels  # noqa: E402
from scoring.batch import score_zone_parcels  # noqa: E402
from scoring.context import ZoneContext  # noqa: E402
from scoring.distributed import ClusterStats, local_workers, score_zone_parcels_distributed  # noqa: E402
from scoring.measure import measure_batch  # noqa: E402
from scoring.parcels import prepare_parcels  # noqa: E402
from scoring.partitioned import DEFAULT_PARTITION_SIZE  # noqa: E402
from scoring.zone import load_zone  # noqa: E402

#: A province's CRS: CGCS2000 / 6-degree Gauss-Krüger CM 111E (108–114°E, about 530 km wide at
#: Jiaokou's latitude), for zones wider than the 3-degree zone EPSG:4546 (about 270 km).
PROVINCE_CRS = "EPSG:4508"

#: Rows of the DEM computed and written at once.
BLOCK_ROWS = 1024


def dem_waves(rng: np.random.Generator) -> list[tuple[float, float, float, float, float]]:
    """(amplitude m, phase a, phase b, kx, ky) of the sum of waves of bench_scoring.make_dem."""
    out = []
    for amp, wave in ((120.0, 9000.0), (45.0, 2300.0), (14.0, 700.0), (4.0, 230.0)):
        a, b = rng.uniform(0, 2 * np.pi, 2)
        kx, ky = 2 * np.pi / wave * rng.uniform(0.7, 1.3, 2)
        out.append((amp, a, b, kx, ky))
    return out


def fits(crs: str, origin: tuple[float, float], extent_m: float) -> bool:
    """Whether the square of ``extent_m`` metres from ``origin`` lies inside ``crs``'s area of use."""
    c = ProjCRS.from_user_input(crs)
    aou = c.area_of_use
    x0, y0 = origin
    lon0, lat0, lon1, lat1 = Transformer.from_crs(c, c.geodetic_crs, always_xy=True).transform_bounds(
        x0, y0, x0 + extent_m, y0 + extent_m
    )
    return (
        aou is not None and aou.west <= lon0 and lon1 <= aou.east and aou.south <= lat0 and lat1 <= aou.north
    )


def frame(size: int) -> tuple[str, tuple[float, float]]:
    """The synthetic zone's CRS and lower-left corner (metres) for a DEM of ``size`` cells: the
    20,000-parcel benchmark's (EPSG:4546 from 500,000 E) when it fits that 3-degree zone, else a
    province's 6-degree zone (:data:`PROVINCE_CRS`) centred on its central meridian."""
    extent = size * CELL_M
    if fits(CRS, (X0, Y0), extent):
        return CRS, (X0, Y0)
    origin = (500_000.0 - extent / 2, Y0)
    if not fits(PROVINCE_CRS, origin, extent):
        raise SystemExit(
            f"a DEM of {size:,} cells ({extent / 1000:,.0f} km) does not fit one Gauss-Krüger zone"
        )
    return PROVINCE_CRS, origin


def write_dem(
    path: Path, size: int, rng: np.random.Generator, *, crs: str = CRS, origin: tuple[float, float] = (X0, Y0)
) -> Path:
    """Write a hilly ``size`` × ``size`` DEM (10 m cells, in ``crs`` from the lower-left ``origin``)
    block of rows by block of rows to a tiled, deflate-compressed BigTIFF; return its path."""
    waves = dem_waves(rng)
    extent = size * CELL_M
    x = (np.arange(size, dtype=np.float32) + 0.5) * CELL_M
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=RioCRS.from_user_input(crs),
        transform=Affine(CELL_M, 0, origin[0], 0, -CELL_M, origin[1] + extent),
        nodata=-9999.0,
        compress="deflate",
        predictor=3,
        zlevel=1,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        BIGTIFF="YES",
        num_threads="ALL_CPUS",
    )
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, BLOCK_ROWS):
            r1 = min(r0 + BLOCK_ROWS, size)
            y = extent - (np.arange(r0, r1, dtype=np.float32) + 0.5) * CELL_M
            z = np.full((r1 - r0, size), 1100.0, dtype=np.float32)
            for amp, a, b, kx, ky in waves:
                z += np.float32(amp) * np.outer(np.sin(kx * y + a), np.cos(ky * x + b)).astype(np.float32)
            dst.write(z, 1, window=Window(0, r0, size, r1 - r0))
    return path


def cut_dem(src_path: Path, out: Path, bounds: tuple[float, float, float, float], margin: int = 50) -> Path:
    """Write the window of ``src_path`` covering ``bounds`` plus ``margin`` cells to ``out``."""
    with rasterio.open(src_path) as src:
        t = src.transform
        c0 = max(int((bounds[0] - t.c) // t.a) - margin, 0)
        c1 = min(int((bounds[2] - t.c) // t.a) + margin + 1, src.width)
        r0 = max(int((bounds[3] - t.f) // t.e) - margin, 0)
        r1 = min(int((bounds[1] - t.f) // t.e) + margin + 1, src.height)
        w = Window(c0, r0, c1 - c0, r1 - r0)
        data = src.read(1, window=w)
        profile = src.profile | dict(
            width=w.width, height=w.height, transform=src.window_transform(w), BIGTIFF="NO", tiled=False
        )
        profile.pop("blockxsize", None)
        profile.pop("blockysize", None)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)
    return out


def sample_block(parcels, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n`` neighbouring parcels around a random one (a compact block)."""
    c = shapely.centroid(np.asarray(parcels.geometry.values))
    xy = np.stack([shapely.get_x(c), shapely.get_y(c)], axis=1)
    seed = xy[rng.integers(len(xy))]
    return np.sort(np.argsort(np.hypot(*(xy - seed).T), kind="stable")[:n])


MEASURE_EXCLUDED = ("parcel_id", "status", "geometry")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--dem-size", type=int, default=40_000, help="DEM side in cells (10 m)")
    ap.add_argument("--workers", type=int, default=local_workers(), help="LocalCluster worker processes")
    ap.add_argument("--memory-limit", default="2GiB", help="memory limit of each LocalCluster worker")
    ap.add_argument("--scheduler", default="local", help="'local' or a running scheduler's address")
    ap.add_argument("--partition-size", type=int, default=DEFAULT_PARTITION_SIZE)
    ap.add_argument("--sample", type=int, default=2_000, help="parcels compared with one process")
    ap.add_argument("--full-check", action="store_true", help="compare the whole table with one process")
    ap.add_argument("--project-nodes", type=int, default=10, help="nodes of the projected cluster")
    ap.add_argument(
        "--project-parcels",
        type=int,
        default=None,
        help="parcels of the projected run (default: --parcels); the client's per-parcel steps and "
        "the partitions' seconds are scaled from this run",
    )
    ap.add_argument(
        "--parcel-extent",
        type=int,
        default=None,
        help="cells (10 m) of the DEM's south-west square the parcels lie in (default: the whole DEM): "
        "a zone's parcels on a province's DEM",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--tmp", type=Path, default=None, help="folder for the synthetic DEM (default: system temp)"
    )
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    with tempfile.TemporaryDirectory(prefix="parksite-scale-", dir=args.tmp) as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        size = args.dem_size
        extent_cells = min(args.parcel_extent or size, size)
        # a zone on a province's DEM: its layers lie in the parcels' square (EPSG:4546 when that
        # square fits the 3-degree zone); a province-wide zone is computed in a 6-degree zone
        crs, origin = frame(extent_cells)
        dem = write_dem(tmp / "dem.tif", size, rng, crs=crs, origin=origin)
        dem_s = time.perf_counter() - t
        layers = make_layers(extent_cells, rng, origin=origin, crs=crs)
        zone = load_zone(ZONE_FILE)
        if crs != zone.zone.crs:
            zone = zone.model_copy(update={"zone": zone.zone.model_copy(update={"crs": crs})})
        parcels = make_parcels(args.parcels, extent_cells, rng, origin=origin, crs=crs)
        parcels, _ = prepare_parcels(parcels, zone)
        n = len(parcels)
        build_s = time.perf_counter() - t
        print(
            f"synthetic zone: {n:,} parcels, DEM {size:,} × {size:,} cells of {CELL_M:g} m "
            f"({size * size * 4 / 1e9:.1f} GB as float32, {dem.stat().st_size / 1e9:.2f} GB on disk; "
            f"written by blocks in {dem_s:.0f} s), built in {build_s:.0f} s (not timed); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )

        stats = ClusterStats()
        last = [0.0]

        def progress(step, done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 10 or done == total:
                last[0] = now
                print(f"  {done}/{total} progress units, {now - t0:.0f} s", flush=True)

        t0 = time.perf_counter()
        ctx = ZoneContext.build(zone, layers, [dem], windowed=True)
        context_s = time.perf_counter() - t0
        run = score_zone_parcels_distributed(
            ctx,
            parcels,
            scheduler=args.scheduler,
            n_workers=args.workers,
            memory_limit=args.memory_limit,
            partition_size=args.partition_size,
            progress=progress,
            stats=stats,
        )
        seconds = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
        print(f"scored {n:,} parcels in {seconds:.1f} s on {stats.n_workers} workers", flush=True)

        # the same as one process, on a compact sample (its DEM cut around it and read whole)
        idx = sample_block(parcels, min(args.sample, n), rng)
        sample = parcels.iloc[idx]
        small_dem = cut_dem(dem, tmp / "sample_dem.tif", tuple(sample.total_bounds))
        one_ctx = ZoneContext.build(zone, layers, [small_dem])
        t1, cpu1 = time.perf_counter(), time.process_time()
        one = measure_batch(one_ctx, sample.reset_index(drop=True))
        sample_one_s, sample_one_cpu = time.perf_counter() - t1, time.process_time() - cpu1
        mine = run.parcels.iloc[idx].reset_index(drop=True)[list(one.columns)]
        try:
            pd.testing.assert_frame_equal(mine, one, check_exact=False, rtol=1e-9, atol=1e-9)
            same = True
        except AssertionError as exc:
            print(f"sample differs: {exc}")
            same = False
        full_same = None
        one_process: dict = {}
        if args.full_check:
            t1, cpu1 = time.perf_counter(), time.process_time()
            whole = ZoneContext.build(zone, layers, [dem])
            ref = score_zone_parcels(whole, parcels).parcels
            one_s, one_cpu = time.perf_counter() - t1, time.process_time() - cpu1
            one_process = {
                "seconds": round(one_s, 2),
                "parcels_per_s": round(n / one_s, 1),
                "cpu_seconds": round(one_cpu, 2),
                "parcels_per_cpu_s": round(n / one_cpu, 1),
            }
            try:
                pd.testing.assert_frame_equal(
                    pd.DataFrame(run.parcels.drop(columns="geometry")),
                    pd.DataFrame(ref.drop(columns="geometry")),
                    check_exact=False,
                    rtol=1e-9,
                    atol=1e-9,
                )
                full_same = True
            except AssertionError as exc:
                print(f"full table differs: {exc}")
                full_same = False

    part_s = np.array(stats.partition_seconds)
    part_cpu = np.array(stats.partition_cpu_seconds)
    part_thread = np.array(stats.partition_thread_cpu_seconds)
    workers = stats.n_workers
    serial_s = seconds - run.summary.steps.get("measure", 0.0)
    cores_per_node = local_workers()
    nodes = args.project_nodes
    cluster_workers = nodes * cores_per_node
    projected = serial_s + max(part_s.sum() / cluster_workers, part_s.max())
    # each worker's first partition against its later ones (CPU per parcel): what a worker
    # does once, on its first task, shows as a dearer first partition
    first_seen: set[str] = set()
    first_cpu: list[float] = []
    later_cpu: list[float] = []
    for w, cpu, k in zip(stats.partition_worker, part_cpu, stats.partition_parcels):
        (later_cpu if w in first_seen else first_cpu).append(1000 * cpu / k)
        first_seen.add(w)
    client = stats.client_seconds
    # the client's work that grows with the parcels, against what a run does once
    per_parcel_steps = ("check", "plan", "submit", "assemble", "finish")
    client_per_parcel_s = sum(client.get(k, 0.0) for k in per_parcel_steps)
    fixed_s = context_s + sum(client.get(k, 0.0) for k in ("base", "cluster", "scatter", "close"))
    target = args.project_parcels or n
    scale = target / n
    per_parcel_wall = part_s.sum() / n
    target_part = min(args.partition_size, target)
    measuring = max(target * per_parcel_wall / cluster_workers, target_part * per_parcel_wall)
    projected_target = fixed_s + client_per_parcel_s * scale + measuring
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {local_workers()} CPU(s), Python {platform.python_version()}",
        "load_average_1min_after": round(load_after, 2),
        "parcels": n,
        "dem_cells": size * size,
        "dem_gb_float32": round(size * size * 4 / 1e9, 2),
        "workers": workers,
        "memory_limit": args.memory_limit,
        "seconds": round(seconds, 2),
        "parcels_per_s": round(n / seconds, 1),
        "parcels_per_s_per_worker": round(n / seconds / max(workers, 1), 1),
        "peak_rss_mb_per_worker": {w: round(v, 1) for w, v in sorted(stats.peak_rss_mb.items())},
        "same_as_single_process": bool(same and full_same is not False),
        "partitions_parcels_per_cpu_s": round(n / part_cpu.sum(), 1),
        "partitions_parcels_per_thread_cpu_s": round(n / part_thread.sum(), 1),
        "workers_parcels_per_cpu_s": round(n / sum(stats.worker_cpu_seconds.values()), 1),
        "partition_cpu_ms_per_parcel_first_on_worker": [round(float(c), 3) for c in first_cpu],
        "partition_cpu_ms_per_parcel_later": [round(float(c), 3) for c in later_cpu],
        "cluster_startup_s": round(stats.startup_s, 2),
        "parcels_per_s_after_startup": round(n / (seconds - stats.startup_s), 1),
        "sample_parcels": len(idx),
        "sample_one_process_measure_parcels_per_s": round(len(idx) / sample_one_s, 1),
        "sample_one_process_measure_parcels_per_cpu_s": round(len(idx) / sample_one_cpu, 1),
        "full_table_checked": full_same,
        "one_process_full_run": one_process,
        "context_s": round(context_s, 2),
        "steps_s": {k: round(v, 2) for k, v in run.summary.steps.items()},
        "partitions": len(part_s),
        "partition_size": args.partition_size,
        "partition_seconds": {
            "mean": round(float(part_s.mean()), 2),
            "median": round(float(np.median(part_s)), 2),
            "max": round(float(part_s.max()), 2),
            "sum": round(float(part_s.sum()), 1),
            "cpu_sum": round(float(part_cpu.sum()), 1),
            "thread_cpu_sum": round(float(part_thread.sum()), 1),
            "workers_cpu_sum": round(sum(stats.worker_cpu_seconds.values()), 1),
        },
        "client_s": {k: round(v, 3) for k, v in client.items()},
        "client_cpu_s": {k: round(v, 3) for k, v in stats.client_cpu_seconds.items()},
        "window_cells": {
            "median": int(np.median(stats.partition_cells)),
            "max": int(np.max(stats.partition_cells)),
            "sum": int(np.sum(stats.partition_cells)),
        },
        "serial_s": round(serial_s, 2),
        "projection": {
            "nodes": nodes,
            "workers_per_node": cores_per_node,
            "seconds": round(projected, 1),
            "method": "serial part (context, planning, scatter, scoring, measured here) + "
            "max(sum of measured partition seconds / (nodes × workers per node), longest partition)",
        },
        "projection_scaled": {
            "parcels": target,
            "nodes": nodes,
            "workers_per_node": cores_per_node,
            "fixed_s": round(fixed_s, 2),
            "client_per_parcel_s": round(client_per_parcel_s * scale, 2),
            "measuring_s": round(measuring, 1),
            "seconds": round(projected_target, 1),
            "method": "once per run (context, shared context, cluster start, scatter, close; measured) + "
            "the client's per-parcel steps (check, plan, submit, assemble, finish) × parcels ratio + "
            "max(parcels × measured partition seconds per parcel / workers, one partition of "
            "--partition-size)",
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
