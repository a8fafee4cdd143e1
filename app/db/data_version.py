"""The data version: a short token that changes whenever anything the map's layers show may
have changed (an import, an edit, an admission, a finished score run)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEntryRow, ScoreRunRow


def data_version(session: Session) -> str:
    """Return ``"<last audit entry id>.<last score run id>.<score runs done>"``.

    Every versioned write (imports, cluster and parcel edits, admissions, restores) adds an audit
    entry, and a score run changes the parcels' scores; both tables are read through their
    primary key index, so the token costs two small queries."""
    audit = session.scalar(select(func.max(AuditEntryRow.id))) or 0
    last, done = session.execute(
        select(func.max(ScoreRunRow.id), func.count(ScoreRunRow.id).filter(ScoreRunRow.status == "done"))
    ).one()
    return f"{audit}.{last or 0}.{done or 0}"
