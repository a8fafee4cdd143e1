"""Land contracts in the database: reading them (for the API, the CLI and supervision) and
importing a checked table of them (all rows or none, every write audited).

A contract is identified by its enterprise and its parcels (sorted): importing a row with the
same enterprise and parcels updates that contract's other fields (a progress report); a new
pair records a new contract, with the 标准地 indicators committed at signing copied from the
active admission on its parcels (or the zone's 表6-1 targets) — ``committed`` is never rewritten
afterwards. Audit entries: entity ``land_contract``, actions ``create`` / ``update``, before and
after attributes and the contract's version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db.audit import record
from app.db.models import (
    AdmissionParcelRow,
    EnterpriseRow,
    EnterpriseYearlyRow,
    LandContractParcelRow,
    LandContractRow,
    ParcelRow,
    ProjectAdmissionRow,
    ProjectRow,
    UserRow,
    utcnow,
)
from app.db.notes import land_contract_progress, land_contract_recorded
from app.db.records import project_spec
from gis.errors import ConfigError
from gis.messages import msg
from scoring.land_contracts import (
    PROGRESS_FIELDS,
    ContractRecord,
    committed_indicators,
    contract_rows_error,
    parse_contracts,
)
from scoring.supervision import RULE_IDS, LandContract, SupervisionRules, supervise
from scoring.zone import ZoneConfig

#: The attributes an audit entry keeps of a contract (besides its parcels).
AUDITED: tuple[str, ...] = ("enterprise", "kind", *PROGRESS_FIELDS, "committed")


def zone_parcel_codes(session: Session, zone_id: str) -> set[str]:
    """Return the parcel ids (``SC-0001``, …) the zone knows."""
    return set(session.scalars(select(ParcelRow.parcel_id).where(ParcelRow.zone_id == zone_id)))


def land_contracts(session: Session, zone_id: str) -> list[LandContractRow]:
    """Return the zone's contracts with their parcels, in signing order (then id)."""
    return list(
        session.scalars(
            select(LandContractRow)
            .where(LandContractRow.zone_id == zone_id)
            .options(selectinload(LandContractRow.parcels))
            .order_by(LandContractRow.signed, LandContractRow.id)
        )
    )


def parcel_codes(row: LandContractRow) -> tuple[str, ...]:
    """Return the contract's parcel ids as contracted."""
    return tuple(p.parcel_code for p in row.parcels)


def contract_facts(row: LandContractRow, tax_per_mu: Mapping[int, float] | None = None) -> LandContract:
    """Return the contract as :class:`scoring.supervision.LandContract` (what the rules read);
    ``tax_per_mu`` is the enterprise's 亩均税收 by year (万元/亩)."""
    return LandContract(
        tax_per_mu_by_year=dict(tax_per_mu or {}),
        id=row.id,
        enterprise=row.enterprise,
        parcel_ids=parcel_codes(row),
        area_mu=row.area_mu,
        price_wan=row.price_wan,
        signed=row.signed,
        agreed_start=row.agreed_start,
        agreed_completion=row.agreed_completion,
        started=row.started,
        completed=row.completed,
        producing=row.producing,
        stopped=row.stopped,
        planned_investment_wan=row.planned_investment_wan,
        investment_wan=row.investment_wan,
        developed_mu=row.developed_mu,
        floor_area_m2=row.floor_area_m2,
        footprint_m2=row.footprint_m2,
        committed=dict(row.committed or {}),
    )


def _attrs(row: LandContractRow) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(row, name) for name in AUDITED}
    out["parcel_ids"] = list(parcel_codes(row))
    return out


def contract_dict(row: LandContractRow) -> dict[str, Any]:
    """Return the contract as JSON-ready data: dates ``YYYY-MM-DD``, money 万元, areas 亩."""
    out: dict[str, Any] = {"id": row.id, "enterprise": row.enterprise, "parcel_ids": list(parcel_codes(row))}
    for name in (*PROGRESS_FIELDS, "kind", "committed", "illustrative", "version"):
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _admitted_project(session: Session, zone_id: str, codes: Sequence[str]) -> ProjectRow | None:
    """Return the project with an active admission on any of ``codes``, or None."""
    return session.scalar(
        select(ProjectRow)
        .join(ProjectAdmissionRow, ProjectAdmissionRow.project_id == ProjectRow.id)
        .join(AdmissionParcelRow, AdmissionParcelRow.admission_id == ProjectAdmissionRow.id)
        .where(
            ProjectAdmissionRow.zone_id == zone_id,
            ProjectAdmissionRow.revoked_at.is_(None),
            AdmissionParcelRow.parcel_code.in_(list(codes)),
        )
        .order_by(ProjectAdmissionRow.admitted_at)
        .limit(1)
    )


def import_contracts(
    session: Session,
    zone_id: str,
    config: ZoneConfig,
    records: Sequence[ContractRecord],
    user: UserRow | str | None,
    *,
    column: str = "地块编号",
    illustrative: bool = False,
) -> dict[str, int]:
    """Write checked ``records`` in ``session`` (the caller's transaction): new contracts are
    created, known ones (same enterprise and parcels) updated where a field changed. Returns the
    counts ``{"created", "updated", "unchanged"}``.

    Raises the table's SchemaError (row, ``column``, what) when a parcel is already under
    another enterprise's contract; the caller's transaction then writes nothing."""
    who = user.name if isinstance(user, UserRow) else user
    existing = {(c.enterprise, tuple(sorted(parcel_codes(c)))): c for c in land_contracts(session, zone_id)}
    held = {code: key for key, c in existing.items() for code in key[1]}
    problems = []
    for rec in records:
        for code in rec.parcel_ids:
            other = held.get(code)
            if other is not None and other != rec.key:
                problems.append(
                    (rec.row, column, msg("error.land.parcel_held", parcel=code, enterprise=other[0]))
                )
    if problems:
        raise contract_rows_error(problems)
    parcel_rows = {
        p.parcel_id: p.id
        for p in session.execute(
            select(ParcelRow.parcel_id, ParcelRow.id).where(
                ParcelRow.zone_id == zone_id,
                ParcelRow.parcel_id.in_([c for r in records for c in r.parcel_ids]),
            )
        )
    }
    enterprises = dict(
        session.execute(
            select(EnterpriseRow.name, EnterpriseRow.id).where(EnterpriseRow.zone_id == zone_id)
        ).all()
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for rec in records:
        row = existing.get(rec.key)
        if row is None:
            project = _admitted_project(session, zone_id, rec.parcel_ids)
            committed = committed_indicators(
                config,
                None if project is None else project_spec(project),
                None if project is None else project.id,
            )
            row = LandContractRow(
                zone_id=zone_id,
                enterprise=rec.enterprise,
                enterprise_id=enterprises.get(rec.enterprise),
                committed=committed,
                illustrative=illustrative,
                updated_by=who,
                updated_at=utcnow(),
                version=1,
                **rec.values,
            )
            row.parcels = [
                LandContractParcelRow(parcel_code=c, parcel_id=parcel_rows.get(c)) for c in rec.parcel_ids
            ]
            session.add(row)
            session.flush()
            record(
                session,
                user=who,
                action="create",
                entity="land_contract",
                entity_id=row.id,
                entity_key=f"{row.enterprise} {'、'.join(rec.parcel_ids)}",
                zone_id=zone_id,
                version=1,
                after_attrs=_attrs(row),
                note=land_contract_recorded(row.enterprise, rec.parcel_ids),
            )
            counts["created"] += 1
            continue
        before = _attrs(row)
        changed = {k: v for k, v in rec.values.items() if getattr(row, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        for k, v in changed.items():
            setattr(row, k, v)
        row.version += 1
        row.updated_by, row.updated_at = who, utcnow()
        session.flush()
        record(
            session,
            user=who,
            action="update",
            entity="land_contract",
            entity_id=row.id,
            entity_key=f"{row.enterprise} {'、'.join(parcel_codes(row))}",
            zone_id=zone_id,
            version=row.version,
            before_attrs=before,
            after_attrs=_attrs(row),
            note=land_contract_progress(row.enterprise, len(changed)),
        )
        counts["updated"] += 1
    return counts


def import_contract_table(
    session: Session,
    zone_id: str,
    config: ZoneConfig,
    frame: Any,
    user: UserRow | str | None,
    *,
    illustrative: bool = False,
) -> dict[str, int]:
    """Check a contracts table (``gis.tables.read_table``'s frame) against the zone's parcels and
    write it in ``session`` (the caller's transaction). Returns the counts of
    :func:`import_contracts`; raises SchemaError naming every bad row and column (nothing written)."""
    records = parse_contracts(frame, zone_parcel_codes(session, zone_id))
    column = next((str(h) for h in frame.columns if str(h).strip() in ("地块编号", "parcel_ids")), "地块编号")
    return import_contracts(session, zone_id, config, records, user, column=column, illustrative=illustrative)


def supervision_rules(config: ZoneConfig) -> SupervisionRules:
    """Return the zone's supervision rules; ConfigError if its zone file has none."""
    if config.supervision is None:
        raise ConfigError(
            "the zone file has no supervision section",
            where="supervision",
            hint="add the supervision rules to the zone file (see data/zones/jiaokou.yaml) and import it again",
            msg=msg("error.supervision.no_rules"),
        )
    return config.supervision


def tax_per_mu_by_enterprise(session: Session, zone_id: str) -> dict[str, dict[int, float]]:
    """Return enterprise name → year → 亩均税收 (tax ÷ land, 万元/亩) from the yearly figures
    that give both."""
    rows = session.execute(
        select(
            EnterpriseRow.name,
            EnterpriseYearlyRow.year,
            EnterpriseYearlyRow.tax_wan,
            EnterpriseYearlyRow.land_mu,
        )
        .join(EnterpriseYearlyRow, EnterpriseYearlyRow.enterprise_id == EnterpriseRow.id)
        .where(EnterpriseRow.zone_id == zone_id)
    ).all()
    out: dict[str, dict[int, float]] = {}
    for name, year, tax, land in rows:
        if tax is not None and land:
            out.setdefault(name, {})[year] = tax / land
    return out


def supervised_contracts(session: Session, zone_id: str) -> list[LandContract]:
    """Return the zone's contracts as the supervision rules read them, with each enterprise's
    yearly 亩均税收."""
    tax = tax_per_mu_by_enterprise(session, zone_id)
    return [contract_facts(c, tax.get(c.enterprise)) for c in land_contracts(session, zone_id)]


def supervision_report(session: Session, zone_id: str, config: ZoneConfig, as_of: dt.date) -> dict[str, Any]:
    """Return ``{"as_of", "cases": [Case.to_dict()]}`` for the zone's contracts on ``as_of``."""
    rules = supervision_rules(config)
    contracts = supervised_contracts(session, zone_id)
    return {"as_of": as_of.isoformat(), "cases": [c.to_dict() for c in supervise(contracts, rules, as_of)]}


def rules_dict(config: ZoneConfig) -> dict[str, Any]:
    """Return the zone's supervision rules as JSON data: ``{"source", "rules": [{"id", "name",
    "name_en", "years", "next_years", "status", "action", "fee_share", "source"}]}`` in the order
    cases are listed."""
    rules = supervision_rules(config)
    return {
        "source": rules.source,
        "rules": [
            {"id": rid, **rules.rules[rid].model_dump(exclude={"replaces"})}
            for rid in RULE_IDS
            if rid in rules.rules
        ],
    }
