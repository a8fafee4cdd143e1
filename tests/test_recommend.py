"""Recommendation: single parcels ranked by suitability × fit, and groups of adjacent parcels."""

from __future__ import annotations

import json
import math

import networkx as nx
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from app.i18n import render, render_value
from gis.errors import CRSError, MissingCRSError, SchemaError
from scoring.recommend import adjacency_graph, grow_groups, recommend
from scoring.zone import ZoneConfig
from tests.admission_fixtures import (
    PROJECTS_DIR,
    ROAD_M,
    jiaokou,
    layers,
    ledger,
    make_parcels,
    parcel,
    project,
    side_m,
    write_zone_with_layers,
)


def grid():
    """30 亩 squares, 20 m roads: A–B share an edge; C touches B only at a corner (28.3 m across
    the crossroads); D is A's neighbour in another cluster; E is far away. None is 50 亩."""
    return make_parcels(
        parcel("A", mu=30, score=80, col=0, row=0),
        parcel("B", mu=30, score=60, col=1, row=0),
        parcel("C", mu=30, score=90, col=2, row=1),
        parcel("D", mu=30, score=85, col=0, row=1, cluster="sc-bio"),
        parcel("E", mu=30, score=95, col=4, row=0),
    )


# --------------------------------------------------------------------------- adjacency


def test_adjacency_edges_not_corners():
    g = adjacency_graph(grid())
    assert sorted(tuple(sorted(e)) for e in g.edges) == [("A", "B"), ("A", "D")]
    s = side_m(30)
    assert g.edges["A", "B"]["gap_m"] == pytest.approx(ROAD_M)
    assert g.edges["A", "B"]["shared_m"] == pytest.approx(
        s + 2 * 2.0, abs=0.5
    )  # edge + 2 m tolerance each side


def test_adjacency_distance_limit():
    s = side_m(30)
    wide = make_parcels(parcel("A", mu=30, col=0, pitch=s + 35), parcel("B", mu=30, col=1, pitch=s + 35))
    assert adjacency_graph(wide).number_of_edges() == 0  # 35 m road > 30 m
    assert adjacency_graph(wide, adjacency_m=40).number_of_edges() == 1
    touching = make_parcels(parcel("A", mu=30, col=0, pitch=s), parcel("B", mu=30, col=1, pitch=s))
    assert adjacency_graph(touching).edges["A", "B"]["gap_m"] == 0.0


def test_adjacency_needs_a_projected_crs():
    with pytest.raises(MissingCRSError):
        adjacency_graph(make_parcels(parcel("A"), crs=None))
    with pytest.raises(CRSError, match="needs metres"):
        adjacency_graph(make_parcels(parcel("A")).set_crs("EPSG:4490", allow_override=True))


def test_grow_groups_least_surplus_and_pruning():
    g = nx.path_graph(["a", "b", "c", "d"])
    areas = {"a": 10, "b": 10, "c": 25, "d": 5}
    scores = {"a": 90, "b": 80, "c": 70, "d": 60}
    # from a: a+b (20) then c completes (45); pruning drops a → b+c (35). From c: d completes with no surplus.
    assert grow_groups(g, areas, scores, 30, None) == [("b", "c"), ("c", "d")]
    # with at most 32 亩 justified only c+d (30) remains
    assert grow_groups(g, areas, scores, 30, 32) == [("c", "d")]
    assert grow_groups(g, areas, scores, 30, None, max_parcels=1) == []


# --------------------------------------------------------------------------- the group search


def test_no_single_parcel_fits_two_adjacent_do():
    rec = recommend(jiaokou(), grid(), project(land_mu=50), ledger=ledger())
    assert rec.searched_groups is True
    assert [c.parcel_ids for c in rec.candidates] == [("A", "B")]  # not B+C (corner), not A+D (cluster)
    c = rec.candidates[0]
    assert c.kind == "group" and c.rank == 1 and c.verdict == "pass"
    assert c.area_mu == pytest.approx(60.0) and c.surplus_mu == pytest.approx(10.0)
    assert c.score == pytest.approx(70.0)  # (80×30 + 60×30) / 60
    s = side_m(30)
    assert c.compactness == pytest.approx(2 * s / (2 * s + ROAD_M))
    assert c.rank_value == pytest.approx(70.0 * 50 / 60 * c.compactness)
    assert render(c.weakest, "zh") == "B：坡度" and render(c.weakest, "en") == "B: Slope"
    assert c.check.rule("investment_intensity").value == pytest.approx(1000.0)  # 60000 / 60 亩
    assert render(c.reason, "zh").startswith(
        "2 块相邻地块（同在铝镁新材料产业组团，单块面积均不足）合计 60 亩 ≥ 需求 50 亩（余 10 亩）"
    )


def test_group_larger_than_the_justified_area_is_not_offered():
    # 13750 万元 justifies 55 亩 (÷250): A+B = 60 亩 is too large, and no parcel is 50 亩
    rec = recommend(jiaokou(), grid(), project(land_mu=50, investment_wan=13750), ledger=ledger())
    assert rec.candidates == ()
    assert render(rec.note, "zh") == "没有地块或相邻地块组合（≤8块）满足全部规则并达到 50 亩"
    assert rec.closest is not None and rec.closest.parcel_ids == ("E",)  # fewest fails, best score
    assert rec.closest.failed_rules() == ["land_demand"]


def test_groups_not_searched_when_a_single_parcel_fits():
    parcels = pd.concat([grid(), make_parcels(parcel("F", mu=55, score=50, col=6))], ignore_index=True)
    rec = recommend(jiaokou(), parcels, project(land_mu=50), ledger=ledger())
    assert rec.searched_groups is False and [c.parcel_ids for c in rec.candidates] == [("F",)]
    both = recommend(jiaokou(), parcels, project(land_mu=50), ledger=ledger(), groups="always")
    assert [c.parcel_ids for c in both.candidates] == [("A", "B"), ("F",)]  # 70×0.833×0.934 > 50×0.909
    none = recommend(jiaokou(), grid(), project(land_mu=50), ledger=ledger(), groups="never")
    assert none.candidates == () and none.searched_groups is False


def test_plain_dataframe_disables_groups():
    rec = recommend(
        jiaokou(), pd.DataFrame(grid().drop(columns="geometry")), project(land_mu=50), ledger=ledger()
    )
    assert rec.candidates == () and "no geometry" in render(rec.note, "en")


# --------------------------------------------------------------------------- ranking of single parcels


def test_rank_by_score_times_fit():
    parcels = make_parcels(
        parcel("BIG", mu=40, score=80, col=0),  # 80 × 20/40 = 40
        parcel("FIT", mu=20, score=60, col=2),  # 60 × 20/20 = 60
        parcel("MID", mu=25, score=70, col=4),  # 70 × 20/25 = 56
    )
    rec = recommend(jiaokou(), parcels, project(land_mu=20), ledger=ledger())
    assert [c.parcel_ids[0] for c in rec.candidates] == ["FIT", "MID", "BIG"]
    assert [round(c.rank_value, 6) for c in rec.candidates] == [60.0, 56.0, 40.0]
    assert [c.rank for c in rec.candidates] == [1, 2, 3]
    assert recommend(jiaokou(), parcels, project(land_mu=20), ledger=ledger(), top=2).candidates[-1].rank == 2


@pytest.mark.parametrize(
    "kw",
    [{"status": "existing"}, {"excluded": True}, {"score": 40.0}, {"cluster": "sc-bio"}, {"mu": 250}],
)
def test_hard_rules_keep_parcels_out(kw):
    parcels = make_parcels(
        parcel("OK", mu=30, score=55, col=0), parcel("X", **{"mu": 30, "score": 90, "col": 3, **kw})
    )
    rec = recommend(jiaokou(), parcels, project(land_mu=25), ledger=ledger())
    assert [c.parcel_ids for c in rec.candidates] == [("OK",)]


def test_reserved_reserve_land_is_offered_under_review():
    # the sample marks 产业备用地 parcels "reserved": encouraged projects go there, under review
    enc = project(
        industry="other",
        branch=None,
        encouraged_description="装配式建筑",
        land_mu=40,
        investment_wan=10000,
        output_wan=15000,
    )  # 表6-1 reference: min(50, 50) = 50 亩
    parcels = make_parcels(
        parcel("RS", mu=45, cluster="sc-reserve", status="reserved"),
        parcel("AL", mu=45, col=3),
        parcel("EX", mu=45, col=6, cluster="sc-reserve", status="existing"),
    )
    rec = recommend(jiaokou(), parcels, enc, ledger=ledger())
    assert [c.parcel_ids for c in rec.candidates] == [("RS",)]
    assert {"positive_list", "cluster", "parcel_vacant"} <= set(rec.candidates[0].to_dict()["review"])


def test_own_cluster_before_reserve_land():
    # a bigger, better-scored parcel on 产业备用地 does not stop the group search in the project's
    # own cluster, and the own-cluster group ranks first
    parcels = pd.concat(
        [grid(), make_parcels(parcel("RS", mu=55, score=95, col=8, cluster="sc-reserve", status="reserved"))],
        ignore_index=True,
    )
    rec = recommend(jiaokou(), parcels, project(land_mu=50), ledger=ledger())
    assert rec.searched_groups is True
    assert [c.parcel_ids for c in rec.candidates] == [("A", "B"), ("RS",)]
    assert [c.check.rule("cluster").status for c in rec.candidates] == ["pass", "review"]


def test_review_candidates_say_what_to_review():
    parcels = make_parcels(parcel("A", mu=30))
    rec = recommend(jiaokou(), parcels, project(land_mu=25, online_monitoring=None), ledger=ledger())
    c = rec.candidates[0]
    # an undeclared figure is the project's, the same on every site: needs_data, the field named
    assert c.verdict == "needs_data" and c.to_dict()["needs_data"] == ["online_monitoring"]
    assert c.to_dict()["missing_fields"] == ["online_monitoring"]
    assert render(c.reason, "zh").endswith("需补充资料：在线监测")
    assert render(c.reason, "en").endswith("needs data: Online monitoring")


def test_undeclared_demand_uses_share_of_justified_area():
    # 10000 万元 justifies 40 亩 (÷250); demand = 0.8 × 40 = 32 亩
    p = project(land_mu=None, investment_wan=10000)
    parcels = make_parcels(
        parcel("S30", mu=30, col=0), parcel("S35", mu=35, col=2), parcel("S45", mu=45, col=4)
    )
    rec = recommend(jiaokou(), parcels, p, ledger=ledger())
    assert rec.demand_mu == pytest.approx(32.0) and rec.demand_declared is False
    assert [c.parcel_ids for c in rec.candidates] == [("S35",)]  # 30 < 32; 45 > 40 fails intensity
    assert rec.candidates[0].verdict == "needs_data"  # land demand not declared
    assert recommend(jiaokou(), parcels, p, ledger=ledger(), undeclared_fill=0.7).demand_mu == pytest.approx(
        28.0
    )


def test_json_shape():
    rec = recommend(jiaokou(), grid(), project(land_mu=50), ledger=ledger())
    d = render_value(rec.to_dict(), "en")
    json.dumps(d, ensure_ascii=False)
    assert d["demand_mu"] == 50 and d["max_justified_mu"] == 240
    cand = d["candidates"][0]
    assert {"rank", "parcel_ids", "area_mu", "score", "weakest", "reason"} <= set(cand)
    assert cand["parcel_ids"] == ["A", "B"] and cand["weakest"] == "B: Slope"
    assert cand["reason"].startswith("2 adjacent parcels in Al-Mg new materials cluster")


def test_bad_arguments():
    with pytest.raises(SchemaError, match="top"):
        recommend(jiaokou(), grid(), project(), top=0)
    with pytest.raises(SchemaError, match="lacks column"):
        recommend(jiaokou(), grid().drop(columns="status"), project())


# --------------------------------------------------------------------------- CLI


def test_cli_recommend(tmp_path, monkeypatch):
    from app.commands.admission import register
    from app.scoring_io import cache as scored_cache

    subs, water = layers()
    zone_file = write_zone_with_layers(tmp_path, subs, water)
    parcels = make_parcels(
        parcel("SC-0001", mu=12, score=80, col=0),
        parcel("SC-0002", mu=12, score=60, col=1),
        parcel("SC-0003", mu=12, score=90, col=3),
    )
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: parcels)
    app = typer.Typer()
    register(app)
    args = ["recommend", "--zone", str(zone_file), "--project", str(PROJECTS_DIR / "almg_ok.yaml")]
    res = CliRunner().invoke(app, args + ["--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert [c["parcel_ids"] for c in d["candidates"]] == [["SC-0001", "SC-0002"]]
    assert math.isclose(d["candidates"][0]["area_mu"], 24.0)
    res = CliRunner().invoke(app, args + ["--lang", "en"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "SC-0001+SC-0002" in res.output and "demand 20 mu" in res.output


def test_cli_recommend_on_the_sample_zone():
    """End to end on the bundled zone and its sample data (real pipeline, real layers)."""
    from app.commands.admission import register
    from tests.admission_fixtures import ZONE_FILE

    app = typer.Typer()
    register(app)
    res = CliRunner().invoke(
        app,
        [
            "recommend",
            "--zone",
            str(ZONE_FILE),
            "--project",
            str(PROJECTS_DIR / "almg_ok.yaml"),
            "--top",
            "10",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["max_justified_mu"] == 240.0 and d["demand_mu"] == 20.0
    for c in d[
        "candidates"
    ]:  # 铝基新材料 is admitted in both Al-Mg clusters, and on reserve land under review
        assert c["cluster"] in {"sc-almg", "st-almg", "sc-reserve"}
        assert 20.0 <= c["area_mu"] <= 240.0 and c["verdict"] in {"pass", "review"}


def test_cluster_whose_admits_are_not_set_ranks_after_an_admitting_cluster():
    # sc-bio admits nothing yet: its better-scored parcel is offered under review, after sc-almg's
    data = jiaokou().model_dump(mode="json")
    for park in data["parks"]:
        for cl in park["clusters"]:
            if cl["id"] == "sc-bio":
                cl["admits"] = None
    zone = ZoneConfig.model_validate(data)
    parcels = make_parcels(
        parcel("UN", mu=45, score=95, col=0, cluster="sc-bio"), parcel("AL", mu=45, score=60, col=3)
    )
    rec = recommend(zone, parcels, project(land_mu=40), ledger=ledger())
    assert [c.parcel_ids for c in rec.candidates] == [("AL",), ("UN",)]
    assert [c.check.rule("cluster").status for c in rec.candidates] == ["pass", "review"]
    un = rec.candidates[1]
    assert "cluster" in un.to_dict()["review"]
    assert render(un.reason, "en").endswith(
        "Bio-health cluster admits nothing yet: review — set the industries it admits on the map"
    )
    assert render(un.reason, "zh").endswith(
        "生物健康产业组团尚未设定准入产业，需复核：请在地图上为该组团填写准入产业"
    )
