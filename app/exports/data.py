"""A zone's data gathered for export: layers, latest scores, enterprises' figures, check results.

Layers come from :func:`app.db.layers.load_layer` with the GeoPackage's field names and without
the database's own ``id`` and ``version`` columns, so an exported layer imports again unchanged
(``parksite import --layers``). Scores come from the newest finished score run (none → nulls).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.db.import_layers import LAYERS
from app.db.layers import get_zone, load_layer
from app.db.models import (
    CheckResultRow,
    EnterpriseRow,
    EnterpriseYearlyRow,
    ParcelRow,
    ParcelScoreRow,
    ParkRow,
    ProjectRow,
)
from app.exports.score_runs import LatestRun, latest_score_run, reasons_text

#: Columns of the database, not of the layers: left out of exported layers.
DB_COLUMNS = ("id", "version")

#: Score columns added to parcels in the score tables (not in the importable ``parcels`` layer).
SCORE_COLUMNS = ("score", "score_class", "excluded", "reasons")


@dataclass
class ZoneData:
    """Everything exported for one zone (GeoDataFrames in the zone CRS, EPSG:4546)."""

    zone_id: str
    zone_name: str
    crs: str
    config_sha256: str
    layers: dict[str, gpd.GeoDataFrame]
    scores: gpd.GeoDataFrame
    run: LatestRun | None
    checks: pd.DataFrame
    park_names: dict[str, str]
    cluster_names: dict[str, str]
    class_names: list[str] = field(default_factory=list)
    #: English names (parks, clusters; score classes by their Chinese name) for English tables.
    park_names_en: dict[str, str] = field(default_factory=dict)
    cluster_names_en: dict[str, str] = field(default_factory=dict)
    class_names_en: dict[str, str] = field(default_factory=dict)
    exported_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _enterprise_figures(session: Session, zone_id: str) -> pd.DataFrame:
    """Return each enterprise's newest year: intensities per 亩 (万元/亩) and the year."""
    rows = session.execute(
        select(
            EnterpriseRow.name,
            EnterpriseYearlyRow.year,
            EnterpriseYearlyRow.land_mu,
            EnterpriseYearlyRow.investment_wan,
            EnterpriseYearlyRow.output_wan,
            EnterpriseYearlyRow.tax_wan,
        )
        .join(EnterpriseYearlyRow, EnterpriseYearlyRow.enterprise_id == EnterpriseRow.id)
        .where(EnterpriseRow.zone_id == zone_id)
        .order_by(EnterpriseRow.name, EnterpriseYearlyRow.year)
    ).all()
    df = pd.DataFrame(
        rows, columns=["enterprise", "year", "land_mu", "investment_wan", "output_wan", "tax_wan"]
    )
    df = df.groupby("enterprise", as_index=False).last() if len(df) else df
    land = df["land_mu"].where(df["land_mu"] > 0)
    return pd.DataFrame(
        {
            "enterprise": df["enterprise"],
            "figures_year": df["year"],
            "investment_wan_per_mu": df["investment_wan"] / land,
            "output_wan_per_mu": df["output_wan"] / land,
            "tax_wan_per_mu": df["tax_wan"] / land,
        }
    )


def _scores(
    session: Session, zone_id: str, parcels: gpd.GeoDataFrame, run: LatestRun | None
) -> gpd.GeoDataFrame:
    cols = ["parcel_id", *SCORE_COLUMNS]
    if run is None:
        s = pd.DataFrame(columns=[*cols, "reasons_en"])
    else:
        rows = session.execute(
            select(
                ParcelRow.parcel_id,
                ParcelScoreRow.score,
                ParcelScoreRow.score_class,
                ParcelScoreRow.excluded,
                ParcelScoreRow.reasons,
                ParcelScoreRow.breakdown,
            )
            .join(ParcelScoreRow, ParcelScoreRow.parcel_id == ParcelRow.id)
            .where(ParcelRow.zone_id == zone_id, ParcelScoreRow.run_id == run.id)
        ).all()
        s = pd.DataFrame(
            [(p, sc, cl, ex, reasons_text(r), reasons_text(_en_reasons(b))) for p, sc, cl, ex, r, b in rows],
            columns=[*cols, "reasons_en"],
        )
    out = parcels.merge(s, on="parcel_id", how="left")
    out["score"] = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    out["excluded"] = out["excluded"].astype("boolean")
    figures = _enterprise_figures(session, zone_id)
    out = out.merge(figures, on="enterprise", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)


def _en_reasons(breakdown: dict | None) -> list[str]:
    """Return a score's exclusion reasons in English (the breakdown's "; "-joined ``reasons_en``)."""
    text = (breakdown or {}).get("reasons_en") or ""
    return [r.strip() for r in str(text).split(";") if r.strip()]


def _checks(session: Session, zone_id: str) -> pd.DataFrame:
    pa = aliased(ParkRow)
    rows = session.execute(
        select(
            ProjectRow.id,
            ProjectRow.name,
            ProjectRow.enterprise,
            ProjectRow.industry,
            ProjectRow.branch,
            ProjectRow.land_mu,
            ProjectRow.investment_wan,
            ProjectRow.output_wan,
            ProjectRow.tax_wan,
            ProjectRow.status,
            CheckResultRow.parcel_code,
            pa.code,
            CheckResultRow.verdict,
            CheckResultRow.rules,
            CheckResultRow.checked_at,
            CheckResultRow.checked_by,
        )
        .join(CheckResultRow, CheckResultRow.project_id == ProjectRow.id)
        .outerjoin(ParcelRow, ParcelRow.id == CheckResultRow.parcel_id)
        .outerjoin(pa, pa.id == ParcelRow.park_id)
        .where(ProjectRow.zone_id == zone_id)
        .order_by(ProjectRow.id, CheckResultRow.checked_at, CheckResultRow.id)
    ).all()
    out = []
    for (
        pid,
        name,
        ent,
        ind,
        br,
        land,
        inv,
        outp,
        tax,
        status,
        parcel,
        park,
        verdict,
        rules,
        checked_at,
        checked_by,
    ) in rows:
        land = land if land and land > 0 else None
        problems = [r for r in (rules or []) if isinstance(r, dict) and r.get("status") != "pass"]
        out.append(
            {
                "project_id": pid,
                "project": name,
                "enterprise": ent,
                "industry": ind,
                "branch": br,
                "land_mu": land,
                "investment_wan": inv,
                "investment_wan_per_mu": inv / land if inv is not None and land else None,
                "output_wan_per_year": outp,
                "output_wan_per_mu": outp / land if outp is not None and land else None,
                "tax_wan_per_year": tax,
                "project_status": status,
                "parcel_id": parcel,
                "park": park,
                "verdict": verdict,
                "failed_rules": [r for r in problems if r.get("status") == "fail"],
                "needs_data_rules": [r for r in problems if r.get("status") == "needs_data"],
                "review_rules": [r for r in problems if r.get("status") == "review"],
                "checked_at": checked_at,
                "checked_by": checked_by,
            }
        )
    return pd.DataFrame(out, columns=CHECK_COLUMNS)


CHECK_COLUMNS = [
    "project_id",
    "project",
    "enterprise",
    "industry",
    "branch",
    "land_mu",
    "investment_wan",
    "investment_wan_per_mu",
    "output_wan_per_year",
    "output_wan_per_mu",
    "tax_wan_per_year",
    "project_status",
    "parcel_id",
    "park",
    "verdict",
    "failed_rules",
    "needs_data_rules",
    "review_rules",
    "checked_at",
    "checked_by",
]


def load_zone_data(session: Session, zone_id: str) -> ZoneData:
    """Return a zone's layers, latest scores and check results; ``NotFoundError`` for no zone."""
    zone = get_zone(session, zone_id)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYERS:
        gdf = load_layer(session, zone_id, name)
        layers[name] = gdf.drop(columns=[c for c in DB_COLUMNS if c in gdf.columns])
    run = latest_score_run(session, zone_id)
    scores = _scores(session, zone_id, layers["parcels"], run)
    park_names = {r.park_id: r.name for r in layers["parks"].itertuples()}
    for code, name in session.execute(select(ParkRow.code, ParkRow.name).where(ParkRow.zone_id == zone_id)):
        park_names.setdefault(code, name)
    cluster_names = dict(zip(layers["clusters"]["cluster_id"], layers["clusters"]["name"]))
    parks, clusters = layers["parks"], layers["clusters"]
    park_names_en = dict(zip(parks["park_id"], _english(parks)))
    cluster_names_en = dict(zip(clusters["cluster_id"], _english(clusters)))
    classes = zone.config.get("scoring", {}).get("classes", [])
    return ZoneData(
        zone_id=zone.id,
        zone_name=zone.name,
        crs=zone.crs,
        config_sha256=zone.config_sha256,
        layers=layers,
        scores=scores,
        run=run,
        checks=_checks(session, zone_id),
        park_names=park_names,
        cluster_names=cluster_names,
        class_names=[c["name"] for c in classes],
        park_names_en=park_names_en,
        cluster_names_en=cluster_names_en,
        class_names_en={c["name"]: c.get("name_en") or c["name"] for c in classes},
    )


def _english(layer: pd.DataFrame) -> list[str]:
    """Return a layer's English names (``name_en``, else ``name``)."""
    en = layer["name_en"] if "name_en" in layer.columns else pd.Series([None] * len(layer), index=layer.index)
    return [e if isinstance(e, str) and e else n for e, n in zip(en, layer["name"])]
