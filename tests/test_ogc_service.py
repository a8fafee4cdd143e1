"""OGC API – Features on the small synthetic zone (tests/conftest.py), through FastAPI's client.

Four 100 m × 100 m parcels near (540 000, 4 090 000) in EPSG:4546: SC-0001 spans
x 540 100–540 200, y 4 090 100–4 090 200, so its corners are hand-known in the storage CRS;
EPSG:4546 lists Northing first, so they come out as [northing, easting].
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pyproj import Transformer

from app.db.models import ParcelRow, ParcelScoreRow, ScoreRunRow
from app.ogc import mount
from app.ogc.crs import CRS84_URI, EPSG_URI
from app.ogc.router import CONFORMANCE
from tests.conftest import X0, Y0

E4546 = EPSG_URI.format(code=4546)
E4326 = EPSG_URI.format(code=4326)
TO_LONLAT = Transformer.from_crs("EPSG:4546", "OGC:CRS84", always_xy=True)


def make_client(factory, **options) -> TestClient:
    def get_session():
        with factory() as session:
            yield session

    app = FastAPI()
    mount(app, get_session=get_session, **options)
    return TestClient(app)


@pytest.fixture
def client(zone_db) -> TestClient:
    return make_client(zone_db, default_limit=3, max_limit=3)


def corners(feature: dict) -> set[tuple[float, float]]:
    (ring, *_), *_ = feature["geometry"]["coordinates"]
    return {tuple(c) for c in ring}


def lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_LONLAT.transform(x, y)


# --------------------------------------------------------------------------- capabilities


def test_landing_page_links(client):
    r = client.get("/ogc")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    links = {(lk["rel"], lk["type"]): lk["href"] for lk in r.json()["links"]}
    base = "http://testserver/ogc"
    assert links[("self", "application/json")] == f"{base}?f=json"
    assert links[("alternate", "text/html")] == f"{base}?f=html"
    assert links[("service-desc", "application/vnd.oai.openapi+json;version=3.0")] == f"{base}/api"
    assert links[("service-doc", "text/html")] == f"{base}/api?f=html"
    assert links[("conformance", "application/json")] == f"{base}/conformance?f=json"
    assert links[("data", "application/json")] == f"{base}/collections?f=json"
    assert links[("enclosure", "application/geopackage+sqlite3")] == "http://testserver/api/v1/exports/gpkg"
    assert "交口经济技术开发区" in r.json()["title"]


def test_conformance_declares_exactly_what_is_implemented(client):
    assert client.get("/ogc/conformance").json() == {
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        ]
    }
    assert list(CONFORMANCE) == client.get("/ogc/conformance?f=json").json()["conformsTo"]


def test_collections_list_crs_and_storage_crs(client):
    doc = client.get("/ogc/collections").json()
    assert [c["id"] for c in doc["collections"]] == [
        "parks",
        "clusters",
        "parcels",
        "roads",
        "rivers",
        "substations",
        "water",
    ]
    parcels = next(c for c in doc["collections"] if c["id"] == "parcels")
    assert parcels["crs"] == [CRS84_URI, E4546, E4326, EPSG_URI.format(code=4490)]
    assert parcels["storageCrs"] == E4546
    # Parcels span x 537 100 … 540 700, y 4 090 100 … 4 090 400 in EPSG:4546 (ST-0001 … SC-0003):
    # the CRS84 extent is the box around that rectangle's outline, so it holds every corner.
    west, south, east, north = parcels["extent"]["spatial"]["bbox"][0]
    assert parcels["extent"]["spatial"]["crs"] == CRS84_URI
    want = TO_LONLAT.transform_bounds(X0 - 2900, Y0 + 100, X0 + 700, Y0 + 400, densify_pts=21)
    assert [west, south, east, north] == pytest.approx(list(want), abs=1e-9)
    for x, y in [(X0 - 2900, Y0 + 100), (X0 + 700, Y0 + 400), (X0 - 2900, Y0 + 400), (X0 + 700, Y0 + 100)]:
        lon, lat = lonlat(x, y)
        assert west <= lon <= east and south <= lat <= north
    assert 111.4 < west < east < 111.5 and 36.9 < south < north < 37.0  # 40 km east of CM 111°E
    rels = {(lk["rel"], lk["type"]) for lk in parcels["links"]}
    assert {
        ("items", "application/geo+json"),
        ("items", "text/html"),
        ("describedby", "application/schema+json"),
        ("self", "application/json"),
    } <= rels


def test_collection_and_schema(client):
    doc = client.get("/ogc/collections/roads").json()
    assert doc["id"] == "roads" and doc["itemType"] == "feature"
    schema = client.get("/ogc/collections/parcels/schema")
    assert schema.headers["content-type"] == "application/schema+json"
    props = schema.json()["properties"]["properties"]["properties"]
    assert {k: props[k]["type"] for k in ("parcel_id", "area_mu", "version", "score", "excluded")} == {
        "parcel_id": "string",
        "area_mu": "number",
        "version": "integer",
        "score": "number",
        "excluded": "boolean",
    }


def test_openapi_document(zone_db):
    client = make_client(zone_db, default_limit=10, max_limit=50)
    r = client.get("/ogc/api")
    assert r.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [{"url": "http://testserver/ogc"}]
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"], limit["minimum"]) == (10, 50, 1)
    items = doc["paths"]["/collections/parcels/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in items
    assert doc["components"]["parameters"]["crs"]["schema"]["enum"][:2] == [CRS84_URI, E4546]

    def refs(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    yield v
                else:
                    yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)

    for ref in set(refs(doc)):  # every local reference resolves
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


# --------------------------------------------------------------------------- items


def test_paging_with_next_and_prev_links(client):
    first = client.get("/ogc/collections/parcels/items")
    doc = first.json()
    assert first.headers["content-type"] == "application/geo+json"
    assert (doc["numberMatched"], doc["numberReturned"]) == (4, 3)
    assert [f["id"] for f in doc["features"]] == ["SC-0001", "SC-0002", "SC-0003"]
    links = {lk["rel"]: lk for lk in doc["links"]}
    assert "prev" not in links and links["next"]["type"] == "application/geo+json"
    assert links["next"]["href"] == "http://testserver/ogc/collections/parcels/items?limit=3&offset=3&f=json"
    second = client.get(links["next"]["href"]).json()
    assert (second["numberMatched"], second["numberReturned"]) == (4, 1)
    assert [f["id"] for f in second["features"]] == ["ST-0001"]
    links2 = {lk["rel"]: lk["href"] for lk in second["links"]}
    assert "next" not in links2
    assert links2["prev"] == "http://testserver/ogc/collections/parcels/items?limit=3&offset=0&f=json"


def test_limit_above_maximum_is_served_as_maximum(client):
    doc = client.get("/ogc/collections/parcels/items?limit=1000").json()
    assert doc["numberReturned"] == 3
    assert "limit=3&offset=3" in next(lk["href"] for lk in doc["links"] if lk["rel"] == "next")


@pytest.mark.parametrize(
    "crs, expected",
    [
        (None, "lonlat"),
        (CRS84_URI, "lonlat"),
        (E4326, "latlon"),
        ("EPSG:4326", "latlon"),
        (E4546, "northing_easting"),
    ],
)
def test_axis_order_follows_the_crs(client, crs, expected):
    q = "" if crs is None else f"?crs={crs}"
    r = client.get(f"/ogc/collections/parcels/items/SC-0001{q}")
    assert r.status_code == 200
    uri = {None: CRS84_URI, "EPSG:4326": E4326}.get(crs, crs)
    assert r.headers["content-crs"] == f"<{uri}>"
    xy = [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 100, Y0 + 200)]
    if expected == "northing_easting":
        assert corners(r.json()) == {(y, x) for x, y in xy}
        return
    got = sorted(corners(r.json()))
    want = sorted(lonlat(x, y) if expected == "lonlat" else lonlat(x, y)[::-1] for x, y in xy)
    assert got == [pytest.approx(w, abs=1e-9) for w in want]


@pytest.mark.parametrize(
    "query, ids",
    [
        # CRS84 box around SC-0001's centre (lon/lat order)
        ("bbox={a},{b},{c},{d}", ["SC-0001"]),
        # the same place in EPSG:4546, in its axis order: northing, easting
        (f"bbox={Y0 + 140},{X0 + 140},{Y0 + 160},{X0 + 160}&bbox-crs={E4546}", ["SC-0001"]),
        # a strip through SC-0001 and SC-0002 (y 4 090 150), west of ST-0001's x: nothing of ST-0001
        (f"bbox={Y0 + 150},{X0},{Y0 + 151},{X0 + 1000}&bbox-crs={E4546}", ["SC-0001", "SC-0002"]),
        # six numbers: heights dropped
        (f"bbox={Y0 + 140},{X0 + 140},0,{Y0 + 160},{X0 + 160},100&bbox-crs={E4546}", ["SC-0001"]),
        # outside EPSG:4546's area of use (109.5–112.5°E): matches nothing, not an error
        ("bbox=10,10,11,11", []),
    ],
)
def test_bbox_filter(client, query, ids):
    (a, b), (c, d) = lonlat(X0 + 140, Y0 + 140), lonlat(X0 + 160, Y0 + 160)
    doc = client.get(f"/ogc/collections/parcels/items?{query.format(a=a, b=b, c=c, d=d)}").json()
    assert [f["id"] for f in doc["features"]] == ids
    assert doc["numberMatched"] == len(ids)


@pytest.mark.parametrize(
    "query, where",
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("limit=2&limit=3", "more than once"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=1,2,nan,4", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=111,37,110,38&bbox-crs=" + E4546, "lower corner"),
        ("bbox=111,95,112,96", "latitude"),
        ("crs=http://www.opengis.net/def/crs/EPSG/0/3857", "crs"),
        ("crs=nonsense", "crs"),
        ("bbox-crs=EPSG:32649&bbox=1,2,3,4", "bbox-crs"),
        ("f=xml", "f="),
        ("foo=1", "unknown query parameter"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2024-02-01/2024-01-01", "start is after the end"),
    ],
)
def test_invalid_parameters_are_400(client, query, where):
    r = client.get(f"/ogc/collections/parcels/items?{query}")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "InvalidParameterValue" and where in body["description"]


def test_valid_datetime_is_accepted(client):
    for value in ("2024-05-01T00:00:00Z", "2024-01-01/2024-12-31", "../2024-12-31", "2024-01-01/.."):
        assert client.get(f"/ogc/collections/parcels/items?datetime={value}").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/ogc/collections/lakes", "/ogc/collections/lakes/items", "/ogc/collections/parcels/items/XX-9999"],
)
def test_not_found_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_feature_properties_keep_chinese_text(client):
    doc = client.get("/ogc/collections/parcels/items/SC-0002").json()
    p = doc["properties"]
    assert (p["parcel_id"], p["park"], p["cluster"], p["status"], p["enterprise"], p["land_use"]) == (
        "SC-0002",
        "shuangchi",
        "sc-smart",
        "existing",
        "天鹏冶炼",
        "M3",
    )
    assert p["area_m2"] == 10_000.0 and p["area_mu"] == pytest.approx(15.0)
    assert p["score"] is None and p["score_class"] is None and p["score_run"] is None
    assert {lk["rel"] for lk in doc["links"]} == {"self", "alternate", "collection"}
    roads = client.get("/ogc/collections/roads/items").json()["features"]
    assert roads[0]["properties"] == {
        "road_id": "R1",
        "name": "S224",
        "class": "provincial",
        "lanes": 2,
        "speed_kmh": 60.0,
    }
    water = client.get("/ogc/collections/water/items").json()["features"]
    assert {f["geometry"]["type"] for f in water} == {"Point", "LineString"}


def test_parcels_carry_the_latest_finished_score_run(zone_db):
    t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    with zone_db.begin() as s:
        ids = {p.parcel_id: p.id for p in s.query(ParcelRow)}
        runs = [
            ScoreRunRow(zone_id="jiaokou", config_sha256="x", status="done", finished_at=t),
            ScoreRunRow(
                zone_id="jiaokou", config_sha256="x", status="done", finished_at=t + dt.timedelta(days=1)
            ),
            ScoreRunRow(zone_id="jiaokou", config_sha256="x", status="running"),
        ]
        s.add_all(runs)
        s.flush()
        for run, score in zip(runs, (10.0, 72.5, 99.0)):
            s.add(
                ParcelScoreRow(
                    run_id=run.id,
                    parcel_id=ids["SC-0001"],
                    score=score,
                    score_class="良",
                    excluded=False,
                    reasons=[],
                )
            )
        s.add(
            ParcelScoreRow(
                run_id=runs[1].id,
                parcel_id=ids["SC-0003"],
                score=None,
                score_class="排除",
                excluded=True,
                reasons=["位于回龙河治导线内", {"message": "坡度超限"}],
            )
        )
        latest = runs[1].id
    client = make_client(zone_db)
    feats = {
        f["id"]: f["properties"] for f in client.get("/ogc/collections/parcels/items").json()["features"]
    }
    assert (
        feats["SC-0001"]["score"],
        feats["SC-0001"]["score_class"],
        feats["SC-0001"]["excluded"],
        feats["SC-0001"]["score_run"],
        feats["SC-0001"]["scored_at"],
    ) == (72.5, "良", False, latest, "2025-03-02T00:00:00Z")
    assert (feats["SC-0003"]["excluded"], feats["SC-0003"]["reasons"]) == (
        True,
        "位于回龙河治导线内；坡度超限",
    )
    assert feats["SC-0002"]["score"] is None and feats["SC-0002"]["score_run"] is None


# --------------------------------------------------------------------------- HTML and negotiation


@pytest.mark.parametrize(
    "path",
    [
        "/ogc",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/parcels",
        "/ogc/collections/parcels/items",
        "/ogc/collections/parcels/items/SC-0002",
    ],
)
def test_every_resource_has_html(client, path):
    r = client.get(path, params={"f": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text


def test_html_items_page_shows_features_and_paging(client):
    r = client.get("/ogc/collections/parcels/items?f=html&crs=" + E4546)
    assert r.headers["content-crs"] == f"<{E4546}>"
    assert "SC-0002" in r.text and "天鹏冶炼" in r.text and "面积（亩）" in r.text
    assert "offset=3" in r.text and "4 个要素" in r.text


@pytest.mark.parametrize(
    "accept, kind",
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/geo+json, application/json", "application/geo+json"),
        ("application/json", "application/geo+json"),
        ("*/*", "application/geo+json"),
        ("text/html;q=0.1, application/json", "application/geo+json"),
    ],
)
def test_accept_negotiation(client, accept, kind):
    r = client.get("/ogc/collections/parcels/items", headers={"Accept": accept})
    assert r.headers["content-type"].startswith(kind)
    assert r.headers["vary"] == "Accept"


def test_f_wins_over_accept(client):
    r = client.get("/ogc/collections?f=json", headers={"Accept": "text/html"})
    assert r.headers["content-type"] == "application/json"


def test_html_escapes_script_breaking_text(zone_db):
    with zone_db.begin() as s:
        s.query(ParcelRow).filter_by(parcel_id="SC-0001").update({"enterprise": "</script><b>x"})
    r = make_client(zone_db).get("/ogc/collections/parcels/items?f=html")
    assert "</script><b>" not in r.text and "&lt;/script&gt;&lt;b&gt;x" in r.text


def test_mounts_on_the_api_application(zone_db, db_url):
    """The API colleague's ``create_app`` with ``mount(app, get_session=db_session)``."""
    from app.api.deps import db_session
    from app.api.factory import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=db_url, public_reads="exports"))  # exports open to all
    mount(app, get_session=db_session)
    client = TestClient(app)
    doc = client.get("/ogc/collections/parcels/items").json()
    assert doc["numberMatched"] == 4 and doc["features"][1]["properties"]["enterprise"] == "天鹏冶炼"
    assert client.get("/api/v1/exports/csv").content.startswith(b"\xef\xbb\xbf")
    assert client.get("/ogc/collections/parcels/items?limit=0").status_code == 400


def test_the_services_transformers_are_pipelines_with_the_same_results():
    """pyproj remakes a shared transformer in every thread that uses it; one built from its
    PROJ pipeline does so without searching the PROJ database (app.ogc.crs._transformer).
    The pipeline gives what ``from_crs`` gives: 111° E, 37° N is x = 500 km on the central
    meridian of EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E)."""
    import threading

    from app.ogc.crs import _pipeline, uri_for

    t = _pipeline(CRS84_URI, uri_for("EPSG:4546"))
    assert t.definition.startswith("proj=pipeline") and t.source_crs is None  # built from the pipeline
    direct = Transformer.from_crs("OGC:CRS84", "EPSG:4546", always_xy=True)
    out: list[tuple[float, float]] = []
    th = threading.Thread(target=lambda: out.append(t.transform(111.0, 37.0)))  # another thread
    th.start()
    th.join()
    assert out[0] == direct.transform(111.0, 37.0) and abs(out[0][0] - 500000.0) < 1e-6
