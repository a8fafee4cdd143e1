"""Real clients against a live server: GDAL's OAPIF driver (pyogrio's GDAL, and Debian's ogrinfo).

The sample Jiaokou zone (395 parcels) is imported into a temporary SpatiaLite file with the
importer, given a synthetic score run, and served by uvicorn (``app.ogc.standalone``) in a
subprocess on a free 127.0.0.1 port with pages of at most 100 features: GDAL reads the page size
from the API definition and must follow ``next`` links through 4 pages.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from sqlalchemy import select

from app.db.engine import make_engine, session_factory
from app.db.importer import import_zone, sample_sources
from app.db.layers import load_layer
from app.db.models import ParcelRow, ParcelScoreRow, ScoreRunRow
from app.db.schema import upgrade
from app.settings import ROOT

PAGE = 100
COLLECTIONS = ["parks", "clusters", "parcels", "roads", "rivers", "substations", "water"]
E4546 = "http://www.opengis.net/def/crs/EPSG/0/4546"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    """URL of a SpatiaLite file holding the sample zone and one finished score run."""
    path = tmp_path_factory.mktemp("ogc") / "parksite.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    import_zone(factory, sample_sources(), user="test")
    with factory.begin() as s:
        run = ScoreRunRow(zone_id="jiaokou", config_sha256="test", status="done")
        s.add(run)
        s.flush()
        for i, pid in enumerate(s.scalars(select(ParcelRow.id).order_by(ParcelRow.parcel_id))):
            excluded = i % 9 == 0
            s.add(
                ParcelScoreRow(
                    run_id=run.id,
                    parcel_id=pid,
                    score=None if excluded else float(i % 100),
                    score_class="排除" if excluded else "良",
                    excluded=excluded,
                    reasons=["位于河道治导线内"] if excluded else [],
                )
            )
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    """Base URL of the live service; the access log lists the requests GDAL made."""
    port = _free_port()
    log = tmp_path_factory.mktemp("log") / "access.log"
    env = {**os.environ, "PARKSITE_DATABASE_URL": sample_db, "PARKSITE_OGC_MAX_LIMIT": str(PAGE)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.ogc.standalone:create_ogc_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/ogc"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/conformance", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the server stopped: {log.read_text()}")
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield {"base": base, "log": log}
    finally:
        proc.terminate()
        proc.wait(10)


def requests_since(log: Path, start: int) -> list[str]:
    """Return the paths+queries of GET requests logged after byte ``start``."""
    text = log.read_text()[start:]
    return re.findall(r'"GET (\S+) HTTP/1\.1" 200', text)


@pytest.fixture(scope="module")
def db_parcels(sample_db) -> gpd.GeoDataFrame:
    engine = make_engine(sample_db)
    with session_factory(engine)() as s:
        gdf = load_layer(s, "jiaokou", "parcels")
    engine.dispose()
    return gdf.set_index("parcel_id").sort_index()


def test_gdal_lists_the_collections(server):
    layers = pyogrio.list_layers(f"OAPIF:{server['base']}")
    assert [str(n) for n, _ in layers] == COLLECTIONS
    assert dict((str(n), str(g)) for n, g in layers)["parcels"] == "MultiPolygon"


@pytest.mark.parametrize(
    "crs_option, crs_param, target",
    [
        (None, E4546, "EPSG:4546"),  # GDAL's default: the storage CRS
        ("EPSG:4546", E4546, "EPSG:4546"),
        ("OGC:CRS84", CRS84, "OGC:CRS84"),
        # CGCS2000 geographic: latitude first by its definition; GDAL swaps back to GIS order
        ("EPSG:4490", "http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490"),
    ],
)
def test_gdal_reads_every_parcel_across_pages(server, db_parcels, crs_option, crs_param, target):
    start = server["log"].stat().st_size
    opts = {} if crs_option is None else {"CRS": crs_option}
    df = pyogrio.read_dataframe(f"OAPIF:{server['base']}", layer="parcels", **opts)
    # none missing, none repeated
    assert len(df) == len(db_parcels) == 395
    assert df["parcel_id"].is_unique
    assert sorted(df["parcel_id"]) == list(db_parcels.index)
    df = df.set_index("parcel_id").sort_index()
    # Chinese text and scores survive
    assert df["enterprise"].fillna("").tolist() == db_parcels["enterprise"].fillna("").tolist()
    assert (df["score_class"] == "排除").sum() == 44 and df.loc["SC-0001", "reasons"] == "位于河道治导线内"
    # geometry: the stored polygons, in the requested CRS (GDAL returns GIS order)
    want = db_parcels.geometry.to_crs(target)
    tol = 1e-3 if target == "EPSG:4546" else 1e-8
    dist = shapely.hausdorff_distance(np.asarray(df.geometry.array), np.asarray(want.array))
    assert float(dist.max()) < tol
    # GDAL paged through the items (pages of at most 100: our declared maximum, also when it
    # asked for more) following the next links, and asked for the CRS on every page
    items = [
        r for r in requests_since(server["log"], start) if r.startswith("/ogc/collections/parcels/items")
    ]
    offsets = sorted({int(m) for r in items for m in re.findall(r"[?&]offset=(\d+)", r)})
    assert offsets == [100, 200, 300]
    crs_q = crs_param.replace(":", "%3A").replace("/", "%2F")
    assert all(crs_q in r or crs_param in r for r in items if "offset=" in r)


@pytest.mark.parametrize("target", ["OGC:CRS84", "EPSG:4546"])
def test_gdal_bbox_filter(server, db_parcels, target):
    geoms = db_parcels.geometry.to_crs(target)
    minx, miny, maxx, maxy = geoms.total_bounds
    box = (minx + 0.6 * (maxx - minx), miny, maxx, miny + 0.5 * (maxy - miny))
    expected = sorted(db_parcels.index[geoms.intersects(shapely.box(*box))])
    assert 20 < len(expected) < 395
    start = server["log"].stat().st_size
    df = pyogrio.read_dataframe(f"OAPIF:{server['base']}", layer="parcels", CRS=target, bbox=box)
    assert sorted(df["parcel_id"]) == expected and df["parcel_id"].is_unique
    items = [r for r in requests_since(server["log"], start) if "bbox=" in r]
    assert items and all("bbox-crs=" in r for r in items)


def test_gdal_reads_infrastructure_with_chinese_names(server):
    rivers = pyogrio.read_dataframe(f"OAPIF:{server['base']}", layer="rivers", CRS="OGC:CRS84")
    assert sorted(rivers["name"]) == sorted(["段纯河", "回龙河", "大麦郊河"])
    water = pyogrio.read_dataframe(f"OAPIF:{server['base']}", layer="water")
    assert set(water.geom_type) == {"Point", "LineString"}


def test_debian_ogrinfo_reads_the_service(server, db_parcels):
    url = f"OAPIF:{server['base']}"
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-so", url, "parcels"], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "Feature Count: 395" in summary and "TITLE=地块 Parcels" in summary
    every = subprocess.run(
        ["ogrinfo", "-ro", "-q", url, "parcels"], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    ids = re.findall(r"parcel_id \(String\) = (\S+)", every)
    assert sorted(ids) == list(db_parcels.index)
    lonlat = db_parcels.geometry.to_crs("OGC:CRS84")
    box = (111.45, 36.91, 111.5, 36.94)
    filtered = subprocess.run(
        ["ogrinfo", "-ro", "-q", "-spat", *map(str, box), url, "parcels"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    got = sorted(re.findall(r"parcel_id \(String\) = (\S+)", filtered))
    assert got == sorted(db_parcels.index[lonlat.intersects(shapely.box(*box))])
