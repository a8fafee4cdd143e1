"""Reading the recorded projects back: one project, a page of them, their checks and admissions.

Writing them is :mod:`app.db.records` (projects and checks) and :mod:`app.db.admissions`
(admission and revocation).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import CheckResult, Project, ProjectAdmission
from gis.errors import NotFoundError


def project_in_zone(session: Session, zone_id: str, project_id: int) -> Project:
    """Return project ``project_id`` of zone ``zone_id`` (re-read from the database).

    Raises ``NotFoundError`` when there is none, or it belongs to another zone.
    """
    p = session.get(Project, project_id, populate_existing=True)
    if p is None or p.zone_id != zone_id:
        raise NotFoundError(
            f"no project with id {project_id} in zone {zone_id}",
            where="project",
            hint="check the project first (POST /api/v1/check records it)",
        )
    return p


def projects_page(
    session: Session, zone_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[int, list[Project]]:
    """Return ``(number matched, page)`` of the zone's projects, newest (highest id) first.

    ``status`` (submitted, admitted, revoked) filters them when given.
    """
    where = [Project.zone_id == zone_id] + ([Project.status == status] if status else [])
    total = session.scalar(select(func.count()).select_from(Project).where(*where)) or 0
    rows = session.scalars(
        select(Project).where(*where).order_by(Project.id.desc()).limit(limit).offset(offset)
    ).all()
    return int(total), list(rows)


def project_checks(session: Session, project_id: int) -> list[CheckResult]:
    """Return the project's recorded checks, newest first."""
    return list(
        session.scalars(
            select(CheckResult).where(CheckResult.project_id == project_id).order_by(CheckResult.id.desc())
        )
    )


def project_admissions(session: Session, project_id: int) -> list[ProjectAdmission]:
    """Return every admission of the project (revoked ones too), newest first."""
    return list(
        session.scalars(
            select(ProjectAdmission)
            .where(ProjectAdmission.project_id == project_id)
            .order_by(ProjectAdmission.id.desc())
        )
    )
