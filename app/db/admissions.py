"""Project admission (准入/入驻登记): record a checked project as admitted on its parcels, revoke it.

An admission rests on the project's recorded checks (``POST /check``): for each parcel of the
site, the newest check of that project on that parcel. The site's verdict is the worst of them:
``fail`` is refused, ``review`` is admitted only with a reason (stored), ``pass`` is admitted.
The parcels must be available (``vacant`` or ``reserved``, the statuses a project may be placed
on) and not held by another active admission; the project's utility demand must still fit the
spare capacity after the projects admitted before it (the caller passes the zone's current
:class:`scoring.capacity.CapacityLedger`, with those projects already drawn down).

Admitting does not change the parcel's ``status``: admission is the zone's approval of the
project for the site, before land is supplied (供地, contract) and built on; the parcel status
vocabulary (existing, vacant, reserved, public) has no value for "approved, not supplied yet",
and ``existing`` would claim an enterprise already occupies it. An active admission itself marks
the parcels as taken: later checks see them as not available and recommendations leave them out.

Admission and revocation are written to the audit log on the project (entity ``project``,
actions ``admit`` / ``revoke``, before/after the admission state) and set ``ProjectRow.status``
to ``admitted`` / ``revoked``. Functions flush but never commit; a refusal raises
:class:`app.errors.AdmissionRefusedError` before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import record
from app.db.models import (
    AdmissionParcelRow,
    CheckResultRow,
    ParcelRow,
    ParkRow,
    ProjectAdmissionRow,
    ProjectRow,
    UserRow,
    ZoneRow,
    utcnow,
)
from app.db.records import project_spec
from app.db.users import require
from app.errors import AdmissionRefusedError
from gis.errors import NotFoundError, SchemaError
from gis.messages import Message, joined, msg
from scoring.admission import AVAILABLE_STATUSES
from scoring.capacity import DEMAND_IDS, SERVICE_UNITS, CapacityLedger
from scoring.project import Project as ProjectSpec
from scoring.rulebook import STATUS_IDS, field_labels, worst
from scoring.rules_site import parcel_status

#: Project.status of an admitted project, and of one whose admission was revoked.
ADMITTED, REVOKED = "admitted", "revoked"
#: A check's verdict as message ids (audit notes).
_VERDICT_IDS: dict[str, str] = dict(STATUS_IDS)


@dataclass(frozen=True)
class Admitted:
    """An active admission as data for the capacity ledger: park, project, parcel codes."""

    admission_id: int
    project_id: int
    park: str
    project: ProjectSpec
    parcel_ids: tuple[str, ...]


def _actor(user: UserRow | str | None) -> str | None:
    if isinstance(user, UserRow):
        require(user, "admit_projects")
        return user.name
    return user


def _refuse(
    code: str, en: str, message: Message, where: str, hint: str | None = None
) -> AdmissionRefusedError:
    return AdmissionRefusedError(en, code=code, msg=message, where=where, hint=hint)


def active_admission(session: Session, project_id: int) -> ProjectAdmissionRow | None:
    """Return the project's active (not revoked) admission, or None."""
    return session.scalar(
        select(ProjectAdmissionRow).where(
            ProjectAdmissionRow.project_id == project_id, ProjectAdmissionRow.revoked_at.is_(None)
        )
    )


def admitted_projects(session: Session, zone_id: str) -> list[Admitted]:
    """Return the zone's active admissions in admission order (time, then id)."""
    rows = session.scalars(
        select(ProjectAdmissionRow)
        .where(ProjectAdmissionRow.zone_id == zone_id, ProjectAdmissionRow.revoked_at.is_(None))
        .order_by(ProjectAdmissionRow.admitted_at, ProjectAdmissionRow.id)
    ).all()
    out = []
    for a in rows:
        project = session.get(ProjectRow, a.project_id)
        assert project is not None  # the FK cascades
        out.append(
            Admitted(
                a.id, a.project_id, a.park, project_spec(project), tuple(p.parcel_code for p in a.parcels)
            )
        )
    return out


def taken_parcels(session: Session, zone_id: str) -> dict[str, tuple[int, str]]:
    """Return parcel code → (project id, project name) of the zone's active admissions."""
    rows = session.execute(
        select(AdmissionParcelRow.parcel_code, ProjectRow.id, ProjectRow.name)
        .join(ProjectAdmissionRow, AdmissionParcelRow.admission_id == ProjectAdmissionRow.id)
        .join(ProjectRow, ProjectRow.id == ProjectAdmissionRow.project_id)
        .where(ProjectAdmissionRow.zone_id == zone_id, ProjectAdmissionRow.revoked_at.is_(None))
    ).all()
    return {code: (pid, name) for code, pid, name in rows}


def replay(ledger: CapacityLedger, admitted: Sequence[Admitted]) -> CapacityLedger:
    """Draw the admitted projects' demand down from ``ledger`` in order; return the ledger.

    A project that no longer fits (the layers' capacities were lowered after it was admitted)
    is still counted in full (``force``): it holds its admission until revoked.
    """
    for a in admitted:
        ledger.admit(a.park, a.project, a.parcel_ids, force=True)
    return ledger


def admission_state(a: ProjectAdmissionRow | None) -> dict[str, Any] | None:
    """Return an admission as JSON-ready data (None for None)."""
    if a is None:
        return None
    return {
        "id": a.id,
        "park": a.park,
        "parcel_ids": [p.parcel_code for p in a.parcels],
        "check_id": a.check_id,
        "verdict": a.verdict,
        "reason": a.reason,
        "admitted_at": a.admitted_at.isoformat() if a.admitted_at else None,
        "admitted_by": a.admitted_by,
        "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None,
        "revoked_by": a.revoked_by,
        "revoke_reason": a.revoke_reason,
    }


def lock_zone(session: Session, zone_id: str) -> None:
    """Lock the zone row for this transaction (PostgreSQL; SQLite has one writer anyway).

    Admissions of a zone are serialised, so two cannot both take the last spare capacity or the
    same parcel: call it before reading the ledger for :func:`admit_project`."""
    session.scalar(select(ZoneRow.id).where(ZoneRow.id == zone_id).with_for_update())


def _project(session: Session, project_id: int, where: str) -> ProjectRow:
    p = session.get(ProjectRow, project_id, populate_existing=True)
    if p is None:
        raise NotFoundError(
            f"no project with id {project_id}",
            where=where,
            hint="check the project first (POST /api/v1/check records it)",
            msg=msg("error.project.no_record", id=project_id),
        )
    return p


def admit_project(
    session: Session,
    project_id: int,
    parcel_codes: Sequence[str],
    user: UserRow | str | None,
    ledger: CapacityLedger | None,
    *,
    reason: str | None = None,
) -> ProjectAdmissionRow:
    """Admit project ``project_id`` on the parcels ``parcel_codes``; return the admission.

    ``ledger`` is the zone's capacity ledger with the active admissions already drawn down (None
    when the zone has no capacity data: capacity is then not re-checked). Call
    :func:`lock_zone` before building it. Raises ``NotFoundError`` for an unknown project or
    parcel, ``SchemaError`` for no parcels, ``AdmissionRefusedError`` for a refusal (nothing
    written): already admitted, parcels in two parks, a parcel not checked for this project,
    the check failed, a review without a reason, a parcel not available or taken, or capacity.
    """
    actor = _actor(user)
    where = f"project {project_id}: admission"
    codes = list(dict.fromkeys(str(c) for c in parcel_codes))
    if not codes:
        raise SchemaError(
            "no parcels given",
            where=where,
            hint='e.g. {"parcel_ids": ["SC-0001"]}',
            msg=msg("error.admit.no_parcels"),
        )
    project = _project(session, project_id, where)
    if active_admission(session, project_id) is not None:
        raise _refuse(
            "already_admitted",
            f"project {project.name!r} is already admitted",
            msg("admission.refused.already_admitted", project=project.name),
            where,
            "revoke the admission first to admit it on other parcels",
        )
    rows = session.execute(
        select(ParcelRow, ParkRow.code)
        .join(ParkRow, ParkRow.id == ParcelRow.park_id)
        .where(ParcelRow.zone_id == project.zone_id, ParcelRow.parcel_id.in_(codes))
    ).all()
    by_code = {p.parcel_id: (p, park) for p, park in rows}
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise NotFoundError(
            f"no parcel {', '.join(missing)} in zone {project.zone_id}",
            where=where,
            msg=msg("error.parcel.not_found", parcel=joined(missing)),
        )
    parks = {by_code[c][1] for c in codes}
    if len(parks) > 1:
        raise _refuse(
            "mixed_parks",
            f"the parcels lie in more than one park ({', '.join(sorted(parks))})",
            msg("admission.refused.mixed_parks", parks=sorted(parks)),
            where,
        )
    park = parks.pop()

    # the project's newest recorded check on each parcel
    checks: dict[str, CheckResultRow] = {}
    for c in codes:
        chk = session.scalar(
            select(CheckResultRow)
            .where(CheckResultRow.project_id == project_id, CheckResultRow.parcel_id == by_code[c][0].id)
            .order_by(CheckResultRow.id.desc())
            .limit(1)
        )
        if chk is None:
            raise _refuse(
                "not_checked",
                f"project {project.name!r} has no recorded check on parcel {c}",
                msg("admission.refused.not_checked", project=project.name, parcel=c),
                where,
                "check the project on these parcels first (POST /api/v1/check)",
            )
        checks[c] = chk
    verdict = worst([chk.verdict for chk in checks.values()])
    if verdict == "fail":
        failed = [c for c, chk in checks.items() if chk.verdict == "fail"]
        raise _refuse(
            "check_failed",
            f"the admission check of project {project.name!r} on {', '.join(failed)} failed",
            msg("admission.refused.check_failed", project=project.name, parcels=failed),
            where,
            "a project whose check fails cannot be admitted",
        )
    if verdict == "needs_data":
        fields = list(
            dict.fromkeys(
                f
                for chk in checks.values()
                for r in chk.rules or []
                if isinstance(r, dict) and r.get("status") == "needs_data"
                for f in r.get("fields") or []
            )
        )
        raise _refuse(
            "needs_data",
            f"the admission check of project {project.name!r} needs data: {', '.join(fields) or '?'}",
            msg("admission.refused.needs_data", project=project.name, fields=field_labels(fields)),
            where,
            "declare the missing figures, check the project again and save it",
        )
    reason = (reason or "").strip() or None
    if verdict == "review" and reason is None:
        raise _refuse(
            "reason_required",
            f"the admission check of project {project.name!r} needs review: give the reason for admitting it",
            msg("admission.refused.reason_required", project=project.name),
            where,
            'send {"reason": "…"} with the admission',
        )

    # the parcels: available and not taken
    unavailable = [(c, by_code[c][0].status) for c in codes if by_code[c][0].status not in AVAILABLE_STATUSES]
    if unavailable:
        raise _refuse(
            "not_vacant",
            "; ".join(f"parcel {c} is {s}" for c, s in unavailable) + ": not vacant",
            msg(
                "admission.refused.not_vacant",
                parcels=joined(
                    [
                        msg("admission.parcel_status", parcel=c, status=parcel_status(s))
                        for c, s in unavailable
                    ],
                    "semicolon",
                ),
            ),
            where,
        )
    taken = taken_parcels(session, project.zone_id)
    held = [(c, taken[c]) for c in codes if c in taken]
    if held:
        raise _refuse(
            "parcel_taken",
            "; ".join(f"parcel {c} is taken by admitted project {n!r} (id {i})" for c, (i, n) in held),
            msg(
                "admission.refused.parcel_taken",
                parcels=joined(
                    [msg("admission.parcel_taken", parcel=c, project=n, id=i) for c, (i, n) in held],
                    "semicolon",
                ),
            ),
            where,
        )

    # capacity, after the projects admitted so far
    spec = project_spec(project)
    if ledger is not None:
        fits = ledger.fits(park, spec)
        over = [s for s, ok in fits.items() if ok is False]
        if over:
            demand = ledger.demand(spec)
            n = len(ledger.admitted_in(park))
            en = "; ".join(
                f"{s} {demand.of(s):.2f} {SERVICE_UNITS[s]} > spare "  # type: ignore[str-format]
                f"{ledger.supply(park, s).spare:.2f} {SERVICE_UNITS[s]}"
                for s in over
            )
            shortfalls = [
                msg(
                    "admission.shortfall",
                    what=msg(DEMAND_IDS[s]),
                    need=f"{demand.of(s):.2f}",
                    spare=f"{ledger.supply(park, s).spare:.2f}",
                    unit=SERVICE_UNITS[s],
                )
                for s in over
            ]
            raise _refuse(
                "capacity",
                f"project {project.name!r} no longer fits the spare capacity of {park} after "
                f"{n} admitted project(s): {en}",
                msg(
                    "admission.refused.capacity",
                    n=n,
                    project=project.name,
                    park=ledger.park_name(park),
                    shortfalls=joined(shortfalls, "semicolon"),
                ),
                where,
                "check the project again; revoke an admission or raise the capacity",
            )

    newest = max(checks.values(), key=lambda chk: chk.id)
    admission = ProjectAdmissionRow(
        project_id=project_id,
        zone_id=project.zone_id,
        park=park,
        check_id=newest.id,
        verdict=verdict,
        reason=reason,
        admitted_at=utcnow(),
        admitted_by=actor,
        parcels=[AdmissionParcelRow(parcel_id=by_code[c][0].id, parcel_code=c) for c in codes],
    )
    session.add(admission)
    before_status = project.status
    project.status = ADMITTED
    session.flush()
    record(
        session,
        user=actor,
        action="admit",
        entity="project",
        entity_id=project.id,
        entity_key=project.name,
        zone_id=project.zone_id,
        before_attrs={"status": before_status},
        after_attrs={"status": ADMITTED, "admission": admission_state(admission)},
        note=msg("audit.admitted_because", parcels=codes, verdict=msg(_VERDICT_IDS[verdict]), reason=reason)
        if reason
        else msg("audit.admitted", parcels=codes, verdict=msg(_VERDICT_IDS[verdict])),
    )
    return admission


def revoke_admission(
    session: Session, project_id: int, user: UserRow | str | None, *, reason: str | None = None
) -> ProjectAdmissionRow:
    """Revoke the project's active admission (its parcels and capacity come free); return it.

    Raises ``NotFoundError`` for an unknown project, ``AdmissionRefusedError`` (``not_admitted``)
    when it has no active admission.
    """
    actor = _actor(user)
    where = f"project {project_id}: admission"
    project = _project(session, project_id, where)
    admission = active_admission(session, project_id)
    if admission is None:
        raise _refuse(
            "not_admitted",
            f"project {project.name!r} is not admitted",
            msg("admission.refused.not_admitted", project=project.name),
            where,
        )
    before = admission_state(admission)
    admission.revoked_at = utcnow()
    admission.revoked_by = actor
    admission.revoke_reason = (reason or "").strip() or None
    project.status = REVOKED
    session.flush()
    codes = [p.parcel_code for p in admission.parcels]
    record(
        session,
        user=actor,
        action="revoke",
        entity="project",
        entity_id=project.id,
        entity_key=project.name,
        zone_id=project.zone_id,
        before_attrs={"status": ADMITTED, "admission": before},
        after_attrs={"status": REVOKED, "admission": admission_state(admission)},
        note=msg("audit.revoked_because", parcels=codes, reason=admission.revoke_reason)
        if admission.revoke_reason
        else msg("audit.revoked", parcels=codes),
    )
    return admission
