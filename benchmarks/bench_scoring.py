"""Speed of batch scoring: the project's measures + scoring against a straightforward reference.

Builds a large synthetic zone in a temporary folder — by default 20,000 parcels on a
5,000 × 5,000 DEM with 10 m cells (50 × 50 km), a lattice of wiggly roads with a provincial
road S224, substations, water sources, wastewater plants, rivers with control lines, parks,
gates and a county seat — and times, in rounds:

* **project**: loading the zone context (layers checked, DEM read, slope computed once, road
  network noded, exclusion zones tiled), checking the parcels (``prepare_parcels``), then
  ``score_zone_parcels``: every measure column (slope statistics, earthwork, access, network
  distances, exclusion facts) and the suitability score — in one process, and with
  ``--workers N`` also measuring in N forked processes;
* **reference**: what an analyst writes naively — ``rasterstats.zonal_stats`` per parcel for
  slope mean/max on the same slope raster (written to disk beforehand, not timed) and
  ``GeoSeries.distance(parcel).min()`` per parcel to the nearest substation and road. It is
  timed on a random sample (``--sample``, default 1,000) and extrapolated to all parcels, unless
  ``--full-reference``.

Each round runs the project variant(s) and then the reference, so the ratio of a round compares
runs under about the same machine load (the machine may be shared). Prints parcels/s, the ratio
per round, and best and median over the rounds (``--repeat``, default 3); ``--profile`` adds
where the project's time goes (cProfile, by function) and ``--json FILE`` writes the numbers.
Run from the repository root::

    .venv/bin/python benchmarks/bench_scoring.py --workers 2     # 20,000 parcels, 5,000² DEM
    .venv/bin/python benchmarks/bench_scoring.py --repeat 1 --profile
    .venv/bin/python benchmarks/bench_scoring.py --parcels 2000 --dem-size 1000 --sample 300 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.raster import write_float_geotiff  # noqa: E402
from gis.slope import slope_array  # noqa: E402
from scoring.batch import DEFAULT_BATCH_SIZE, score_zone_parcels  # noqa: E402
from scoring.context import ZoneContext  # noqa: E402
from scoring.parcels import prepare_parcels  # noqa: E402
from scoring.zone import load_zone  # noqa: E402

CRS = "EPSG:4546"
ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"
CELL_M = 10.0
X0, Y0 = 500_000.0, 4_060_000.0  # lower-left corner of the DEM (EPSG:4546 metres)


# --------------------------------------------------------------------------- the synthetic zone


def make_dem(size: int, rng: np.random.Generator) -> np.ndarray:
    """Elevations (m, float32, north-up) of a hilly ``size`` × ``size`` DEM: a sum of waves of
    several wavelengths (slopes from flat valleys to > 15 % on the ridges)."""
    extent = size * CELL_M
    x = (np.arange(size, dtype=np.float32) + 0.5) * CELL_M
    y = extent - (np.arange(size, dtype=np.float32) + 0.5) * CELL_M
    z = np.full((size, size), 1100.0, dtype=np.float32)
    for amp, wave in ((120.0, 9000.0), (45.0, 2300.0), (14.0, 700.0), (4.0, 230.0)):
        a, b = rng.uniform(0, 2 * np.pi, 2)
        kx, ky = 2 * np.pi / wave * rng.uniform(0.7, 1.3, 2)
        z += np.float32(amp) * np.sin(kx * y[:, None] + a) * np.cos(ky * x[None, :] + b)
    return z


def wiggly(points: np.ndarray, rng: np.random.Generator, amp: float) -> shapely.LineString:
    """A line through ``points`` (n × 2) with smooth sideways noise of about ``amp`` metres."""
    d = np.diff(points, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.vstack([normal, normal[-1:]])
    noise = np.convolve(rng.normal(0, amp, len(points) + 4), np.ones(5) / 5, mode="valid")
    return shapely.LineString(points + normal * noise[:, None])


def make_layers(
    size: int,
    rng: np.random.Generator,
    *,
    origin: tuple[float, float] = (X0, Y0),
    crs: str = CRS,
) -> dict[str, gpd.GeoDataFrame]:
    """Roads, rivers, substations, water, places and parks over the DEM's extent (``size`` cells
    from the lower-left ``origin``, metres in ``crs``)."""
    x0, y0 = origin
    extent = size * CELL_M
    spacing = max(extent / 25, 500.0)  # about 25 × 25 roads on a 50 km zone
    roads, names, classes = [], [], []
    ticks = np.arange(spacing / 2, extent, spacing)
    along = np.linspace(0, extent, max(int(extent / 250), 3))
    for k, t in enumerate(ticks):
        for horizontal in (True, False):
            pts = np.stack(
                [along, np.full_like(along, t)] if horizontal else [np.full_like(along, t), along], axis=1
            )
            roads.append(wiggly(pts + [x0, y0], rng, 25.0))
            cls = "county" if k % 5 == 2 else "park"
            names.append(f"{'东西' if horizontal else '南北'}{k + 1}号路")
            classes.append(cls)
    diag = np.linspace([0, extent * 0.15], [extent, extent * 0.85], max(int(extent / 250), 3))
    roads.append(wiggly(diag + [x0, y0], rng, 40.0))
    names.append("S224")
    classes.append("provincial")
    roads_gdf = gpd.GeoDataFrame(
        {"road_id": [f"R{i:03d}" for i in range(len(roads))], "name": names, "class": classes},
        geometry=roads,
        crs=crs,
    )

    rivers = []
    for i in range(5):
        y = extent * (0.1 + 0.2 * i)
        pts = np.stack([along, y + 800 * np.sin(along / rng.uniform(2000, 5000) + i)], axis=1)
        rivers.append(wiggly(pts + [x0, y0], rng, 60.0))
    rivers_gdf = gpd.GeoDataFrame(
        {
            "river_id": [f"RV{i}" for i in range(5)],
            "name": ["段纯河", "回龙河", "大麦郊河", "双池河", "水头河"],
            "control_distance_m": [30.0, 40.0, 30.0, 50.0, 30.0],
        },
        geometry=rivers,
        crs=crs,
    )

    def points(n: int) -> np.ndarray:
        return shapely.points(rng.uniform(x0, x0 + extent, n), rng.uniform(y0, y0 + extent, n))

    n_sub = 30
    subs = gpd.GeoDataFrame(
        {
            "substation_id": [f"SS{i}" for i in range(n_sub)],
            "name": [f"{i}号变电站" for i in range(n_sub)],
            "voltage_kv": rng.choice([110.0, 35.0, 220.0], n_sub, p=[0.5, 0.4, 0.1]),
            "status": rng.choice(["in_service", "planned"], n_sub, p=[0.85, 0.15]),
        },
        geometry=points(n_sub),
        crs=crs,
    )
    n_w, n_ww = 40, 6
    water = gpd.GeoDataFrame(
        {
            "water_id": [f"W{i}" for i in range(n_w + n_ww)],
            "name": [f"{i}号水源" for i in range(n_w)] + [f"{i}号污水处理厂" for i in range(n_ww)],
            "kind": list(rng.choice(["well", "reservoir", "main"], n_w)) + ["wastewater_plant"] * n_ww,
        },
        geometry=points(n_w + n_ww),
        crs=crs,
    )
    n_gate = 20
    places = gpd.GeoDataFrame(
        {
            "place_id": ["seat"] + [f"G{i}" for i in range(n_gate)],
            "name": ["县城"] + [f"{i}号门" for i in range(n_gate)],
            "kind": ["county_seat"] + ["gate"] * n_gate,
        },
        geometry=points(1 + n_gate),
        crs=crs,
    )
    q = extent / 4
    parks = gpd.GeoDataFrame(
        {"park_id": ["a", "b", "c"], "name": ["甲园区", "乙园区", "丙园区"]},
        geometry=[
            shapely.box(x0 + 0.2 * q, y0 + 0.2 * q, x0 + 2.2 * q, y0 + 2.6 * q),
            shapely.box(x0 + 2.0 * q, y0 + 1.5 * q, x0 + 3.9 * q, y0 + 3.8 * q),
            shapely.box(x0 + 0.3 * q, y0 + 2.8 * q, x0 + 1.9 * q, y0 + 3.9 * q),
        ],
        crs=crs,
    )
    return {
        "parks": parks,
        "roads": roads_gdf,
        "rivers": rivers_gdf,
        "substations": subs,
        "water": water,
        "places": places,
    }


def make_parcels(
    n: int,
    size: int,
    rng: np.random.Generator,
    *,
    origin: tuple[float, float] = (X0, Y0),
    crs: str = CRS,
) -> gpd.GeoDataFrame:
    """``n`` rotated rectangles of 60–180 m sides on a lattice of 200 m pitch (random cells) over
    ``size`` cells from the lower-left ``origin`` (metres in ``crs``)."""
    x0, y0 = origin
    extent = size * CELL_M
    pitch = 200.0
    cols = int((extent - 400) // pitch)
    if cols * cols < n:
        raise SystemExit(f"{n} parcels do not fit on a {size} × {size} DEM; use fewer parcels")
    cells = rng.choice(cols * cols, n, replace=False)
    cx = x0 + 200 + (cells % cols + 0.5) * pitch
    cy = y0 + 200 + (cells // cols + 0.5) * pitch
    w = rng.uniform(60, 180, n)
    h = rng.uniform(60, 180, n)
    angle = rng.uniform(-0.3, 0.3, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    local = corners[None, :, :] * np.stack([w, h], axis=1)[:, None, :]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    xs = cx[:, None] + local[..., 0] * c - local[..., 1] * s
    ys = cy[:, None] + local[..., 0] * s + local[..., 1] * c
    geoms = shapely.polygons(np.stack([xs, ys], axis=2))
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:05d}" for i in range(n)], "status": "vacant"}, geometry=geoms, crs=crs
    )


# --------------------------------------------------------------------------- the two runs


def run_project(
    zone,
    layers,
    dem_path: Path,
    parcels: gpd.GeoDataFrame,
    *,
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    profile: bool = False,
):
    """Return (timings in s, scored parcels, profile text or None) of one end-to-end run."""
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    t0 = time.perf_counter()
    ctx = ZoneContext.build(zone, layers, [dem_path])
    t1 = time.perf_counter()
    prepared, _ = prepare_parcels(parcels, zone)
    t2 = time.perf_counter()
    run = score_zone_parcels(ctx, prepared, batch_size=batch_size, workers=workers)
    t3 = time.perf_counter()
    if prof:
        prof.disable()
    text = None
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(r"(gis|scoring)/", 40)
        text = buf.getvalue()
    timings = {
        "context": t1 - t0,
        "prepare_parcels": t2 - t1,
        "measure_and_score": t3 - t2,
        "total": t3 - t0,
        **{f"step_{k}": v for k, v in run.summary.steps.items()},
    }
    return timings, run.parcels, text


def run_reference(
    parcels: gpd.GeoDataFrame, slope_path: Path, layers: dict[str, gpd.GeoDataFrame]
) -> tuple[float, pd.DataFrame]:
    """The naive way: rasterstats per parcel, GeoSeries.distance per parcel. Returns seconds and
    the measures (slope mean/max °, distance to substation and road in m)."""
    from rasterstats import zonal_stats

    subs = layers["substations"]
    subs = subs[subs["status"] == "in_service"].geometry
    roads = layers["roads"].geometry
    t0 = time.perf_counter()
    stats = zonal_stats(list(parcels.geometry), str(slope_path), stats=["mean", "max"])
    d_sub = [subs.distance(g).min() for g in parcels.geometry]
    d_road = [roads.distance(g).min() for g in parcels.geometry]
    seconds = time.perf_counter() - t0
    out = pd.DataFrame(
        {
            "slope_mean_deg": [s["mean"] for s in stats],
            "slope_max_deg": [s["max"] for s in stats],
            "power_dist_m": d_sub,
            "road_dist_m": d_road,
        },
        index=parcels["parcel_id"],
    )
    return seconds, out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "best": round(min(values), 3),
        "median": round(float(np.median(values)), 3),
        "worst": round(max(values), 3),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=20_000)
    ap.add_argument("--dem-size", type=int, default=5_000, help="DEM side in cells (10 m)")
    ap.add_argument("--sample", type=int, default=1_000, help="parcels the reference is timed on")
    ap.add_argument("--full-reference", action="store_true", help="time the reference on every parcel")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds; each round runs the project (and with --workers the partitioned "
        "project) and then the reference, so each ratio compares runs under the "
        "same machine load; best and median are reported",
    )
    ap.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="parcels per measuring batch")
    ap.add_argument(
        "--workers", type=int, default=0, help="also run the project measuring in this many forked processes"
    )
    ap.add_argument(
        "--profile", action="store_true", help="print where the project's time goes (first round)"
    )
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    variants = {"1 process": 1} | ({f"{args.workers} processes": args.workers} if args.workers > 1 else {})

    with tempfile.TemporaryDirectory(prefix="parksite-bench-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        size = args.dem_size
        z = make_dem(size, rng)
        from affine import Affine
        from rasterio.crs import CRS as RioCRS

        transform = Affine(CELL_M, 0, X0, 0, -CELL_M, Y0 + size * CELL_M)
        dem_path = write_float_geotiff(tmp / "dem.tif", z, transform, RioCRS.from_user_input(CRS))
        slope = slope_array(z, CELL_M, -CELL_M, "degrees")
        slope_path = write_float_geotiff(tmp / "slope.tif", slope, transform, RioCRS.from_user_input(CRS))
        del z, slope
        layers = make_layers(size, rng)
        parcels = make_parcels(args.parcels, size, rng)
        zone = load_zone(ZONE_FILE)
        n = len(parcels)
        sample_n = n if args.full_reference else min(args.sample, n)
        sample_idx = np.sort(rng.choice(n, sample_n, replace=False))
        print(
            f"synthetic zone: {n:,} parcels, DEM {size:,} × {size:,} cells of {CELL_M:g} m, "
            f"{len(layers['roads'])} roads, {len(layers['substations'])} substations, "
            f"{len(layers['rivers'])} rivers (built in {time.perf_counter() - t:.1f} s, not timed)"
        )

        rounds: list[dict] = []
        prof_text, scored = None, {}
        for r in range(max(1, args.repeat)):
            row: dict = {"load_average_1min": round(_load(), 2)}
            for name, workers in variants.items():
                timings, out, text = run_project(
                    zone,
                    layers,
                    dem_path,
                    parcels,
                    workers=workers,
                    batch_size=args.batch_size,
                    profile=args.profile and r == 0,
                )
                prof_text = prof_text or text
                scored[name] = out
                row[name] = {k: round(v, 3) for k, v in timings.items()}
            ref_s, ref = run_reference(parcels.iloc[sample_idx], slope_path, layers)
            row["reference_sample_s"] = round(ref_s, 3)
            row["reference_extrapolated_s"] = round(ref_s / sample_n * n, 2)
            for name in variants:
                row[name]["ratio_total"] = round(row["reference_extrapolated_s"] / row[name]["total"], 1)
                row[name]["ratio_measure_and_score"] = round(
                    row["reference_extrapolated_s"] / row[name]["measure_and_score"], 1
                )
            rounds.append(row)
            print(
                f"round {r + 1}: load {row['load_average_1min']}; "
                + "; ".join(
                    f"project ({name}) {row[name]['total']:.2f} s end to end, "
                    f"{row[name]['measure_and_score']:.2f} s measure+score → "
                    f"{row[name]['ratio_total']}× / {row[name]['ratio_measure_and_score']}×"
                    for name in variants
                )
                + f"; reference {row['reference_extrapolated_s']:.1f} s for {n:,}",
                flush=True,
            )

        # Same numbers? (the reference uses all_touched=False cell centres, the project exact
        # coverage: means differ a little; distances must agree.) And the partitioned run must
        # give what one process gives.
        mine = scored["1 process"].set_index("parcel_id").loc[ref.index]
        agree = {
            "power_dist_m_max_abs_diff": float(np.nanmax(np.abs(mine["power_dist_m"] - ref["power_dist_m"]))),
            "road_dist_m_max_abs_diff": float(np.nanmax(np.abs(mine["road_dist_m"] - ref["road_dist_m"]))),
            "slope_mean_deg_median_abs_diff": float(
                np.nanmedian(np.abs(mine["slope_mean_deg"] - ref["slope_mean_deg"]))
            ),
        }
        if len(variants) > 1:
            a, b = (scored[k].drop(columns="geometry") for k in variants)
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
            agree["partitioned_equals_one_process"] = True

    result: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {_cpus()} CPU(s), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        "parcels": n,
        "dem_cells": size * size,
        "batch_size": args.batch_size,
        "rounds": len(rounds),
        "reference_sample": sample_n,
        "load_average_1min": [r["load_average_1min"] for r in rounds],
        "reference_extrapolated_s": _summary([r["reference_extrapolated_s"] for r in rounds]),
        "runs": rounds,
        "agreement": agree,
    }
    ref_best = min(r["reference_extrapolated_s"] for r in rounds)
    ref_median = float(np.median([r["reference_extrapolated_s"] for r in rounds]))
    for name in variants:
        tot = [r[name]["total"] for r in rounds]
        ms = [r[name]["measure_and_score"] for r in rounds]
        result[name] = {
            "total_s": _summary(tot),
            "measure_and_score_s": _summary(ms),
            "parcels_per_s_best": round(n / min(tot), 1),
            "ratio_total": {
                "best_of_best": round(ref_best / min(tot), 1),
                "median_of_medians": round(ref_median / float(np.median(tot)), 1),
                "per_round": [r[name]["ratio_total"] for r in rounds],
            },
            "ratio_measure_and_score": {
                "best_of_best": round(ref_best / min(ms), 1),
                "median_of_medians": round(ref_median / float(np.median(ms)), 1),
                "per_round": [r[name]["ratio_measure_and_score"] for r in rounds],
            },
            "steps_best_round": min((r[name] for r in rounds), key=lambda t: t["total"]),
        }

    print(f"\n{n:,} parcels, {len(rounds)} round(s), load average {result['load_average_1min']}")
    print(
        f"reference (rasterstats slope mean/max + GeoSeries.distance to substation and road), "
        f"{'all parcels' if sample_n == n else f'{sample_n:,} sampled, extrapolated'}: "
        f"best {ref_best:.1f} s ({n / ref_best:,.0f} parcels/s), median {ref_median:.1f} s"
    )
    for name in variants:
        v = result[name]
        best = v["steps_best_round"]
        print(
            f"\nproject, {name}: end to end best {v['total_s']['best']:.2f} s ({v['parcels_per_s_best']:,.0f} "
            f"parcels/s), median {v['total_s']['median']:.2f} s; measure+score best "
            f"{v['measure_and_score_s']['best']:.2f} s, median {v['measure_and_score_s']['median']:.2f} s"
        )
        for k, sec in best.items():
            if not k.startswith("ratio"):
                print(f"  {k:<24} {sec:8.2f} s")
        print(
            f"  ratio reference / project, end to end: best {v['ratio_total']['best_of_best']}×, median "
            f"{v['ratio_total']['median_of_medians']}×, per round {v['ratio_total']['per_round']}"
        )
        print(
            f"  ratio, measure+score: best {v['ratio_measure_and_score']['best_of_best']}×, median "
            f"{v['ratio_measure_and_score']['median_of_medians']}×, per round "
            f"{v['ratio_measure_and_score']['per_round']}"
        )
        ok = v["total_s"]["median"] < 5.0 and v["ratio_total"]["median_of_medians"] >= 20
        print(f"  target (≥ 20× and < 5 s end to end, on the medians): {'met' if ok else 'NOT met'}")
    print(f"\nagreement on the sample: {agree}")
    if prof_text:
        print(
            "\nwhere the project's time goes (cProfile, first round, cumulative, gis/ and scoring/ functions):"
        )
        print(prof_text)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def _load() -> float:
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    main()
