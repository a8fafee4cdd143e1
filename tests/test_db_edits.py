"""Versioned cluster and parcel edits: optimistic concurrency, validation, audit, history, restore."""

from __future__ import annotations

import threading
import time

import pytest
import shapely
from shapely import Polygon, box
from sqlalchemy import func, select

from app.db.edits import (
    VersionConflictError,
    create_cluster,
    delete_cluster,
    history,
    restore,
    update_cluster,
    update_parcel,
)
from app.db.geometry import RepairTolerance, from_db
from app.db.models import AuditEntryRow, ClusterRow, EnterpriseRow, ParcelRow, UserRow
from app.errors import ClusterGeometryError, OutlineRepairError
from app.i18n import render
from gis.errors import ConflictError, GeometryError, LimitExceededError, NotFoundError, SchemaError
from tests.conftest import X0, Y0


def cluster_id(session, code: str) -> int:
    return session.scalar(select(ClusterRow.id).where(ClusterRow.code == code))


def parcel(session, code: str) -> ParcelRow:
    return session.scalar(
        select(ParcelRow).where(ParcelRow.parcel_id == code).execution_options(populate_existing=True)
    )


def clusters_of_parcels(session) -> dict[str, str | None]:
    rows = session.execute(
        select(ParcelRow.parcel_id, ClusterRow.code).outerjoin(
            ClusterRow, ClusterRow.id == ParcelRow.cluster_id
        )
    ).all()
    return dict(rows)


def audit_rows(session, entity: str, key: str) -> list[AuditEntryRow]:
    return list(
        session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.entity == entity, AuditEntryRow.entity_key == key)
            .order_by(AuditEntryRow.id)
        )
    )


# --------------------------------------------------------------------------- clusters


def test_update_cluster_writes_a_new_version_and_audits_it(zone_db):
    with zone_db.begin() as s:
        cid = cluster_id(s, "sc-almg")
        result = update_cluster(s, cid, {"name": "铝镁新材料产业组团（一期）"}, 1, "wang")
    assert (result.version, result.action, result.state["name"]) == (
        2,
        "update",
        "铝镁新材料产业组团（一期）",
    )
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert (c.version, c.name, c.updated_by) == (2, "铝镁新材料产业组团（一期）", "wang")
        (entry,) = audit_rows(s, "cluster", "sc-almg")
        assert (entry.user_name, entry.action, entry.version) == ("wang", "update", 2)
        assert entry.before_attrs["name"] == "铝镁新材料产业组团" and entry.before_attrs["version"] == 1
        assert entry.after_attrs["name"] == "铝镁新材料产业组团（一期）"
        # Geometry before and after, as WKT in the zone CRS.
        assert shapely.from_wkt(entry.before_wkt).equals(box(X0, Y0, X0 + 500, Y0 + 600))
        assert entry.after_wkt == entry.before_wkt


def test_stale_write_is_refused_with_the_current_state(zone_db):
    with zone_db.begin() as s:
        cid = cluster_id(s, "sc-almg")
        update_cluster(s, cid, {"name": "first"}, 1, "a")
    with pytest.raises(VersionConflictError) as info:
        with zone_db.begin() as s:
            update_cluster(s, cid, {"name": "second"}, 1, "b")
    err = info.value
    assert isinstance(err, ConflictError)
    assert (err.expected_version, err.current_version) == (1, 2)
    assert err.current_state["name"] == "first" and err.current_state["geometry_wkt"].startswith(
        "MULTIPOLYGON"
    )
    assert "is at version 2, not 1" in str(err)
    with zone_db() as s:
        assert s.get(ClusterRow, cid).name == "first"
        assert len(audit_rows(s, "cluster", "sc-almg")) == 1


def test_outline_change_reassigns_parcels_by_majority(zone_db):
    # sc-almg gives up x ≥ X0 + 430: SC-0003 (x 440…540) now lies 100 % in neither… until
    # sc-smart takes the strip x 430…500, after which 100 % of SC-0003 lies in sc-smart.
    with zone_db.begin() as s:
        almg, smart = cluster_id(s, "sc-almg"), cluster_id(s, "sc-smart")
        r1 = update_cluster(s, almg, {"geometry": box(X0, Y0, X0 + 430, Y0 + 600)}, 1, "li")
        assert r1.reassigned == [("SC-0003", "sc-almg", None)]
        r2 = update_cluster(s, smart, {"geometry": box(X0 + 430, Y0, X0 + 1000, Y0 + 600).wkt}, 1, "li")
        assert r2.reassigned == [("SC-0003", None, "sc-smart")]
        assert r2.state["area_m2"] == pytest.approx(570 * 600)
    with zone_db() as s:
        assert clusters_of_parcels(s) == {
            "SC-0001": "sc-almg",
            "SC-0002": "sc-smart",
            "SC-0003": "sc-smart",
            "ST-0001": "st-almg",
        }
        p = parcel(s, "SC-0003")
        assert p.version == 3
        moves = [
            (e.action, e.version, e.before_attrs["cluster"], e.after_attrs["cluster"])
            for e in audit_rows(s, "parcel", "SC-0003")
        ]
        assert moves == [("reassign", 2, "sc-almg", None), ("reassign", 3, None, "sc-smart")]


def _bowtie():
    return Polygon([(X0 - 3000, Y0), (X0 - 2500, Y0 + 500), (X0 - 2500, Y0), (X0 - 3000, Y0 + 500)])


OUTLINE_REFUSALS = [
    (
        "overlap",
        box(X0, Y0, X0 + 520, Y0 + 600),
        ClusterGeometryError,
        "overlaps cluster sc-smart by 12,000.0 m²",
    ),
    (
        "outside park",
        box(X0 - 50, Y0, X0 + 500, Y0 + 600),
        ClusterGeometryError,
        "extends 30,000.0 m² outside its park shuangchi",
    ),
    (
        "not a polygon",
        "LINESTRING (540000 4090000, 540100 4090100)",
        GeometryError,
        "must be a Polygon or MultiPolygon, not a LineString",
    ),
    ("garbage", "POLYGON ((1 2", GeometryError, "cannot be read as a geometry"),
    (
        "too many vertices",
        shapely.Point(X0 + 250, Y0 + 300).buffer(200, quad_segs=64),
        LimitExceededError,
        "has 257 vertices, more than the limit of 100",
    ),
]


@pytest.mark.parametrize(
    "case, outline, error, message", OUTLINE_REFUSALS, ids=[c for c, *_ in OUTLINE_REFUSALS]
)
def test_bad_outlines_are_refused_and_nothing_changes(zone_db, case, outline, error, message):
    with zone_db() as s:
        cid = cluster_id(s, "sc-almg")
    with pytest.raises(error) as info:
        with zone_db.begin() as s:
            update_cluster(s, cid, {"geometry": outline}, 1, "li", max_vertices=100)
    assert message in str(info.value)
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert c.version == 1 and from_db(c.geom).equals(box(X0, Y0, X0 + 500, Y0 + 600))
        assert (
            s.scalar(select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.entity != "zone"))
            == 0
        )


@pytest.mark.parametrize(
    ("outline", "kind", "other", "area", "part"),
    [
        # 20 m of sc-smart (x 500…520) over the full 600 m height
        (
            box(X0, Y0, X0 + 520, Y0 + 600),
            "overlap",
            {"cluster": "sc-smart"},
            12_000.0,
            box(X0 + 500, Y0, X0 + 520, Y0 + 600),
        ),
        # 50 m west of the park (it starts at X0)
        (
            box(X0 - 50, Y0, X0 + 500, Y0 + 600),
            "outside_park",
            {"park": "shuangchi"},
            30_000.0,
            box(X0 - 50, Y0, X0, Y0 + 600),
        ),
    ],
)
def test_a_refused_outline_says_what_and_where(zone_db, outline, kind, other, area, part):
    """ClusterGeometryError (422) carries the kind, the park or cluster, the area and the part."""
    with zone_db() as s:
        cid = cluster_id(s, "sc-almg")
    with pytest.raises(ClusterGeometryError) as info:
        with zone_db.begin() as s:
            update_cluster(s, cid, {"geometry": outline}, 1, "li")
    err = info.value
    assert isinstance(err, GeometryError) and not isinstance(err, ConflictError)
    assert (err.kind, err.park, err.cluster) == (kind, other.get("park"), other.get("cluster"))
    assert err.area_m2 == pytest.approx(area) and err.crs == "EPSG:4546"
    assert err.geometry.symmetric_difference(part).area == pytest.approx(0, abs=1e-6)
    assert err.where == "cluster sc-almg"


@pytest.mark.parametrize(
    ("east_edge", "outcome"),
    [
        (X0 + 500.04, "cut"),  # 4 cm over sc-smart: a sliver, cut off and noted
        (X0 + 500.5, "refused"),  # 50 cm: a real overlap of 300 m²
    ],
)
def test_slivers_over_a_neighbour_are_cut_real_overlaps_refused(zone_db, east_edge, outcome):
    with zone_db() as s:
        cid = cluster_id(s, "sc-almg")
    if outcome == "refused":
        with pytest.raises(ClusterGeometryError, match="overlaps cluster sc-smart by 300.0 m²"):
            with zone_db.begin() as s:
                update_cluster(s, cid, {"geometry": box(X0, Y0, east_edge, Y0 + 600)}, 1, "li")
        return
    with zone_db.begin() as s:
        r = update_cluster(s, cid, {"geometry": box(X0, Y0, east_edge, Y0 + 600)}, 1, "li")
    assert r.state["area_m2"] == pytest.approx(300_000, abs=0.01)
    (cut,) = r.repairs  # 0.04 × 600 m; clusters named by name, the area in 亩 too
    assert render(cut, "en") == (
        "Al-Mg new materials cluster: cut 24.00 m² (0.04 mu) of sliver over "
        "Smart manufacturing and resource recycling cluster"
    )
    assert (
        render(cut, "zh")
        == "“铝镁新材料产业组团”：裁去与“智能制造及资源综合利用组团”重叠的细长碎片 24.00 m²（0.04 亩）"
    )
    with zone_db() as s:
        (entry,) = audit_rows(s, "cluster", "sc-almg")
        assert (entry.note, entry.note_zh) == (render(cut, "en"), render(cut, "zh"))
        assert entry.note_message == cut.to_dict()  # stored as id + parameters


def test_a_restore_that_now_overlaps_is_refused_like_an_edit(zone_db):
    """sc-almg shrinks, sc-smart grows into the freed strip: restoring sc-almg's version 1 would
    overlap sc-smart by 100 × 600 m — the same ClusterGeometryError as an edit, nothing written."""
    with zone_db.begin() as s:
        almg, smart = cluster_id(s, "sc-almg"), cluster_id(s, "sc-smart")
        update_cluster(s, almg, {"geometry": box(X0, Y0, X0 + 400, Y0 + 600)}, 1, "li")
        update_cluster(s, smart, {"geometry": box(X0 + 400, Y0, X0 + 1000, Y0 + 600)}, 1, "li")
    with pytest.raises(ClusterGeometryError) as info:
        with zone_db.begin() as s:
            restore(s, "cluster", almg, 1, "admin")
    assert (info.value.kind, info.value.cluster, info.value.area_m2) == (
        "overlap",
        "sc-smart",
        pytest.approx(60_000),
    )
    with zone_db() as s:
        assert s.get(ClusterRow, almg).version == 2


def test_a_new_cluster_never_reuses_the_id_of_a_deleted_one(zone_db):
    """Deleting the cluster with the highest id and creating another: the new cluster gets a new
    id (SQLite AUTOINCREMENT), so its audit entries — and its history — are its own."""
    outline = box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)  # free land of shuitou
    with zone_db.begin() as s:
        first = create_cluster(s, "jiaokou", "shuitou", "st-first", "一号", outline, "li")
        assert first.id == s.scalar(select(func.max(ClusterRow.id)))
    with zone_db.begin() as s:
        delete_cluster(s, first.id, 1, "li")
    with zone_db.begin() as s:
        second = create_cluster(s, "jiaokou", "shuitou", "st-second", "二号", outline, "li")
    assert second.id != first.id
    with zone_db.begin() as s:
        edited = update_cluster(s, second.id, {"name": "二号（改）"}, 1, "li")
    assert edited.version == 2
    with zone_db() as s:
        mine = [(v.version, v.action, v.attrs["name"]) for v in history(s, "cluster", second.id)]
        assert mine == [(1, "create", "二号"), (2, "update", "二号（改）")]
        gone = [(v.version, v.action) for v in history(s, "cluster", first.id)]
        assert gone == [(1, "create"), (2, "delete")]


@pytest.mark.parametrize(
    ("admits", "stored", "error"),
    [
        (None, None, None),  # not set yet
        ([], [], None),  # admits nothing
        (
            [{"industry": "铝镁新材料", "branches": ["铝基新材料"]}],
            [{"industry": "铝镁新材料", "branches": ["铝基新材料"]}],
            None,
        ),
        ([{"industry": "新能源产业"}], [{"industry": "新能源产业", "branches": None}], None),
        # 表8-1's words for the catch-all (3D打印), and whose judgement an entry is, are kept
        (
            [
                {"industry": "其它国家鼓励发展的产业项目", "encouraged": ["3D打印"], "basis": "plan"},
                {"industry": "现代服务业", "branches": ["高科技服务业"], "basis": "parksite", "note": "孵化"},
            ],
            [
                {
                    "industry": "其它国家鼓励发展的产业项目",
                    "branches": None,
                    "encouraged": ["3D打印"],
                    "basis": "plan",
                },
                {"industry": "现代服务业", "branches": ["高科技服务业"], "basis": "parksite", "note": "孵化"},
            ],
            None,
        ),
        ([{"industry": "造纸"}], None, "'造纸' is not an industry of the positive list"),
        (
            [{"industry": "铝镁新材料", "branches": ["钢铁"]}],
            None,
            "'钢铁' is not a 二级产业方向 of 铝镁新材料",
        ),
        ([{"industy": "铝镁新材料"}], None, "not an admitted industry"),
        ("铝镁新材料", None, "admits must be a list"),
    ],
)
def test_admits_are_checked_against_the_positive_list(zone_db, admits, stored, error):
    outline = box(X0 - 2400, Y0 + 50, X0 - 2100, Y0 + 450)
    if error:
        with pytest.raises(SchemaError, match=error):
            with zone_db.begin() as s:
                create_cluster(s, "jiaokou", "shuitou", "st-new", "新组团", outline, "li", admits=admits)
        with pytest.raises(SchemaError, match=error):
            with zone_db.begin() as s:
                update_cluster(s, cluster_id(s, "st-almg"), {"admits": admits}, 1, "li")
        return
    with zone_db.begin() as s:
        create_cluster(s, "jiaokou", "shuitou", "st-new", "新组团", outline, "li", admits=admits)
        update_cluster(s, cluster_id(s, "st-almg"), {"admits": admits}, 1, "li")
    with zone_db() as s:
        assert s.get(ClusterRow, cluster_id(s, "st-new")).admits == stored
        assert s.get(ClusterRow, cluster_id(s, "st-almg")).admits == stored


def _small_loop():
    """A 480 × 480 m square whose last edge crosses the first 2 m before the corner: a 2 m² loop."""
    return Polygon(
        [
            (X0 - 2990, Y0 + 10),
            (X0 - 2510, Y0 + 10),
            (X0 - 2510, Y0 + 490),
            (X0 - 2990, Y0 + 490),
            (X0 - 2988, Y0 + 8),
        ]
    )


def test_a_repair_that_changes_the_area_is_refused_with_the_repaired_outline(zone_db):
    """A bow-tie's area as drawn is 0 (its lobes cancel); make_valid's two triangles have
    125 000 m²: refused (OutlineRepairError, 422), nothing written, the repair offered."""
    with zone_db() as s:
        cid = cluster_id(s, "st-almg")
        before = s.get(ClusterRow, cid).geom
    with zone_db.begin() as s, pytest.raises(OutlineRepairError) as info:
        update_cluster(s, cid, {"geometry": _bowtie()}, 1, "li")
    err = info.value
    assert isinstance(err, GeometryError) and "Self-intersection" in err.message
    assert (err.drawn_m2, err.repaired_m2) == (0.0, pytest.approx(2 * 250 * 500 / 2))
    assert err.repaired.is_valid and err.repaired.area == pytest.approx(125_000)
    assert "修复后面积将由 0.0 变为 125,000.0 m²" in render(err.msg, "zh")
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert (c.version, c.geom) == (1, before) and audit_rows(s, "cluster", "st-almg") == []
    with zone_db.begin() as s:  # the repaired outline, sent back, is taken as it is
        result = update_cluster(s, cid, {"geometry": err.repaired}, 1, "li")
    assert result.repairs == [] and result.state["area_m2"] == pytest.approx(125_000)
    with zone_db.begin() as s, pytest.raises(OutlineRepairError):  # the tolerance is a parameter
        update_cluster(s, cid, {"geometry": _bowtie()}, 2, "li", repair_tolerance=RepairTolerance(0.5, 1.0))
    with zone_db.begin() as s:
        result = update_cluster(
            s, cid, {"geometry": _bowtie()}, 2, "li", repair_tolerance=RepairTolerance(1.0, 1.0)
        )
    assert result.repairs and result.state["area_m2"] == pytest.approx(125_000)


def test_invalid_outline_is_repaired_and_the_repair_noted(zone_db):
    """A small loop (4 m² of 229 920) is within the tolerance: repaired, saved and noted."""
    with zone_db.begin() as s:
        cid = cluster_id(s, "st-almg")
        result = update_cluster(s, cid, {"geometry": _small_loop()}, 1, "li")
    assert len(result.repairs) == 1 and "Self-intersection" in render(result.repairs[0], "en")
    assert result.state["area_m2"] == pytest.approx(229_924, abs=0.1)  # the loop is kept
    with zone_db() as s:
        assert from_db(s.get(ClusterRow, cid).geom).is_valid
        (entry,) = audit_rows(s, "cluster", "st-almg")
        assert "Self-intersection" in entry.note
        assert "几何无效（Self-intersection" in entry.note_zh and "已修复" in entry.note_zh


def test_unknown_fields_and_values_are_refused(zone_db):
    with zone_db() as s:
        cid = cluster_id(s, "sc-almg")
    with pytest.raises(SchemaError, match="cannot change field\\(s\\) code"):
        with zone_db.begin() as s:
            update_cluster(s, cid, {"code": "x"}, 1, "li")
    with pytest.raises(SchemaError, match="unknown kind 'farm'"):
        with zone_db.begin() as s:
            update_cluster(s, cid, {"kind": "farm"}, 1, "li")
    with pytest.raises(NotFoundError, match="no cluster with id 999999"):
        with zone_db.begin() as s:
            update_cluster(s, 999999, {"name": "x"}, 1, "li")


def test_create_and_delete_cluster(zone_db):
    with zone_db.begin() as s:
        # Shrink sc-smart to make room, then create a cluster over SC-0002 (x 600…700).
        smart = cluster_id(s, "sc-smart")
        update_cluster(s, smart, {"geometry": box(X0 + 750, Y0, X0 + 1000, Y0 + 600)}, 1, "li")
        created = create_cluster(
            s,
            "jiaokou",
            "shuangchi",
            "sc-new",
            "新组团",
            box(X0 + 500, Y0, X0 + 750, Y0 + 600),
            "li",
            kind="reserve",
        )
    assert (created.version, created.key) == (1, "sc-new")
    assert created.reassigned == [("SC-0002", None, "sc-new")]
    with zone_db() as s:
        assert clusters_of_parcels(s)["SC-0002"] == "sc-new"
        new_id = cluster_id(s, "sc-new")
    with pytest.raises(ConflictError, match="already exists"):
        with zone_db.begin() as s:
            create_cluster(
                s, "jiaokou", "shuangchi", "sc-new", "again", box(X0 + 500, Y0, X0 + 510, Y0 + 10), "li"
            )
    with pytest.raises(VersionConflictError):
        with zone_db.begin() as s:
            delete_cluster(s, new_id, 7, "li")
    with zone_db.begin() as s:
        deleted = delete_cluster(s, new_id, 1, "li")
    assert deleted.reassigned == [("SC-0002", "sc-new", None)]
    with zone_db() as s:
        assert s.get(ClusterRow, new_id) is None
        assert clusters_of_parcels(s)["SC-0002"] is None
        actions = [(e.action, e.version) for e in audit_rows(s, "cluster", "sc-new")]
        assert actions == [("create", 1), ("delete", 2)]
        last = audit_rows(s, "cluster", "sc-new")[-1]
        assert last.after_attrs is None and last.before_attrs["name"] == "新组团"


# --------------------------------------------------------------------------- parcels


def test_update_parcel_fields_geometry_and_enterprise(zone_db):
    with zone_db.begin() as s:
        p = parcel(s, "SC-0001")
        r = update_parcel(
            s,
            p.id,
            {
                "status": "existing",
                "enterprise": "晟安电铝",
                "geometry": box(X0 + 100, Y0 + 100, X0 + 250, Y0 + 200),
            },
            1,
            "zhao",
        )
    assert r.version == 2
    assert r.state["area_m2"] == 15_000.0 and r.state["area_mu"] == pytest.approx(22.5)
    with zone_db() as s:
        p = parcel(s, "SC-0001")
        assert (p.status, p.enterprise, p.area_mu) == ("existing", "晟安电铝", pytest.approx(22.5))
        assert s.get(EnterpriseRow, p.enterprise_id).name == "晟安电铝"
        (entry,) = audit_rows(s, "parcel", "SC-0001")
        assert (entry.before_attrs["status"], entry.after_attrs["status"]) == ("vacant", "existing")
        assert shapely.from_wkt(entry.after_wkt).area == 15_000.0
    with pytest.raises(VersionConflictError, match="SC-0001 is at version 2, not 1"):
        with zone_db.begin() as s:
            update_parcel(s, p.id, {"status": "vacant"}, 1, "qian")
    with pytest.raises(SchemaError, match="unknown status 'sold'"):
        with zone_db.begin() as s:
            update_parcel(s, p.id, {"status": "sold"}, 2, "qian")
    with pytest.raises(SchemaError, match="no cluster 'st-almg' in the parcel's park"):
        with zone_db.begin() as s:
            update_parcel(s, p.id, {"cluster": "st-almg"}, 2, "qian")


def test_parcel_geometry_change_follows_the_majority_rule(zone_db):
    with zone_db.begin() as s:
        p = parcel(s, "SC-0001")
        # Move the parcel to x 460…560: 60 % in sc-smart.
        r = update_parcel(s, p.id, {"geometry": box(X0 + 460, Y0 + 100, X0 + 560, Y0 + 200)}, 1, "zhao")
    assert r.state["cluster"] == "sc-smart"


# --------------------------------------------------------------------------- history and restore


def test_history_and_restore_make_a_new_version(zone_db):
    with zone_db.begin() as s:
        cid = cluster_id(s, "sc-almg")
        assert [v.version for v in history(s, "cluster", cid)] == [1]
        update_cluster(s, cid, {"name": "v2", "geometry": box(X0, Y0, X0 + 450, Y0 + 600)}, 1, "a")
        update_cluster(s, cid, {"name": "v3"}, 2, "b")
    with zone_db.begin() as s:
        versions = history(s, "cluster", cid)
        assert [(v.version, v.action, v.attrs["name"]) for v in versions] == [
            (1, "import", "铝镁新材料产业组团"),
            (2, "update", "v2"),
            (3, "update", "v3"),
        ]
        assert versions[0].geometry.equals(box(X0, Y0, X0 + 500, Y0 + 600))
        r = restore(s, "cluster", cid, 1, "admin")
    assert (r.version, r.action, r.state["name"]) == (4, "restore", "铝镁新材料产业组团")
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert c.version == 4 and from_db(c.geom).equals(box(X0, Y0, X0 + 500, Y0 + 600))
        assert c.area_m2 == 300_000.0
        last = audit_rows(s, "cluster", "sc-almg")[-1]
        assert (last.action, last.version, last.note) == ("restore", 4, "restored version 1")
        assert last.note_zh == "恢复到第 1 版"
        note = history(s, "cluster", cid)[-1].note
        assert (render(note, "en"), render(note, "zh")) == ("restored version 1", "恢复到第 1 版")
        assert last.before_attrs["name"] == "v3"
        assert [v.version for v in history(s, "cluster", cid)] == [1, 2, 3, 4]
        # The outline went back, so SC-0003 (60 % inside) is back in sc-almg.
        assert clusters_of_parcels(s)["SC-0003"] == "sc-almg"
    with pytest.raises(NotFoundError, match="has no version 9"):
        with zone_db.begin() as s:
            restore(s, "cluster", cid, 9, "admin")


def test_parcel_restore(zone_db):
    with zone_db.begin() as s:
        pid = parcel(s, "SC-0002").id
        update_parcel(s, pid, {"status": "vacant", "enterprise": None}, 1, "a")
        r = restore(s, "parcel", pid, 1, "b")
    assert (r.version, r.state["status"], r.state["enterprise"]) == (3, "existing", "天鹏冶炼")


# --------------------------------------------------------------------------- roles


def test_roles_are_enforced_for_user_objects(zone_db):
    from app.db.users import PermissionDeniedError, add_user

    with zone_db.begin() as s:
        viewer = add_user(s, "v", "viewer", "password1")
        planner = add_user(s, "p", "planner", "password1")
        cid = cluster_id(s, "sc-almg")
        with pytest.raises(PermissionDeniedError, match="role 'viewer' may not edit clusters"):
            update_cluster(s, cid, {"name": "x"}, 1, viewer)
        r = update_cluster(s, cid, {"name": "x"}, 1, planner)
    assert r.version == 2
    with zone_db() as s:
        assert audit_rows(s, "cluster", "sc-almg")[-1].user_name == "p"
        assert isinstance(planner, UserRow)


# --------------------------------------------------------------------------- concurrency


def test_two_concurrent_writers_from_the_same_version_exactly_one_wins(zone_db):
    """Two real transactions in threads. The first holds its write uncommitted while the second
    starts from the same version; the second must end in a conflict, never overwrite."""
    with zone_db() as s:
        cid = cluster_id(s, "sc-almg")
    first_wrote = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with zone_db.begin() as s:
                update_cluster(
                    s, cid, {"name": "by first", "geometry": box(X0, Y0, X0 + 490, Y0 + 600)}, 1, "first"
                )
                first_wrote.set()
                time.sleep(0.5)  # keep the transaction open while the second writer runs
            outcome["first"] = "won"
        except Exception as exc:  # pragma: no cover - reported below
            first_wrote.set()
            outcome["first"] = exc

    def second() -> None:
        first_wrote.wait(10)
        try:
            with zone_db.begin() as s:
                update_cluster(s, cid, {"name": "by second"}, 1, "second")
            outcome["second"] = "won"
        except Exception as exc:
            outcome["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome["first"] == "won"
    err = outcome["second"]
    assert isinstance(err, VersionConflictError), err
    assert err.current_version == 2 and err.current_state["name"] == "by first"
    with zone_db() as s:
        c = s.get(ClusterRow, cid)
        assert (c.version, c.name) == (2, "by first")
        assert [(e.user_name, e.version) for e in audit_rows(s, "cluster", "sc-almg")] == [("first", 2)]


def test_racing_writers_released_together_exactly_one_wins(zone_db):
    with zone_db() as s:
        ids = [cluster_id(s, "sc-almg")]
    barrier = threading.Barrier(4)
    results: list[object] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        barrier.wait(10)
        try:
            with zone_db.begin() as s:
                update_cluster(s, ids[0], {"name": f"writer {i}"}, 1, f"w{i}")
            r: object = "won"
        except Exception as exc:
            r = exc
        with lock:
            results.append(r)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("won") == 1
    assert all(isinstance(r, VersionConflictError) for r in results if r != "won"), results
    with zone_db() as s:
        assert s.get(ClusterRow, ids[0]).version == 2
        assert len(audit_rows(s, "cluster", "sc-almg")) == 1
