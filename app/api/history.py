"""The history of a cluster or parcel as the API shows it (geometry in WGS 84)."""

from __future__ import annotations

import shapely
from sqlalchemy.orm import Session

from app.api.geojson import jsonable, to_wgs84
from app.api.models import HistoryResponse
from app.db.audit import note_text
from app.db.edits import history
from app.db.models import ZoneRow


def history_response(
    session: Session,
    zone: ZoneRow,
    entity: str,
    entity_id: int,
    key: str,
    current_version: int | None,
    lang: str = "zh",
) -> HistoryResponse:
    """Return every version of an entity, oldest first, each with its state, WGS 84 geometry and
    note (``note`` in ``lang``; ``note_en`` and ``note_zh`` in English and Chinese)."""
    versions = history(session, entity, entity_id)
    geoms = to_wgs84([v.geometry for v in versions], zone.crs)
    return HistoryResponse(
        entity=entity,
        id=key,
        current_version=current_version,
        versions=[
            {
                "version": v.version,
                "action": v.action,
                "user": v.user,
                "at": v.at,
                "attrs": jsonable(v.attrs) if v.attrs is not None else None,
                "geometry": None if g is None else shapely.geometry.mapping(g),
                "note": note_text(v.note, lang),
                "note_en": note_text(v.note, "en"),
                "note_zh": note_text(v.note, "zh"),
            }
            for v, g in zip(versions, geoms)
        ],
    )
