"""Reading the recorded projects back: one project, a page of them, their checks and admissions.

Writing them is :mod:`app.db.records` (projects and checks) and :mod:`app.db.admissions`
(admission and revocation).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import CheckResultRow, ProjectAdmissionRow, ProjectRow
from gis.errors import NotFoundError
from gis.messages import msg


def project_in_zone(session: Session, zone_id: str, project_id: int) -> ProjectRow:
    """Return project ``project_id`` of zone ``zone_id`` (re-read from the database).

    Raises ``NotFoundError`` when there is none, or it belongs to another zone.
    """
    p = session.get(ProjectRow, project_id, populate_existing=True)
    if p is None or p.zone_id != zone_id:
        raise NotFoundError(
            f"no project with id {project_id} in zone {zone_id}",
            where="project",
            hint="save the project first (POST /api/v1/projects)",
            msg=msg("error.project.no_record", id=project_id),
        )
    return p


def projects_page(
    session: Session, zone_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[int, list[ProjectRow]]:
    """Return ``(number matched, page)`` of the zone's projects, newest (highest id) first.

    ``status`` (negotiating, reviewed, admitted, revoked) filters them when given.
    """
    where = [ProjectRow.zone_id == zone_id] + ([ProjectRow.status == status] if status else [])
    total = session.scalar(select(func.count()).select_from(ProjectRow).where(*where)) or 0
    rows = session.scalars(
        select(ProjectRow).where(*where).order_by(ProjectRow.id.desc()).limit(limit).offset(offset)
    ).all()
    return int(total), list(rows)


def project_checks(session: Session, project_id: int) -> list[CheckResultRow]:
    """Return the project's recorded checks, newest first."""
    return list(
        session.scalars(
            select(CheckResultRow)
            .where(CheckResultRow.project_id == project_id)
            .order_by(CheckResultRow.id.desc())
        )
    )


def project_admissions(session: Session, project_id: int) -> list[ProjectAdmissionRow]:
    """Return every admission of the project (revoked ones too), newest first."""
    return list(
        session.scalars(
            select(ProjectAdmissionRow)
            .where(ProjectAdmissionRow.project_id == project_id)
            .order_by(ProjectAdmissionRow.id.desc())
        )
    )
