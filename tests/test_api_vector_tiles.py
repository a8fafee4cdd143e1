"""Vector tiles (MVT) on both backends: PostGIS' ST_AsMVT and SpatiaLite's Python encoding decode
(with mapbox-vector-tile) to the same features with the same attributes; a parcel lies in the tile
the slippy-map formula names and not in a neighbour; an edit changes the data version, the ETag
and the tile; bad addresses are 400.

SC-0001 is the square X0 + 100 … X0 + 200, Y0 + 100 … Y0 + 200 (EPSG:4546); at zoom 16 a tile is
611.5 m of web mercator (about 490 m on the ground here) and the clip buffer 1/16 of it.
"""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, shape

from tests.api_fixtures import auth
from tests.conftest import X0, Y0

TO_LONLAT = Transformer.from_crs("EPSG:4546", "EPSG:4326", always_xy=True)
TO_MERC = Transformer.from_crs("EPSG:4546", "EPSG:3857", always_xy=True)
ORIGIN = 20037508.342789244
SC_0001 = (X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
Z = 16


def slippy_tile(x: float, y: float, z: int) -> tuple[int, int]:
    """The XYZ tile of zone point (x, y): the OSM slippy-map formula on longitude and latitude."""
    lon, lat = TO_LONLAT.transform(x, y)
    n = 2**z
    lat_r = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(lat_r)) / math.pi) / 2 * n)


def merc_bounds(z: int, tx: int, ty: int) -> tuple[float, float, float, float]:
    size = 2 * ORIGIN / 2**z
    return -ORIGIN + tx * size, ORIGIN - (ty + 1) * size, -ORIGIN + (tx + 1) * size, ORIGIN - ty * size


def features(client, layer: str, z: int, tx: int, ty: int) -> list[dict]:
    r = client.get(f"/api/v1/tiles/{layer}/{z}/{tx}/{ty}.mvt")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(r.content)
    assert set(decoded) <= {layer}
    return decoded[layer]["features"] if layer in decoded else []


def by_key(feats: list[dict], key: str) -> dict[str, dict]:
    return {f["properties"][key]: f for f in feats}


def test_parcel_tile_holds_the_parcel_with_its_attributes(ro_client):
    cx, cy = (SC_0001[0] + SC_0001[2]) / 2, (SC_0001[1] + SC_0001[3]) / 2
    tx, ty = slippy_tile(cx, cy, Z)
    feats = by_key(features(ro_client, "parcels", Z, tx, ty), "parcel_id")
    assert "SC-0001" in feats
    f = feats["SC-0001"]
    # the attributes are the parcel's as the API reads it (score of the newest run)
    p = ro_client.get("/api/v1/parcels/SC-0001").json()["properties"]
    expected = {k: p[k] for k in ("parcel_id", "park", "cluster", "status", "class", "excluded", "version")}
    assert {k: f["properties"][k] for k in expected} == expected
    assert f["properties"]["score"] == pytest.approx(p["score"], abs=1e-9)
    assert f["properties"]["cluster"] == "sc-almg" and f["properties"]["status"] == "vacant"
    # the geometry: the square's four corners in tile units (4096 per side, y up as decoded),
    # clipped to the tile and its buffer of 256 units
    left, bottom, right, top = merc_bounds(Z, tx, ty)
    unit = (right - left) / 4096
    corners = [
        TO_MERC.transform(x, y)
        for x, y in (
            (SC_0001[0], SC_0001[1]),
            (SC_0001[2], SC_0001[1]),
            (SC_0001[2], SC_0001[3]),
            (SC_0001[0], SC_0001[3]),
        )
    ]
    square = Polygon([((mx - left) / unit, (my - bottom) / unit) for mx, my in corners])
    want = shapely.clip_by_rect(square, -256, -256, 4096 + 256, 4096 + 256)
    assert f["geometry"]["type"] == "Polygon"
    got = shape(f["geometry"])
    assert got.bounds == pytest.approx(want.bounds, abs=1.5)
    assert got.area == pytest.approx(want.area, rel=0.01)


def test_parcel_is_absent_from_a_neighbour_tile(ro_client):
    cx, cy = (SC_0001[0] + SC_0001[2]) / 2, (SC_0001[1] + SC_0001[3]) / 2
    tx, ty = slippy_tile(cx, cy, Z)
    lo = TO_MERC.transform(SC_0001[0], SC_0001[1])
    hi = TO_MERC.transform(SC_0001[2], SC_0001[3])
    parcel = box(lo[0], lo[1], hi[0], hi[1])
    far = []
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        b = merc_bounds(Z, tx + dx, ty + dy)
        pad = (b[2] - b[0]) / 16  # the clip buffer: features that near are in the tile too
        if not box(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad).intersects(parcel):
            far.append((tx + dx, ty + dy))
    assert far, "every neighbour is within the buffer: pick another zoom"
    for nx, ny in far:
        assert "SC-0001" not in by_key(features(ro_client, "parcels", Z, nx, ny), "parcel_id")


def test_clusters_parks_and_roads_tiles(ro_client):
    tx, ty = slippy_tile(X0 + 150, Y0 + 150, Z)
    clusters = by_key(features(ro_client, "clusters", Z, tx, ty), "cluster_id")
    assert clusters["sc-almg"]["properties"]["name"] == "铝镁新材料产业组团"
    assert clusters["sc-almg"]["properties"]["park"] == "shuangchi"
    parks = by_key(features(ro_client, "parks", Z, tx, ty), "park_id")
    assert parks["shuangchi"]["properties"]["name"] == "双池镇园区"
    rx, ry = slippy_tile(X0 + 150, Y0 - 10, Z)
    roads = by_key(features(ro_client, "roads", Z, rx, ry), "id")
    assert roads["R1"]["properties"]["name"] == "S224"
    assert roads["R1"]["geometry"]["type"] == "LineString"
    # far from the zone: an empty tile
    assert ro_client.get(f"/api/v1/tiles/parcels/{Z}/0/0.mvt").content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tiles/parcels/23/0/0.mvt",  # beyond the deepest zoom
        f"/api/v1/tiles/parcels/{Z}/{2**Z}/0.mvt",  # x past the last column
        "/api/v1/tiles/parcels/3/1/-1.mvt",
        "/api/v1/tiles/buildings/3/1/1.mvt",  # no such layer
    ],
)
def test_bad_tile_addresses_are_400(ro_client, path):
    r = ro_client.get(path)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "BadTileError"


def test_cache_headers_follow_the_data_version(ro_client):
    info = ro_client.get("/api/v1/tiles/vector.json").json()
    assert info["parcels"] == 22 and info["vector_above"] == 3000
    tx, ty = slippy_tile(X0 + 150, Y0 + 150, Z)
    url = f"/api/v1/tiles/parcels/{Z}/{tx}/{ty}.mvt"
    assert (
        info["url"].format(layer="parcels", z=Z, x=tx, y=ty)
        == f"/api/v1/tiles/parcels/{Z}/{tx}/{ty}.mvt?v={info['version']}"
    )
    # a view's parcels counted (bounding boxes meeting it): a box inside SC-0001 holds it alone,
    # one over the whole test area all 22
    (lon0, lat0), (lon1, lat1) = (
        TO_LONLAT.transform(X0 + 140, Y0 + 140),
        TO_LONLAT.transform(X0 + 160, Y0 + 160),
    )
    one = ro_client.get("/api/v1/tiles/vector.json", params={"bbox": f"{lon0},{lat0},{lon1},{lat1}"}).json()
    assert one["in_view"] == 1 and info["in_view"] is None
    (lon0, lat0), (lon1, lat1) = (
        TO_LONLAT.transform(X0 - 5000, Y0 - 1000),
        TO_LONLAT.transform(X0 + 3000, Y0 + 2000),
    )
    everything = ro_client.get("/api/v1/tiles/vector.json", params={"bbox": f"{lon0},{lat0},{lon1},{lat1}"})
    assert everything.json()["in_view"] == 22
    kept = ro_client.get(f"{url}?v={info['version']}")
    assert "immutable" in kept.headers["cache-control"]
    plain = ro_client.get(url)
    assert "no-cache" in plain.headers["cache-control"] and info["version"] in plain.headers["etag"]
    again = ro_client.get(url, headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_an_edit_invalidates_the_tiles(client):
    client.app.state.api.versions.ttl_s = 3600  # kept for an hour: only the edit itself can move it
    before = client.get("/api/v1/tiles/vector.json").json()["version"]
    tx, ty = slippy_tile(X0 + 150, Y0 + 150, Z)
    url = f"/api/v1/tiles/parcels/{Z}/{tx}/{ty}.mvt"
    first = client.get(url)
    assert (
        by_key(mapbox_vector_tile.decode(first.content)["parcels"]["features"], "parcel_id")["SC-0001"][
            "properties"
        ]["status"]
        == "vacant"
    )
    r = client.put(
        "/api/v1/parcels/SC-0001",
        json={"status": "reserved"},
        headers={**auth(client, "planner"), "If-Match": '"SC-0001-v1"'},
    )
    assert r.status_code == 200, r.text
    after = client.get("/api/v1/tiles/vector.json").json()["version"]
    assert after != before
    # the old ETag no longer matches: the tile comes again, with the edit
    second = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    f = by_key(mapbox_vector_tile.decode(second.content)["parcels"]["features"], "parcel_id")["SC-0001"]
    assert f["properties"]["status"] == "reserved" and f["properties"]["version"] == 2


def test_a_cached_tile_asks_the_database_nothing(client):
    """The served zone and the data version are kept per process (``ApiState.versions``): a
    tile the server has built is answered without a query; after an edit the tile is built
    again with the new version."""
    from sqlalchemy import event

    state = client.app.state.api
    state.versions.ttl_s = 3600  # kept for an hour here: only a write may move it
    tx, ty = slippy_tile(X0 + 150, Y0 + 150, Z)
    url = f"/api/v1/tiles/parcels/{Z}/{tx}/{ty}.mvt"
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    first = client.get(url)
    event.listen(state.engine, "before_cursor_execute", count)
    try:
        again = client.get(url)
        assert again.status_code == 200 and again.content == first.content
        assert statements == []
        r = client.put(
            "/api/v1/parcels/SC-0001",
            json={"status": "reserved"},
            headers={**auth(client, "planner"), "If-Match": '"SC-0001-v1"'},
        )
        assert r.status_code == 200, r.text
        statements.clear()
        after = client.get(url)
        assert statements and after.headers["etag"] != first.headers["etag"]
    finally:
        event.remove(state.engine, "before_cursor_execute", count)
