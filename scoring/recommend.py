"""Where should this project go? Rank single parcels and groups of adjacent parcels.

:func:`recommend` checks the project (:func:`scoring.admission.check_site`) on every vacant (or
reserved, → review) parcel of the scored parcel table. A *candidate* is a site on which no rule fails (review-only outcomes
are allowed and reported) and whose area covers the project's demand. A ``needs_data`` outcome
(a figure the project did not declare) does not change the ranking: it is the project's, the
same on every site; the candidate's verdict and reason say which fields to fill.

* **Demand.** The project's ``land_mu``; when it declares none, ``undeclared_fill`` (0.8, a
  parksite default) × the largest area its investment and output justify — a project is assumed
  to use most of the land its commitments justify, and no candidate may exceed that area anyway
  (the intensity rules).
* **Groups** (the parcel-level analogue of ArcGIS *Locate Regions*): when no single parcel is a
  candidate (``groups="auto"``), connected groups of eligible parcels — vacant, in one admitting
  cluster, failing no rule but the land demand — are grown best-first from each seed (highest
  score first): each step adds the neighbour that completes the demand with the least surplus,
  else the best-scoring neighbour that keeps the group within the justified area; then members
  are pruned (lowest score first) while the rest still covers the demand and stays connected.
  Two parcels are **adjacent** when they lie within ``adjacency_m`` (30 m: parcels are separated
  by road corridors) and share an edge: at least ``min_shared_m`` (10 m) of one's boundary lies
  within their distance + ``edge_tolerance_m`` (2 m) of the other — parcels that meet only at a
  corner across a crossroads are not adjacent.
* **Ranking.** Sites in a cluster that admits the project come first, 产业备用地 and clusters
  whose admitted industries are not set yet (cluster rule "review") after; within each, ``rank_value = score × fit × compactness``: ``score`` is the suitability (area-
  weighted mean for a group), ``fit = demand ÷ area`` (1 = no area left over) and
  ``compactness`` = the members' area ÷ the area of their convex hull (1 for a single parcel).
  In ``groups="auto"`` mode groups are searched when no single parcel of an admitting cluster is
  a candidate (a single parcel on 产业备用地 does not stop the search).

JSON (:meth:`Recommendation.to_dict`): ``{"project", "demand_mu", "demand_declared",
"max_justified_mu", "searched_groups", "candidates": [{"rank", "parcel_ids", "area_mu", "score",
"weakest", "reason", "verdict", "kind", "park", "cluster", "surplus_mu", "review", "needs_data",
"missing_fields"}], "closest"}``;
``closest`` is the check of the nearest miss when there is no candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from gis.errors import CRSError, MissingCRSError, SchemaError
from gis.messages import Message, Name, msg
from scoring.admission import (
    AVAILABLE_STATUSES,
    CheckResult,
    JustifiedArea,
    Site,
    cluster_admits,
    evaluate_site,
    fmt,
    justified_area,
    require_parcel_columns,
    rule_label,
    unset_admits_message,
)
from scoring.capacity import CapacityLedger
from scoring.industry import Classification, classify_industry
from scoring.project import Project, project_park
from scoring.rulebook import Shown, field_labels
from scoring.zone import ZoneConfig

#: Parcels within this distance (m) may be adjacent (parcels are separated by road corridors).
DEFAULT_ADJACENCY_M: float = 30.0
#: Adjacent parcels share at least this much boundary (m) across the corridor.
DEFAULT_MIN_SHARED_M: float = 10.0
#: Boundary within (distance + this) (m) of the neighbour counts as shared.
DEFAULT_EDGE_TOLERANCE_M: float = 2.0
#: Without a declared land demand, the demand is this share of the justified area (parksite default).
DEFAULT_UNDECLARED_FILL: float = 0.8
#: Largest number of parcels in one group.
DEFAULT_MAX_GROUP_PARCELS: int = 8

_EPS = 1e-9


@dataclass(frozen=True)
class Candidate:
    """A recommended site: one parcel or a group, with why it is there."""

    rank: int
    kind: Literal["parcel", "group"]
    parcel_ids: tuple[str, ...]
    park: str | None
    cluster: str | None
    area_mu: float
    score: float
    fit: float
    compactness: float
    rank_value: float
    surplus_mu: float
    weakest: Message | Name | None
    reason: Message
    check: CheckResult

    @property
    def verdict(self) -> str:
        return self.check.verdict

    def to_dict(self) -> dict[str, Any]:
        """Return the candidate as JSON data (areas in 亩); texts are still messages."""
        return {
            "rank": self.rank,
            "parcel_ids": list(self.parcel_ids),
            "area_mu": round(self.area_mu, 4),
            "score": round(self.score, 2),
            "weakest": self.weakest,
            "reason": self.reason,
            "verdict": self.verdict,
            "kind": self.kind,
            "park": self.park,
            "cluster": self.cluster,
            "surplus_mu": round(self.surplus_mu, 4),
            "fit": round(self.fit, 4),
            "compactness": round(self.compactness, 4),
            "review": [r.rule for r in self.check.rules if r.status == "review"],
            "needs_data": [r.rule for r in self.check.rules if r.status == "needs_data"],
            "missing_fields": self.check.missing_fields(),
        }


@dataclass(frozen=True)
class Recommendation:
    """Ranked candidates for one project; ``closest`` is the nearest miss when there are none."""

    project: str
    demand_mu: float
    demand_declared: bool
    justified: JustifiedArea | None
    candidates: tuple[Candidate, ...]
    searched_groups: bool
    closest: CheckResult | None
    note: Message | None = None

    @property
    def max_justified_mu(self) -> float | None:
        return None if self.justified is None else self.justified.mu

    def to_dict(self) -> dict[str, Any]:
        """Return the recommendation as JSON data (areas in 亩); texts are still messages."""
        return {
            "project": self.project,
            "demand_mu": round(self.demand_mu, 4),
            "demand_declared": self.demand_declared,
            "max_justified_mu": None if self.justified is None else round(self.justified.mu, 4),
            "searched_groups": self.searched_groups,
            "candidates": [c.to_dict() for c in self.candidates],
            "closest": None if self.closest is None else self.closest.to_dict(),
            "note": self.note,
        }


# --------------------------------------------------------------------------- adjacency


def adjacency_graph(
    parcels: gpd.GeoDataFrame,
    *,
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
    edge_tolerance_m: float = DEFAULT_EDGE_TOLERANCE_M,
) -> nx.Graph:
    """Return the graph of adjacent parcels (nodes: ``parcel_id``; edge attributes ``gap_m`` and
    ``shared_m``, in metres). See the module docstring for the adjacency rule. Needs a projected
    CRS (MissingCRSError / CRSError otherwise)."""
    if parcels.crs is None:
        raise MissingCRSError(
            "the parcel layer has no CRS",
            where="parcels",
            hint="set the zone's projected CRS (e.g. EPSG:4546) on the layer",
            msg=msg("error.parcels.no_crs"),
        )
    if not parcels.crs.is_projected:
        raise CRSError(
            f"adjacency needs metres; the parcel layer is in {parcels.crs.name}",
            where="parcels",
            hint="reproject to the zone's projected CRS",
            msg=msg("error.recommend.not_metres", crs=parcels.crs.name),
        )
    gdf = gpd.GeoDataFrame(
        {"parcel_id": parcels["parcel_id"].astype(str).to_numpy()},
        geometry=parcels.geometry.to_numpy(),
        crs=parcels.crs,
    )
    graph = nx.Graph()
    graph.add_nodes_from(gdf["parcel_id"])
    if len(gdf) < 2:
        return graph
    pairs = gpd.sjoin(gdf, gdf, predicate="dwithin", distance=adjacency_m)
    i = pairs.index.to_numpy()
    j = pairs["index_right"].to_numpy()
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return graph
    geoms = gdf.geometry.to_numpy()
    a, b = geoms[i], geoms[j]
    gap = shapely.distance(a, b)
    reach = gap + edge_tolerance_m
    shared_ab = shapely.length(shapely.intersection(shapely.boundary(b), shapely.buffer(a, reach)))
    shared_ba = shapely.length(shapely.intersection(shapely.boundary(a), shapely.buffer(b, reach)))
    shared = np.minimum(shared_ab, shared_ba)
    ids = gdf["parcel_id"].to_numpy()
    for ii, jj, g, s in zip(i, j, gap, shared):
        if s >= min_shared_m:
            graph.add_edge(ids[ii], ids[jj], gap_m=float(g), shared_m=float(s))
    return graph


def grow_groups(
    graph: nx.Graph,
    areas: dict[str, float],
    scores: dict[str, float],
    demand_mu: float,
    max_area_mu: float | None,
    *,
    max_parcels: int = DEFAULT_MAX_GROUP_PARCELS,
) -> list[tuple[str, ...]]:
    """Return connected groups (≥ 2 parcels) of ``graph`` whose area covers ``demand_mu`` and does
    not exceed ``max_area_mu`` (亩), grown best-first from each seed and pruned; de-duplicated,
    members sorted by id."""
    cap = math.inf if max_area_mu is None else max_area_mu
    found: dict[frozenset[str], None] = {}
    for seed in sorted(graph.nodes, key=lambda n: (-scores[n], n)):
        if areas[seed] > cap + _EPS:
            continue
        group, area = [seed], areas[seed]
        while area + _EPS < demand_mu and len(group) < max_parcels:
            members = set(group)
            frontier = {n for g in group for n in graph.neighbors(g)} - members
            fitting = [n for n in frontier if area + areas[n] <= cap + _EPS]
            if not fitting:
                break
            completers = [n for n in fitting if area + areas[n] + _EPS >= demand_mu]
            if completers:
                pick = min(completers, key=lambda n: (area + areas[n] - demand_mu, -scores[n], n))
            else:
                links = {n: sum(1 for g in group if graph.has_edge(g, n)) for n in fitting}
                pick = max(fitting, key=lambda n: (scores[n], links[n], areas[n], n))
            group.append(pick)
            area += areas[pick]
        if area + _EPS < demand_mu:
            continue
        for n in sorted(group, key=lambda n: (scores[n], n)):  # prune the weakest first
            rest = [g for g in group if g != n]
            if (
                len(rest) >= 1
                and sum(areas[g] for g in rest) + _EPS >= demand_mu
                and nx.is_connected(graph.subgraph(rest))
            ):
                group = rest
        if len(group) >= 2:
            found.setdefault(frozenset(group), None)
    return [tuple(sorted(g)) for g in found]


# --------------------------------------------------------------------------- recommendation


def recommend(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    project: Project,
    *,
    ledger: CapacityLedger | None = None,
    top: int = 5,
    groups: Literal["auto", "always", "never"] = "auto",
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    min_shared_m: float = DEFAULT_MIN_SHARED_M,
    edge_tolerance_m: float = DEFAULT_EDGE_TOLERANCE_M,
    max_group_parcels: int = DEFAULT_MAX_GROUP_PARCELS,
    undeclared_fill: float = DEFAULT_UNDECLARED_FILL,
    classification: Classification | None = None,
) -> Recommendation:
    """Return the ``top`` best sites for ``project`` among the vacant parcels of ``parcels``.

    ``parcels`` is the scored parcel table (a GeoDataFrame in the zone CRS for the group search;
    a plain DataFrame disables groups). Areas in 亩. See the module docstring for the rules."""
    require_parcel_columns(parcels)
    if top < 1:
        raise SchemaError(f"top must be ≥ 1, got {top}", where="top", msg=msg("error.recommend.top", top=top))
    if not 0 < undeclared_fill <= 1:
        raise SchemaError(
            f"undeclared_fill must be in (0, 1], got {undeclared_fill}",
            where="undeclared_fill",
            msg=msg("error.recommend.fill", value=undeclared_fill),
        )
    cls = classification or classify_industry(zone, project)
    ja = justified_area(zone, project, cls)
    declared = project.land_mu is not None
    if declared:
        demand = float(project.land_mu)  # type: ignore[arg-type]
    elif ja is not None:
        demand = ja.mu * undeclared_fill
    else:
        raise SchemaError(
            "the project declares no land demand and its industry has no intensity threshold to derive one",
            where=f"project {project.name!r}: land_mu",
            hint="give land_mu (亩)",
            msg=msg("error.recommend.no_demand", project=project.name),
        )

    table = parcels.reset_index(drop=True)
    avail = table[table["status"].astype(str).isin(AVAILABLE_STATUSES)]  # vacant, and reserved (review)
    if "admitted_project" in avail.columns:  # parcels taken by admitted projects are not offered
        avail = avail[avail["admitted_project"].isna()]
    geo = isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table.columns
    ids = [str(p) for p in avail["parcel_id"]]
    plain = avail.drop(columns=[table.geometry.name]) if geo else avail
    records = dict(zip(ids, plain.to_dict("records")))
    geoms = dict(zip(ids, avail.geometry.to_numpy())) if geo else {}
    known_clusters = {c.id: c for _, c in zone.clusters()}

    checks: dict[str, CheckResult] = {}

    def check(pid: str) -> CheckResult:
        if pid not in checks:
            site = Site.from_records([records[pid]])
            checks[pid] = evaluate_site(zone, site, project, ledger, classification=cls)
        return checks[pid]

    named_park = project_park(zone, project)

    def hopeless(pid: str) -> bool:
        """A parcel whose cluster cannot admit the project, or outside the park the project names
        (checked fully only for the nearest miss)."""
        if named_park is not None and str(records[pid].get("park")) != named_park:
            return True
        cl = known_clusters.get(str(records[pid].get("cluster")))
        return cl is not None and cluster_admits(zone, cl, cls) == "fail"

    hopeful = [pid for pid in ids if not hopeless(pid)]
    singles = [pid for pid in hopeful if check(pid).verdict != "fail" and check(pid).area_mu + _EPS >= demand]
    out: list[dict[str, Any]] = []
    for pid in singles:
        out.append(_entry("parcel", (pid,), [records[pid]], checks[pid], demand, 1.0, zone))

    searched = False
    note: Message | None = None
    own_cluster_single = any(_tier(checks[p]) == 0 for p in singles)
    if groups == "always" or (groups == "auto" and not own_cluster_single):
        if not geo:
            note = msg("recommend.no_geometry")
        else:
            searched = True
            # a group member fails no rule but the land demand (it is too small on its own)
            eligible = [
                pid
                for pid in hopeful
                if (set(check(pid).failed_rules()) <= {"land_demand"} and check(pid).area_mu + _EPS < demand)
                or (groups == "always" and pid in singles)
            ]
            by_cluster: dict[str, list[str]] = {}
            for pid in eligible:
                by_cluster.setdefault(str(records[pid].get("cluster")), []).append(pid)
            for members_ids in by_cluster.values():
                part = gpd.GeoDataFrame(
                    {"parcel_id": members_ids}, geometry=[geoms[m] for m in members_ids], crs=table.crs
                )
                graph = adjacency_graph(
                    part,
                    adjacency_m=adjacency_m,
                    min_shared_m=min_shared_m,
                    edge_tolerance_m=edge_tolerance_m,
                )
                areas = {m: float(records[m]["area_mu"]) for m in members_ids}
                scores = {m: _num(records[m]["score"]) for m in members_ids}
                for members in grow_groups(
                    graph, areas, scores, demand, ja.mu if ja else None, max_parcels=max_group_parcels
                ):
                    recs = [records[m] for m in members]
                    chk = evaluate_site(zone, Site.from_records(recs), project, ledger, classification=cls)
                    if chk.verdict == "fail":
                        continue
                    out.append(
                        _entry(
                            "group",
                            members,
                            recs,
                            chk,
                            demand,
                            _compactness([geoms[m] for m in members]),
                            zone,
                        )
                    )

    # sites in a cluster that admits the project come before 产业备用地 and clusters whose admits
    # are not set yet (cluster rule "review")
    out.sort(key=lambda e: (_tier(e["check"]), -e["rank_value"], -e["score"], e["parcel_ids"]))
    candidates = tuple(Candidate(rank=k + 1, **e) for k, e in enumerate(out[:top]))
    closest = None
    if not candidates and ids:

        def miss(pid: str) -> tuple:
            c = check(pid)
            fails = len(c.failed_rules()) + (0 if c.area_mu + _EPS >= demand else 1)
            return (fails, -_num(records[pid]["score"]), -c.area_mu, pid)

        # a project that names a park misses nearest there, when that park has any parcel left
        near = [pid for pid in ids if named_park is None or str(records[pid].get("park")) == named_park]
        closest = check(min(near or ids, key=miss))
    if not candidates and note is None:
        if not ids:
            note = msg("recommend.no_vacant")
        else:
            note = msg("recommend.none_fits", parcels=max_group_parcels, demand=fmt(demand))
    return Recommendation(project.name, demand, declared, ja, candidates, searched, closest, note)


def _tier(chk: CheckResult) -> int:
    """Return 0 for a site in a cluster that admits the project, 1 otherwise (产业备用地 or admits
    not set yet: review)."""
    return 0 if chk.rule("cluster").status == "pass" else 1


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(x) else x


def _compactness(geoms: list[Any]) -> float:
    """Return the members' area ÷ the area of their union's convex hull (0–1)."""
    arr = np.asarray(geoms, dtype=object)
    hull = shapely.convex_hull(shapely.union_all(arr)).area
    return float(shapely.area(arr).sum() / hull) if hull > 0 else 1.0


def _weakest(zone: ZoneConfig, recs: list[dict[str, Any]]) -> Message | Name | None:
    """Return the weakest criterion of the lowest-scoring member (its name; for a group, with
    the member's id)."""
    k = int(np.argmin([_num(r.get("score")) for r in recs]))
    w = recs[k].get("weakest")
    if w is None or (isinstance(w, float) and math.isnan(w)):
        return None
    names = {c.id: Name(c.name, c.name_en) for c in zone.scoring.criteria}
    name = names.get(str(w), Name(str(w), str(w)))
    return (
        msg("recommend.weakest_of", parcel=str(recs[k]["parcel_id"]), criterion=name)
        if len(recs) > 1
        else name
    )


def _entry(
    kind: str,
    ids: tuple[str, ...],
    recs: list[dict[str, Any]],
    chk: CheckResult,
    demand: float,
    compactness: float,
    zone: ZoneConfig,
) -> dict[str, Any]:
    areas = np.array([_num(r.get("area_mu")) for r in recs])
    scores = np.array([_num(r.get("score")) for r in recs])
    area = float(areas.sum())
    score = float((scores * areas).sum() / area)
    fit = demand / area if area > 0 else 0.0
    surplus = area - demand
    park = None if recs[0].get("park") is None else str(recs[0]["park"])
    cluster = None if recs[0].get("cluster") is None else str(recs[0]["cluster"])
    cl_name: Name | str = cluster or "—"
    unset = None
    for _, c in zone.clusters():
        if c.id == cluster:
            cl_name = Name(c.name, c.name_en)
            unset = c if c.admits_unset else None
    review = [r.rule for r in chk.rules if r.status == "review"]

    def klass_of(col: str) -> str:
        v = recs[0].get(col)
        return v if len(recs) == 1 and isinstance(v, str) else ""

    klass, klass_en = klass_of("class"), klass_of("class_en") or klass_of("class")
    ja = chk.max_justified_mu
    justified = "" if ja is None else msg("recommend.reason.justified", justified=fmt(ja))
    missing = chk.missing_fields()
    rules: Shown = (
        msg("recommend.reason.review", rules=[msg(rule_label(r)) for r in review]) if review else ""
    )
    if missing:
        rules = msg("recommend.reason.needs_data", fields=field_labels(missing), review=rules)
    elif not review:
        rules = msg("recommend.reason.all_pass")
    unset_note = "" if unset is None else msg("recommend.reason.unset", note=unset_admits_message(unset))
    if kind == "parcel":
        klass_text = msg("recommend.reason.class", klass=Name(klass, klass_en)) if klass else ""
        reason = msg(
            "recommend.reason.parcel",
            cluster=cl_name,
            klass=klass_text,
            justified=justified,
            rules=rules,
            unset=unset_note,
            area=fmt(area),
            demand=fmt(demand),
            left=fmt(surplus),
            score=fmt(score, 1),
        )
    else:
        reason = msg(
            "recommend.reason.group",
            n=len(ids),
            cluster=cl_name,
            compactness=fmt(compactness),
            justified=justified,
            rules=rules,
            unset=unset_note,
            area=fmt(area),
            demand=fmt(demand),
            left=fmt(surplus),
            score=fmt(score, 1),
        )
    return {
        "kind": kind,
        "parcel_ids": tuple(ids),
        "park": park,
        "cluster": cluster,
        "area_mu": area,
        "score": score,
        "fit": fit,
        "compactness": compactness,
        "rank_value": score * fit * compactness,
        "surplus_mu": surplus,
        "weakest": _weakest(zone, recs),
        "reason": reason,
        "check": chk,
    }
