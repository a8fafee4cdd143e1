"""Topological cluster edits through the API, each test on a database of its own (SpatiaLite and
PostGIS): a PUT of the Feature GET gives, ``neighbours=yield`` (enlarging into a neighbour,
shrinking towards one or towards the park edge), split, merge, the land in no cluster, If-Match of
every cluster involved (428 before 422, 412 and nothing half-saved), the park taken from where a
new cluster is drawn, and the OpenAPI document.

The zone (tests/conftest.py): 双池镇园区 is X0 … X0+1000 × Y0 … Y0+600 (600 000 m²), tiled by
sc-almg (west half) and sc-smart (east half); 水头镇园区 X0−3000 … X0−2000 × Y0 … Y0+500 holds
st-almg in its west half, its east half in no cluster. Parcels (tests/api_fixtures.py): SC-0001
X0+100…200 × Y0+100…200 and SC-0003 X0+440…540 × Y0+300…400 in sc-almg; SC-0002 X0+600…700 and
SC-105 X0+560…640 × Y0+410…490 in sc-smart; SC-104 X0+280…360 × Y0+410…490 in sc-almg.
"""

from __future__ import annotations

import shapely
from shapely import box
from shapely.geometry import LineString, mapping

from tests.api_fixtures import auth, version_tag
from tests.conftest import X0, Y0
from tests.test_api_edits import etag_of, parcel_cluster, wgs84, zone_geom

MU = 10000 / 15
PARK_SC = box(X0, Y0, X0 + 1000, Y0 + 600)


def cluster(client, code: str) -> dict:
    r = client.get(f"/api/v1/clusters/{code}")
    assert r.status_code == 200, r.text
    return r.json()


def outline(client, code: str) -> shapely.Geometry:
    return zone_geom(cluster(client, code)["geometry"])


def put_feature(client, code: str, feat: dict, tags: list[str] | None, yield_: bool = True, **headers):
    url = f"/api/v1/clusters/{code}" + ("?neighbours=yield" if yield_ else "")
    h = auth(client, "planner") | headers
    if tags:
        h["If-Match"] = ", ".join(tags)
    return client.put(url, json=feat, headers=h)


def reshaped(client, code: str, geom: shapely.Geometry) -> dict:
    feat = cluster(client, code)
    feat["geometry"] = wgs84(geom)
    return feat


def versions(client, *codes: str) -> dict[str, int]:
    return {c: cluster(client, c)["properties"]["version"] for c in codes}


# --------------------------------------------------------------------------- neighbours=yield


def test_enlarging_into_the_neighbour_takes_its_land_without_overlap_or_gap(client):
    """sc-almg to X0+620: sc-smart gives up 120 × 600 = 72 000 m²; both get a version; the park's
    union stays 600 000 m² (to 1 m²) with no overlap; SC-105 (75 % now in sc-almg) follows."""
    tags = [etag_of(client, "/api/v1/clusters/sc-almg"), etag_of(client, "/api/v1/clusters/sc-smart")]
    r = put_feature(client, "sc-almg", reshaped(client, "sc-almg", box(X0, Y0, X0 + 620, Y0 + 600)), tags)
    assert r.status_code == 200, r.text
    body = r.json()
    changed = {c["cluster_id"]: c for c in body["clusters"]}
    assert set(changed) == {"sc-almg", "sc-smart"}
    assert changed["sc-almg"]["etag"] == '"sc-almg-v2"' == version_tag(r)
    assert changed["sc-smart"]["etag"] == '"sc-smart-v2"'
    assert abs(changed["sc-smart"]["area_m2"] - 380 * 600) < 1
    assert abs(changed["sc-almg"]["area_mu"] - 620 * 600 / MU) < 0.01
    a, s = outline(client, "sc-almg"), outline(client, "sc-smart")
    assert a.intersection(s).area < 0.01
    assert abs(shapely.union(a, s).area - PARK_SC.area) < 1
    assert PARK_SC.difference(shapely.union(a, s)).area < 1
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 2, "sc-smart": 2}
    moved = {m["parcel_id"]: (m["from"], m["to"]) for m in body["reassigned"]}
    assert moved["SC-105"] == ("sc-smart", "sc-almg")
    assert parcel_cluster(client, "SC-105") == "sc-almg"
    assert parcel_cluster(client, "SC-0002") == "sc-smart"  # 20 % in sc-almg: stays
    hist = client.get("/api/v1/clusters/sc-smart/history?lang=zh").json()
    newest = max(hist["versions"], key=lambda v: v["version"])
    assert newest["version"] == 2 and "亩" in newest["note"]


def test_shrinking_gives_the_land_to_the_neighbour_across_the_moved_edge(client):
    """sc-almg to X0+400: the 100 × 600 m strip goes to sc-smart (across the moved edge), so
    SC-0003 (X0+440…540) moves to sc-smart; nothing is left unassigned."""
    tags = [etag_of(client, "/api/v1/clusters/sc-almg"), etag_of(client, "/api/v1/clusters/sc-smart")]
    r = put_feature(client, "sc-almg", reshaped(client, "sc-almg", box(X0, Y0, X0 + 400, Y0 + 600)), tags)
    assert r.status_code == 200, r.text
    assert r.json()["unassigned_m2"] == 0
    a, s = outline(client, "sc-almg"), outline(client, "sc-smart")
    assert abs(s.area - 600 * 600) < 1 and a.intersection(s).area < 0.01
    assert abs(shapely.union(a, s).area - PARK_SC.area) < 1
    assert parcel_cluster(client, "SC-0003") == "sc-smart"
    un = client.get("/api/v1/unassigned?park=shuangchi").json()["features"][0]
    assert un["properties"]["area_m2"] < 1 and un["geometry"] is None


def test_shrinking_at_the_park_edge_leaves_the_land_unassigned(client):
    """sc-almg's south edge moved north to Y0+160: the 500 × 160 m strip (80 000 m² = 120 亩) lies
    along the park edge, not along sc-smart (only 160 of 820 m of the moved edge), so it stays in
    no cluster; SC-0001 (Y0+100…200, 40 % left in sc-almg) leaves its cluster."""
    tags = [etag_of(client, "/api/v1/clusters/sc-almg"), etag_of(client, "/api/v1/clusters/sc-smart")]
    r = put_feature(
        client, "sc-almg", reshaped(client, "sc-almg", box(X0, Y0 + 160, X0 + 500, Y0 + 600)), tags
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["cluster_id"] for c in body["clusters"]] == ["sc-almg"]
    assert abs(body["unassigned_m2"] - 80_000) < 1 and abs(body["unassigned_mu"] - 120) < 0.01
    assert versions(client, "sc-smart") == {"sc-smart": 1}
    assert parcel_cluster(client, "SC-0001") is None
    un = client.get("/api/v1/unassigned").json()["features"]
    sc = next(f for f in un if f["id"] == "shuangchi")
    assert abs(sc["properties"]["area_m2"] - 80_000) < 1 and abs(sc["properties"]["area_mu"] - 120) < 0.01
    assert sc["properties"]["park_name"] == "双池镇园区" and sc["properties"]["parts"] == 1
    strip = zone_geom(sc["geometry"])
    assert strip.symmetric_difference(box(X0, Y0, X0 + 500, Y0 + 160)).area < 1
    st = next(f for f in un if f["id"] == "shuitou")  # the free east half of 水头镇园区
    assert abs(st["properties"]["area_m2"] - 500 * 500) < 1


def test_refuse_is_the_default_and_names_the_neighbour_in_mu(client):
    tag = etag_of(client, "/api/v1/clusters/sc-almg")
    r = put_feature(
        client, "sc-almg", reshaped(client, "sc-almg", box(X0, Y0, X0 + 620, Y0 + 600)), [tag], yield_=False
    )
    assert r.status_code == 422, r.text
    body = r.json()
    name = cluster(client, "sc-smart")["properties"]["name"]
    assert body["problem"]["kind"] == "overlap" and name in body["message"]
    assert "108.00 亩" in body["message"]  # 72 000 m²
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 1, "sc-smart": 1}


def test_a_yielding_neighbour_without_its_tag_is_428_naming_it(client):
    tag = etag_of(client, "/api/v1/clusters/sc-almg")
    r = put_feature(client, "sc-almg", reshaped(client, "sc-almg", box(X0, Y0, X0 + 620, Y0 + 600)), [tag])
    assert r.status_code == 428, r.text
    assert r.json()["clusters"] == ["sc-smart"]
    assert cluster(client, "sc-smart")["properties"]["name"] in r.json()["message"]
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 1, "sc-smart": 1}


def test_the_neighbours_tag_may_come_in_the_body(client):
    feat = reshaped(client, "sc-almg", box(X0, Y0, X0 + 620, Y0 + 600))
    feat["if_match"] = {"sc-smart": '"sc-smart-v1"'}
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v1"'])
    assert r.status_code == 200, r.text
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 2, "sc-smart": 2}


def test_a_racing_edit_of_either_cluster_is_412_and_nothing_is_half_saved(client):
    tags = [etag_of(client, "/api/v1/clusters/sc-almg"), etag_of(client, "/api/v1/clusters/sc-smart")]
    feat = reshaped(client, "sc-almg", box(X0, Y0, X0 + 620, Y0 + 600))
    before_a, before_s = outline(client, "sc-almg"), outline(client, "sc-smart")
    # someone renames the neighbour first
    r = client.put(
        "/api/v1/clusters/sc-smart",
        json={"name": "改名"},
        headers=auth(client, "admin") | {"If-Match": tags[1]},
    )
    assert r.status_code == 200
    r = put_feature(client, "sc-almg", feat, tags)
    assert r.status_code == 412, r.text
    assert r.json()["feature"]["id"] == "sc-smart" and r.json()["current_version"] == 2
    assert "组团“改名”已被他人修改（现为第 2 版" in r.json()["message"]  # named, not coded
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 1, "sc-smart": 2}
    assert outline(client, "sc-almg").symmetric_difference(before_a).area < 0.01
    assert outline(client, "sc-smart").symmetric_difference(before_s).area < 0.01
    assert parcel_cluster(client, "SC-105") == "sc-smart"
    # and someone edits the cluster itself first
    r = client.put(
        "/api/v1/clusters/sc-almg",
        json={"name": "又改"},
        headers=auth(client, "admin") | {"If-Match": tags[0]},
    )
    assert r.status_code == 200
    r = put_feature(client, "sc-almg", feat, [tags[0], '"sc-smart-v2"'])
    assert r.status_code == 412 and r.json()["feature"]["id"] == "sc-almg"
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 2, "sc-smart": 2}
    assert outline(client, "sc-smart").symmetric_difference(before_s).area < 0.01


def test_a_neighbour_covered_whole_is_refused(client):
    r = put_feature(
        client,
        "sc-almg",
        reshaped(client, "sc-almg", PARK_SC),
        ['"sc-almg-v1"', '"sc-smart-v1"'],
    )
    assert r.status_code == 422, r.text
    assert (
        "亩" in r.json()["message"]
        and cluster(client, "sc-smart")["properties"]["name"] in r.json()["message"]
    )


# --------------------------------------------------------------------------- the Feature, If-Match


def test_get_then_put_the_same_feature_round_trips(client):
    feat = cluster(client, "sc-almg")
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v1"'], yield_=False)
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "unchanged" and version_tag(r) == '"sc-almg-v1"'
    feat["properties"]["name"] = "铝镁一区"
    feat["properties"]["area_m2"] = 1  # read-only: ignored
    feat["properties"]["colour"] = "red"  # unknown: ignored, listed
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v1"'], yield_=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["properties"]["name"] == "铝镁一区" and body["properties"]["version"] == 2
    assert body["ignored"] == ["colour"] and body["reassigned"] == []
    assert abs(body["properties"]["area_m2"] - 300_000) < 0.01  # the outline was not rewritten
    feat["id"] = "sc-smart"
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v2"'], yield_=False)
    assert r.status_code == 422 and "sc-smart" in r.json()["message"]


def test_a_feature_may_declare_its_crs(client):
    """A crs member or Content-Crs with EPSG:4546 coordinates (a plan revision from CAD/QGIS)."""
    feat = cluster(client, "sc-almg")
    feat["geometry"] = mapping(box(X0, Y0, X0 + 620, Y0 + 600))
    feat["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}}
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v1"', '"sc-smart-v1"'])
    assert r.status_code == 200, r.text
    assert abs(outline(client, "sc-almg").area - 620 * 600) < 1
    del feat["crs"]
    feat["geometry"] = mapping(box(X0, Y0, X0 + 640, Y0 + 600))
    r = put_feature(
        client,
        "sc-almg",
        feat,
        ['"sc-almg-v2"', '"sc-smart-v2"'],
        **{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4546>"},
    )
    assert r.status_code == 200, r.text
    assert abs(outline(client, "sc-smart").area - 360 * 600) < 1
    r = put_feature(client, "sc-almg", feat, ['"sc-almg-v3"', '"sc-smart-v3"'])
    assert r.status_code == 422 and r.json()["error"] == "CRSError"  # metres sent as WGS 84


def test_a_missing_if_match_is_428_even_when_the_body_is_bad(client):
    h = auth(client, "planner")
    for url, method in (
        ("/api/v1/clusters/sc-almg", "put"),
        ("/api/v1/clusters/sc-almg?neighbours=yield", "put"),
        ("/api/v1/clusters/sc-almg/split", "post"),
        ("/api/v1/clusters/sc-almg/merge", "post"),
    ):
        for body in ({"type": "Feature", "geometry": 5, "nonsense": True}, {"x": 1}):
            r = getattr(client, method)(url, json=body, headers=h)
            assert r.status_code == 428, (url, r.text)
            assert r.json()["error"] == "PreconditionRequiredError"
        r = getattr(client, method)(
            url, content=b"{not json", headers=h | {"Content-Type": "application/json"}
        )
        assert r.status_code == 428, (url, r.text)
    r = client.put("/api/v1/clusters/sc-almg", json={"x": 1}, headers=h | {"If-Match": '"sc-almg-v1"'})
    assert r.status_code == 422  # with If-Match, the bad body is what is wrong


# --------------------------------------------------------------------------- split and merge


def test_split_along_a_line_keeps_the_area_and_parcels_follow(client):
    line = LineString([(X0 + 250, Y0 - 50), (X0 + 250, Y0 + 650)])  # drawn northwards: west is left
    admits = [{"industry": "铝镁新材料", "branches": None}]
    r = client.post(
        "/api/v1/clusters/sc-almg/split",
        json={
            "line": wgs84(line),
            "parts": [
                {"cluster_id": "sc-almg", "name": "铝镁西区"},
                {"cluster_id": "sc-almg-east", "name": "铝镁东区", "name_en": "Al-Mg east", "admits": admits},
            ],
        },
        headers=auth(client, "planner") | {"If-Match": '"sc-almg-v1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["id"] for f in body["features"]] == ["sc-almg", "sc-almg-east"]
    etags = {c["cluster_id"]: c["etag"] for c in body["clusters"]}
    assert etags == {"sc-almg": '"sc-almg-v2"', "sc-almg-east": '"sc-almg-east-v1"'}
    west, east = outline(client, "sc-almg"), outline(client, "sc-almg-east")
    assert abs(west.area - 250 * 600) < 1 and abs(east.area - 250 * 600) < 1
    assert abs(west.area + east.area - 300_000) < 1 and west.intersection(east).area < 0.01
    props = cluster(client, "sc-almg-east")["properties"]
    assert props["name"] == "铝镁东区" and props["park"] == "shuangchi"
    assert props["admits"][0]["industry"] == "铝镁新材料"
    assert cluster(client, "sc-almg")["properties"]["name"] == "铝镁西区"
    assert parcel_cluster(client, "SC-104") == "sc-almg-east"
    assert parcel_cluster(client, "SC-0003") == "sc-almg-east"
    assert parcel_cluster(client, "SC-0001") == "sc-almg"


def test_a_stale_split_is_412_and_a_merge_of_clusters_apart_is_refused_by_name(client):
    h = auth(client, "planner")
    body = {
        "line": wgs84(LineString([(X0 + 250, Y0 - 50), (X0 + 250, Y0 + 650)])),
        "parts": [{"cluster_id": "sc-west", "name": "西区"}, {"cluster_id": "sc-almg", "name": "东区"}],
    }
    r = client.post("/api/v1/clusters/sc-almg/split", json=body, headers=h | {"If-Match": '"sc-almg-v0"'})
    assert r.status_code == 412 and client.get("/api/v1/clusters/sc-west").status_code == 404
    r = client.post("/api/v1/clusters/sc-almg/split", json=body, headers=h | {"If-Match": '"sc-almg-v1"'})
    assert r.status_code == 200, r.text
    # sc-west (X0 … X0+250) and sc-smart (X0+500 …) are of one park but share no edge
    r = client.post(
        "/api/v1/clusters/sc-west/merge",
        json={"with": "sc-smart"},
        headers=h | {"If-Match": '"sc-west-v1", "sc-smart-v1"'},
    )
    assert r.status_code == 422, r.text
    smart = cluster(client, "sc-smart")["properties"]["name"]
    assert "“西区”与“" + smart + "”没有公共边" in r.json()["message"]
    assert versions(client, "sc-west", "sc-smart") == {"sc-west": 1, "sc-smart": 1}


def test_a_line_that_does_not_cross_is_refused_by_name(client):
    r = client.post(
        "/api/v1/clusters/sc-almg/split",
        json={
            "line": wgs84(LineString([(X0 + 250, Y0 + 100), (X0 + 250, Y0 + 300)])),
            "parts": [{"cluster_id": "sc-almg", "name": "a"}, {"cluster_id": "sc-b", "name": "b"}],
        },
        headers=auth(client, "planner") | {"If-Match": '"sc-almg-v1"'},
    )
    assert r.status_code == 422, r.text
    assert cluster(client, "sc-almg")["properties"]["name"] in r.json()["message"]
    assert versions(client, "sc-almg") == {"sc-almg": 1}


def test_merge_two_neighbours_keeps_the_area_and_moves_the_parcels(client):
    r = client.post(
        "/api/v1/clusters/sc-almg/merge",
        json={"with": "sc-smart", "name": "双池产业组团"},
        headers=auth(client, "planner") | {"If-Match": '"sc-almg-v1", "sc-smart-v1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["properties"]["name"] == "双池产业组团" and version_tag(r) == '"sc-almg-v2"'
    assert {c["cluster_id"]: c["action"] for c in body["clusters"]} == {
        "sc-almg": "update",
        "sc-smart": "delete",
    }
    merged = outline(client, "sc-almg")
    assert abs(merged.area - 600_000) < 1 and merged.geom_type in ("Polygon", "MultiPolygon")
    assert len(shapely.get_parts(merged)) == 1
    assert client.get("/api/v1/clusters/sc-smart").status_code == 404
    assert parcel_cluster(client, "SC-0002") == "sc-almg"
    moved = {m["parcel_id"]: (m["from"], m["to"]) for m in body["reassigned"]}
    assert moved["SC-0002"] == ("sc-smart", "sc-almg")


def test_merge_refusals_name_clusters_and_parks(client):
    h = auth(client, "planner")
    r = client.post(
        "/api/v1/clusters/sc-almg/merge",
        json={"with": "st-almg"},
        headers=h | {"If-Match": '"sc-almg-v1", "st-almg-v1"'},
    )
    assert r.status_code == 422, r.text
    assert "双池镇园区" in r.json()["message"] and "水头镇园区" in r.json()["message"]
    r = client.post(
        "/api/v1/clusters/sc-almg/merge", json={"with": "sc-smart"}, headers=h | {"If-Match": '"sc-almg-v1"'}
    )
    assert r.status_code == 428 and r.json()["clusters"] == ["sc-smart"]
    r = client.post(
        "/api/v1/clusters/sc-almg/merge",
        json={"with": "sc-smart", "if_match": {"sc-smart": '"sc-smart-v0"'}},
        headers=h | {"If-Match": '"sc-almg-v1"'},
    )
    assert r.status_code == 412 and r.json()["feature"]["id"] == "sc-smart"
    assert versions(client, "sc-almg", "sc-smart") == {"sc-almg": 1, "sc-smart": 1}


# --------------------------------------------------------------------------- new clusters


def test_a_new_cluster_takes_the_park_it_is_drawn_in(client):
    h = auth(client, "planner")
    geom = wgs84(box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450))  # free land of 水头镇园区
    r = client.post(
        "/api/v1/clusters",
        json={"cluster_id": "st-new", "name": "新组团", "park": "shuangchi", "geometry": geom},
        headers=h,
    )
    assert r.status_code == 422, r.text
    assert "水头镇园区" in r.json()["message"] and "双池镇园区" in r.json()["message"]
    r = client.post(
        "/api/v1/clusters", json={"cluster_id": "st-new", "name": "新组团", "geometry": geom}, headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["park"] == "shuitou"


def test_a_new_cluster_drawn_inside_another_with_yield(client):
    """A 200 × 150 m cluster inside sc-almg: sc-almg gives up 30 000 m² (45 亩) and keeps the rest
    around it; SC-0001 (X0+100…200 × Y0+100…200) moves into the new cluster."""
    h = auth(client, "planner")
    geom = box(X0 + 50, Y0 + 80, X0 + 250, Y0 + 230)
    body = {"cluster_id": "sc-new", "name": "新组团", "geometry": wgs84(geom)}
    r = client.post("/api/v1/clusters?neighbours=yield", json=body, headers=h)
    assert r.status_code == 428 and r.json()["clusters"] == ["sc-almg"]
    r = client.post("/api/v1/clusters?neighbours=yield", json=body, headers=h | {"If-Match": '"sc-almg-v1"'})
    assert r.status_code == 201, r.text
    assert {c["cluster_id"]: c["etag"] for c in r.json()["clusters"]} == {
        "sc-new": '"sc-new-v1"',
        "sc-almg": '"sc-almg-v2"',
    }
    a, n = outline(client, "sc-almg"), outline(client, "sc-new")
    assert abs(a.area - (300_000 - 30_000)) < 1 and a.intersection(n).area < 0.01
    assert abs(cluster(client, "sc-almg")["properties"]["area_mu"] - 270_000 / MU) < 0.01
    assert parcel_cluster(client, "SC-0001") == "sc-new"


def test_the_openapi_document_has_the_topological_edits(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert "/api/v1/clusters/{cluster_id}/split" in paths and "/api/v1/clusters/{cluster_id}/merge" in paths
    assert "/api/v1/unassigned" in paths
    put = paths["/api/v1/clusters/{cluster_id}"]["put"]
    names = {p["name"] for p in put["parameters"]}
    assert {"neighbours", "Content-Crs", "If-Match"} <= names
    assert "428" in put["responses"] and "412" in put["responses"]
    assert "ClusterFeatureIn" in str(put["requestBody"])


def test_outlines_simplified_for_editing_keep_their_shared_edges(client):
    """sc-almg's east edge at X0+620 drawn with a vertex every 10 m, every other one 2 cm east:
    sc-smart yields and gets the same dense edge. Simplified within 0.5 m (both together) the
    edge is straight again in both, still shared: no overlap, no gap, 2 cm off at most."""
    ys = [Y0 + 10 * k for k in range(61)]
    east = [(X0 + 620 + (0.02 if k % 2 else 0.0), y) for k, y in enumerate(ys)]
    ring = [(X0, Y0), *east, (X0, Y0 + 600), (X0, Y0)]
    dense = shapely.Polygon(ring)
    r = put_feature(client, "sc-almg", reshaped(client, "sc-almg", dense), ['"sc-almg-v1"', '"sc-smart-v1"'])
    assert r.status_code == 200, r.text
    assert shapely.get_num_coordinates(outline(client, "sc-smart")) > 60
    feats = client.get("/api/v1/clusters?park=shuangchi&simplify=0.5").json()["features"]
    shown = {f["id"]: f for f in feats}
    a, s = zone_geom(shown["sc-almg"]["geometry"]), zone_geom(shown["sc-smart"]["geometry"])
    assert shapely.get_num_coordinates(a) <= 6 and shapely.get_num_coordinates(s) <= 6
    assert a.intersection(s).area < 0.01 and abs(shapely.union(a, s).area - PARK_SC.area) < 1
    assert shown["sc-almg"]["properties"]["simplify_m"] == 0.5
    assert 0.015 <= shown["sc-almg"]["properties"]["deviation_m"] <= 0.025
    one = client.get("/api/v1/clusters/sc-smart?simplify=0.5").json()
    assert zone_geom(one["geometry"]).symmetric_difference(s).area < 0.01
    assert client.get("/api/v1/clusters/sc-smart").json()["properties"].get("simplify_m") is None
