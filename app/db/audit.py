"""The audit log: who did what, when, to which entity and version, with before/after states.

Each write of a cluster or parcel records the attributes (JSON) and the geometry (WKT in the zone
CRS, EPSG:4546, full precision) before and after it, and the entity's version after it
(creation: 1; deletion: the deleted version + 1). Other writes (users, imports) record what
changed without a version. A note is a message (:mod:`app.db.notes`: id + parameters, naming
clusters and parks by name) kept as JSON in ``note_message`` and rendered in English (``note``)
and Chinese (``note_zh``) beside it; a plain-text note (a user's own words) has no
``note_message`` and no ``note_zh``. :func:`note_text` gives a note in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEntryRow, utcnow
from app.db.notes import Note, before_first_edit
from app.i18n import render
from gis.messages import Joined, Message, from_dict


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data: numpy values unwrapped, NaN/±inf/NA → None, tuples →
    lists, dates → ISO text, bytes → hex."""
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_wkt(geom: Any) -> str | None:
    """Return WKT of a shapely geometry at full precision (None for None)."""
    return None if geom is None else shapely.to_wkt(geom, rounding_precision=-1)


def record(
    session: Session,
    *,
    user: str | None,
    action: str,
    entity: str,
    entity_id: Any,
    entity_key: str | None = None,
    zone_id: str | None = None,
    version: int | None = None,
    before_attrs: Mapping[str, Any] | None = None,
    after_attrs: Mapping[str, Any] | None = None,
    before_geom: Any = None,
    after_geom: Any = None,
    note: Note | None = None,
) -> AuditEntryRow:
    """Add one audit entry to ``session`` (flushed with the write it describes) and return it.

    ``before_geom``/``after_geom`` are shapely geometries in the zone CRS (stored as WKT).
    ``note`` is a message (stored as JSON and rendered in English and Chinese) or plain text.
    """
    message = note if isinstance(note, Message | Joined) else None
    entry = AuditEntryRow(
        at=utcnow(),
        user_name=user,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        entity_key=entity_key,
        zone_id=zone_id,
        version=version,
        before_attrs=None if before_attrs is None else jsonable(before_attrs),
        after_attrs=None if after_attrs is None else jsonable(after_attrs),
        before_wkt=to_wkt(before_geom),
        after_wkt=to_wkt(after_geom),
        note=None if note is None else render(note, "en"),
        note_zh=None if message is None else render(message, "zh"),
        note_message=None if message is None else message.to_dict(),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Version:
    """One version of an entity as the audit log knows it.

    ``attrs``/``geometry`` are the state after the write (None after a deletion); ``geometry``
    is a shapely geometry in the zone CRS. ``note`` is the note as written (a message, or plain
    text; :func:`note_text` renders it).
    """

    version: int
    action: str
    user: str | None
    at: Any
    attrs: dict[str, Any] | None
    geometry: Any
    note: Note | None

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """Return the version as JSON-ready data (geometry as WKT, the note in ``lang``)."""
        return {
            "version": self.version,
            "action": self.action,
            "user": self.user,
            "at": self.at.isoformat() if self.at else None,
            "attrs": self.attrs,
            "geometry_wkt": to_wkt(self.geometry),
            "note": note_text(self.note, lang),
        }


def entries(session: Session, entity: str, entity_id: Any) -> list[AuditEntryRow]:
    """Return the audit entries of one entity, oldest first."""
    return list(
        session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.entity == entity, AuditEntryRow.entity_id == str(entity_id))
            .order_by(AuditEntryRow.id)
        )
    )


def versions(session: Session, entity: str, entity_id: Any) -> list[Version]:
    """Return every known version of an entity, oldest first.

    An entity created by an import has no creation entry; its version 1 is recovered from the
    ``before`` state of its first edit.
    """
    out: dict[int, Version] = {}
    for e in entries(session, entity, entity_id):
        if e.version is None:
            continue
        if e.version - 1 >= 1 and e.version - 1 not in out and e.before_attrs is not None:
            out[e.version - 1] = Version(
                e.version - 1, "import", None, None, e.before_attrs, _geom(e.before_wkt), before_first_edit()
            )
        out[e.version] = Version(
            e.version, e.action, e.user_name, e.at, e.after_attrs, _geom(e.after_wkt), note_of(e)
        )
    return [out[v] for v in sorted(out)]


def note_of(entry: AuditEntryRow) -> Note | None:
    """Return an entry's note as written: its message (from ``note_message``), else its text."""
    if entry.note_message:
        stored = from_dict(entry.note_message)
        if isinstance(stored, Message | Joined):
            return stored
    return entry.note


def note_text(note: Note | None, lang: str) -> str | None:
    """Return a note in ``lang`` (plain text as written; None for no note)."""
    return None if note is None else render(note, lang)


def _geom(wkt: str | None) -> Any:
    return None if wkt is None else shapely.from_wkt(wkt)
