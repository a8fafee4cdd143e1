"""``/check`` (admission check of a project on a parcel or site, not stored unless asked) and
``/recommend``; :func:`check_on_site` and :func:`save_checked` are shared with ``POST /projects``
(the register, :mod:`app.api.routes_projects`).

A check states its land basis (:mod:`scoring.land`): the site's gross, net buildable and
granted area, cut from the zone's layers (the measuring context of :mod:`app.api.scores`), with
the constrained parts and a proposed split drawn as GeoJSON in WGS 84 (``land.geometry``).

Both work on the zone's scored parcel table (the parcels as they are now, with the newest score
run), the utility capacities of its substations and water layers, and the zone's rules with the
clusters of the database (:func:`app.db.rules.zone_rules`): a cluster drawn on the map admits
what its ``admits`` say, and one without ``admits`` yet makes the cluster rule "review" with the
message "admits nothing yet". The projects admitted so far (:mod:`app.db.admissions`) count:
their demand is drawn from the spare capacity, and their parcels are taken (``parcel_vacant``
fails on them; recommendations leave them out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from app.api.deps import ApiState, Checker, SessionDep, StateDep, Viewer, write_transaction
from app.api.geojson import jsonable, to_wgs84
from app.api.land import land_features
from app.api.lang import request_lang
from app.api.models import (
    CheckRequest,
    CheckResponse,
    ErrorBody,
    LandRequest,
    LandResponse,
    RecommendRequest,
    RecommendResponse,
)
from app.api.store import ServedZone
from app.api.zone_memo import admission_state, context_of, served
from app.db.models import UserRow, ZoneRow
from app.db.records import add_project, record_check
from app.db.users import require
from app.i18n import render_value
from app.scoring_io.expansion import expansion_in_db
from gis.errors import NotFoundError, SchemaError
from gis.messages import joined, msg, plain
from scoring.admission import CheckResult, check_site
from scoring.industry import classify_industry
from scoring.land import LandBasis, land_on_context
from scoring.project import Project, parse_project, project_warnings
from scoring.recommend import recommend
from scoring.rules_plan import intensity_formula
from scoring.zone import ZoneConfig

router = APIRouter(tags=["checks"])


def zone_project(cfg: ZoneConfig, data: dict[str, Any]) -> Project:
    """Return the project ``data`` validated and classified against the zone (SchemaError if not)."""
    project = parse_project(data, where="project")
    classify_industry(cfg, project, where="project")  # SchemaError (with close names) if unclassifiable
    return project


def site_ids(parcel_id: str | None, parcel_ids: list[str] | None, where: str) -> list[str]:
    """Return the parcel ids of a site given as ``parcel_id`` or ``parcel_ids`` (one of the two;
    repeats dropped). Raises SchemaError naming ``where`` otherwise."""
    if (parcel_id is None) == (parcel_ids is None):
        raise SchemaError(
            "give either parcel_id or parcel_ids",
            where=where,
            hint='e.g. {"parcel_id": "SC-0001"} or {"parcel_ids": ["SC-101", "SC-102"]}',
            msg=msg("error.check.parcel_or_parcels"),
        )
    ids = [parcel_id] if parcel_id is not None else list(dict.fromkeys(parcel_ids or []))
    if not ids:
        raise SchemaError(
            "parcel_ids is empty", where=f"{where}: parcel_ids", msg=msg("error.check.no_parcels")
        )
    return [str(i) for i in ids]


@dataclass
class SiteCheck:
    """A project checked on a site: the zone, the project, the site's rows, the result, its JSON
    (``out``, rendered in the language asked for), its rules as stored (``stored_rules``: messages
    as JSON, shown later in any language) and the context's notes (rendered)."""

    zone: ServedZone
    project: Project
    rows: pd.DataFrame
    result: CheckResult
    out: dict[str, Any]
    stored_rules: list[dict[str, Any]]
    notes: list[str]


def site_rows(table: pd.DataFrame, ids: list[str], zone_id: str) -> pd.DataFrame:
    """Return the rows of parcels ``ids`` (in that order); NotFoundError naming unknown ones."""
    missing = [i for i in ids if i not in set(table["parcel_id"])]
    if missing:
        raise NotFoundError(
            f"no parcel {', '.join(missing)} in zone {zone_id}",
            where="check: parcel_id",
            msg=msg("error.parcel.not_found", parcel=joined(missing)),
        )
    return table.set_index("parcel_id", drop=False).loc[ids].reset_index(drop=True)


def site_land(
    session: Session,
    state: ApiState,
    zone: ServedZone,
    cfg: ZoneConfig,
    rows: Any,
    declared_mu: float | None,
) -> LandBasis:
    """Return the land basis of the site made of ``rows`` (parcels with geometry, zone CRS),
    cut from the zone's measuring context (:func:`scoring.land.land_on_context`)."""
    site_geom = shapely.union_all(rows.geometry.to_numpy())
    return land_on_context(context_of(state, session, zone.id), cfg, site_geom, declared_mu)


def check_on_site(
    session: Session, state: ApiState, data: dict[str, Any], ids: list[str], lang: str
) -> SiteCheck:
    """Return project ``data`` checked on parcels ``ids`` of the served zone (nothing stored),
    its texts in ``lang``.

    A project with ``expansion_of`` is an existing enterprise's expansion
    (:mod:`scoring.expansion`): the enterprise is looked up in the zone (表2-1, parcels, land
    contracts, yearly figures) and the result's ``expansion`` says what was found.

    Raises SchemaError for a bad project, NotFoundError for an unknown parcel or enterprise,
    ConflictError when the zone has never been scored.
    """
    zone = served(state, session)  # once per data version, as the rest
    rules, table, ledger, notes = admission_state(state, session, zone.id)
    cfg = rules.config
    project = zone_project(cfg, data)
    expansion = expansion_in_db(session, zone.id, state.settings.zone_file, cfg, project, table)
    rows = site_rows(table, ids, zone.id)
    land = site_land(session, state, zone, cfg, rows, project.land_mu)
    result = check_site(
        cfg,
        pd.DataFrame(rows.drop(columns=rows.geometry.name)),
        project,
        ledger,
        land=land,
        expansion=expansion,
    )
    data_out = result.to_dict()
    data_out["land"]["geometry"] = land_features(land, zone.crs)
    return SiteCheck(
        zone,
        project,
        rows,
        result,
        render_value(data_out, lang),
        plain(data_out["rules"]),
        render_value(notes, lang),
    )


def save_checked(
    ws: Session, zone: ZoneRow | ServedZone, project: Project, check: SiteCheck | None, user: UserRow
) -> dict:
    """Save ``project`` to the register with its ``check`` (one check result per parcel; status
    ``reviewed``), or without one (status ``negotiating``); return ``{project_id, check_ids}``."""
    p = add_project(ws, zone.id, project, user)
    checks = []
    if check is not None:
        checks = [
            record_check(
                ws,
                p.id,
                int(db_id),
                check.result.verdict,
                check.stored_rules,
                user,
                config_sha256=zone.config_sha256,
            ).id
            for db_id in check.rows["id"]
        ]
    return {"project_id": p.id, "check_ids": checks}


@router.post(
    "/check",
    response_model=CheckResponse,
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody, "description": "record without manager rights"},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "zone not scored"},
        422: {"model": ErrorBody},
    },
    summary="Check a project on a parcel (or a site of parcels) against the admission rules (signed in)",
)
def post_check(
    body: CheckRequest, request: Request, session: SessionDep, state: StateDep, user: Checker
) -> CheckResponse:
    """Run every admission rule (表9-5, 表8-1, 表9-6, site, area, capacity); nothing is stored.

    ``record`` (default false; manager+) also saves the project and one check result per parcel
    to the register, as ``POST /projects`` with the site does. Texts are in ``lang`` (default:
    ``Accept-Language``, else Chinese).
    """
    if body.record:
        require(user, "save_projects")
    lang = body.lang or request_lang(request)
    c = check_on_site(session, state, body.project, site_ids(body.parcel_id, body.parcel_ids, "check"), lang)
    recorded = None
    if body.record:
        with write_transaction(session) as ws:
            recorded = save_checked(ws, c.zone, c.project, c, user)
    return CheckResponse(
        **c.out,
        notes=c.notes,
        warnings=render_value(project_warnings(c.project), lang),
        recorded=recorded,
    )


@router.post(
    "/check/land",
    response_model=LandResponse,
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    summary="The land basis of a parcel (or site) for a declared demand: gross, net, granted area",
)
def post_land(
    body: LandRequest, request: Request, session: SessionDep, state: StateDep, user: Checker
) -> LandResponse:
    """Return the land basis ``/check`` would state (the form's hint shows it before a check),
    with the intensity formulas on the granted area when investment/output are given."""
    lang = body.lang or request_lang(request)
    zone = served(state, session)
    rules, table, _, _ = admission_state(state, session, zone.id)  # once per data version
    cfg = rules.config
    rows = site_rows(table, site_ids(body.parcel_id, body.parcel_ids, "check/land"), zone.id)
    land = site_land(session, state, zone, cfg, rows, body.land_mu)
    out = land.to_dict() | {"geometry": land_features(land, zone.crs)}
    formulas = {}
    for key, amount, name in (
        ("investment_intensity", body.investment_wan, "rule.investment_intensity"),
        ("output_intensity", body.output_wan, "rule.output_intensity"),
    ):
        if amount and land.granted_mu > 0:
            formulas[key] = intensity_formula(msg(name), amount, land.granted_mu, land.basis_label())
    return LandResponse(**render_value(out | {"formulas": formulas}, lang))


@router.post(
    "/recommend",
    response_model=RecommendResponse,
    responses={
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "zone not scored"},
        422: {"model": ErrorBody},
    },
    summary="Where should this project go? The best parcels or groups of adjacent parcels",
)
def post_recommend(
    body: RecommendRequest, request: Request, session: SessionDep, state: StateDep, user: Viewer
) -> dict[str, Any]:
    """Rank sites (single vacant parcels, or groups of adjacent ones) on which no rule fails.

    Texts are in ``lang`` (default: ``Accept-Language``, else Chinese)."""
    lang = body.lang or request_lang(request)
    zone = served(state, session)
    rules, table, ledger, notes = admission_state(state, session, zone.id)  # once per data version
    cfg = rules.config
    project = zone_project(cfg, body.project)
    rec = recommend(cfg, table, project, ledger=ledger, top=body.top)
    out = render_value(rec.to_dict(), lang)
    geoms = dict(zip(table["parcel_id"], table.geometry))
    sites = [shapely.union_all([geoms[p] for p in c["parcel_ids"]]) for c in out["candidates"]]
    for c, g in zip(out["candidates"], to_wgs84(sites, zone.crs)):
        c["geometry"] = shapely.geometry.mapping(g)
    out["notes"] = render_value(notes, lang)
    return jsonable(out)
