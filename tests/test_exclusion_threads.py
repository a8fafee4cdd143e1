"""Issue 16: a segfault under concurrency. The exclusion zones of a zone (tiled river control
zones, park union) are built once and shared by every request and job thread; they were GEOS
*prepared* geometries, which are not thread-safe (a prepared polygon builds its indexes on first
use), and two threads measuring at once crashed the server process. Each thread now measures
with copies of its own (``ExclusionZones.own``).

The concurrent work runs in a process of its own (``tests/thread_probe.py``), so that a crash is
an exit code here (−11, SIGSEGV) rather than the end of the test run. Before the fix the first
test crashed on every run (8 threads × 10 rounds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import shapely

from gis.exclusion import exclusion_zones, measure_exclusion
from tests.thread_probe import grid_parcels, wiggly_layers

ROOT = Path(__file__).resolve().parent.parent


def run_probe(*args: str, timeout: float = 240) -> dict:
    """Run ``python -m tests.thread_probe ARGS``; return its JSON (fails on a crash)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.thread_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"probe exited {proc.returncode} (−11: segfault)\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_measuring_from_many_threads_at_once_neither_crashes_nor_differs():
    out = run_probe("exclusion", "8", "10")
    assert out == {"ok": True, "same": True}


def test_each_thread_measures_with_its_own_prepared_copies():
    import threading

    rivers, parks = wiggly_layers()
    zones = exclusion_zones(rivers, parks, tile_m=100.0)
    # the shared zones are never prepared: only copies are
    assert not shapely.is_prepared(zones.river_pieces).any() and not shapely.is_prepared(zones.park_zone)
    mine = zones.own()
    assert mine is zones.own()  # kept for the thread's next calls
    assert shapely.is_prepared(mine.river_pieces).all() and shapely.is_prepared(mine.park_zone)
    assert shapely.equals(mine.river_pieces, zones.river_pieces).all()
    assert mine.river_pieces[0] is not zones.river_pieces[0]
    other: list = []
    t = threading.Thread(target=lambda: other.append(zones.own()))
    t.start()
    t.join()
    assert other[0] is not mine and other[0].river_pieces[0] is not mine.river_pieces[0]


def test_shares_are_those_of_the_layers():
    """The copies measure what the originals would: a parcel wholly inside the park and away from
    the river, one across the river's 30 m control strip, one outside the park."""
    rivers, parks = wiggly_layers()
    zones = exclusion_zones(rivers, parks, tile_m=100.0)
    parcels = grid_parcels(40, 3)
    got = measure_exclusion(parcels, zones=zones)
    expected_river = shapely.area(
        shapely.intersection(
            parcels.geometry.to_numpy(), shapely.buffer(rivers.geometry.iloc[0], 30.0, cap_style="flat")
        )
    ) / shapely.area(parcels.geometry.to_numpy())
    expected_out = (
        1 - shapely.area(shapely.intersection(parcels.geometry.to_numpy(), parks.geometry.iloc[0])) / 1600.0
    )
    assert np.allclose(got["river_share"], expected_river, atol=1e-9)
    assert np.allclose(got["outside_park_share"], expected_out, atol=1e-9)
