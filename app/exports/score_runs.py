"""The newest finished score run of a zone, and a score's exclusion reasons as text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ScoreRunRow


@dataclass(frozen=True)
class LatestRun:
    """The newest finished score run of a zone."""

    id: int
    finished_at: dt.datetime | None


def latest_score_run(session: Session, zone_id: str) -> LatestRun | None:
    """Return the zone's newest score run with status ``done`` (by finish time, then id), or None."""
    row = session.execute(
        select(ScoreRunRow.id, ScoreRunRow.finished_at)
        .where(ScoreRunRow.zone_id == zone_id, ScoreRunRow.status == "done")
        .order_by(ScoreRunRow.finished_at.desc().nulls_last(), ScoreRunRow.id.desc())
        .limit(1)
    ).first()
    return LatestRun(row[0], row[1]) if row else None


def reasons_text(reasons: Any) -> str | None:
    """Return a score's exclusion reasons as one text line (``；``-separated), or None."""
    if not reasons:
        return None
    parts = []
    for r in reasons if isinstance(reasons, list) else [reasons]:
        if isinstance(r, dict):
            r = r.get("message") or r.get("message_zh") or r.get("reason") or r.get("id") or r
        parts.append(str(r))
    return "；".join(parts) or None
