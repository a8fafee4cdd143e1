"""Audit notes as messages: what a write did, naming clusters and parks by name, areas in m² and 亩.

Each function returns a :class:`gis.messages.Message` (id + parameters, catalogue
``app/locale/<lang>/app.po``, ids ``audit.…``). The audit log stores it as JSON
(``audit_log.note_message``) with both languages rendered beside it (``note``, ``note_zh``), and
the API renders it in the reader's language (:func:`app.db.audit.note_text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gis.messages import Joined, Message, Name, joined, msg
from gis.units import MU_M2

#: What an audit note may be: a message, several joined, or plain text (a user's own note).
Note = Message | Joined | str

#: The message ids naming the edited entities ("组团", "cluster").
ENTITY_IDS: dict[str, str] = {"cluster": "entity.cluster", "parcel": "entity.parcel"}


def name_of(row: Any) -> Name:
    """Return a park's or cluster's name in each language (a row with ``name``, ``name_en``, ``code``)."""
    name = getattr(row, "name", None) or getattr(row, "code", "")
    return Name(name, getattr(row, "name_en", None) or name)


def area(m2: float) -> Message:
    """Return an area for people: m² with 2 decimals and 亩 beside it (to 0.01 亩; "< 0.01" below)."""
    mu = m2 / MU_M2
    return msg(
        "area.m2_mu" if mu >= 0.005 else "area.m2_under_mu",
        m2=f"{m2:,.2f}",
        mu=f"{mu:,.2f}",
    )


def join(parts: Iterable[Note | None]) -> Note | None:
    """Return the non-empty ``parts`` as one note ("；" / "; " between them), None if none."""
    kept = [p for p in parts if p]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else joined(kept, "semicolon")


def restored(version: int) -> Message:
    """The note of a restore: restored version N."""
    return msg("audit.restored", version=version)


def undeleted(version: int) -> Message:
    """The note of an undelete: version N restored after its deletion."""
    return msg("audit.undeleted", version=version)


def cluster_created(cluster: Name) -> Message:
    """The note of the parcels a new cluster took over."""
    return msg("audit.cluster_created", cluster=cluster)


def cluster_outline_changed(cluster: Name, version: int) -> Message:
    """The note of the parcels re-assigned when a cluster's outline changed."""
    return msg("audit.cluster_outline_changed", cluster=cluster, version=version)


def cluster_deleted(cluster: Name) -> Message:
    """The note of the parcels re-assigned when a cluster was deleted."""
    return msg("audit.cluster_deleted", cluster=cluster)


def zone_reimported() -> Message:
    """The note of a write made by re-importing the zone."""
    return msg("audit.zone_reimported")


def not_in_reimport() -> Message:
    """The note of an entity deleted because the re-imported zone no longer has it."""
    return msg("audit.not_in_reimport")


def before_first_edit() -> Message:
    """The note of a version recovered from the first edit's ``before`` state."""
    return msg("audit.before_first_edit")


def current_state() -> Message:
    """The note of an entity's current state when no audit entry has it (imported, never edited)."""
    return msg("audit.current_state")


def sliver_outside_park(cluster: Name | str, park: Name, m2: float) -> Message:
    """A thin sliver of a cluster outline outside its park was cut off."""
    return msg("audit.sliver_outside_park", cluster=cluster, park=park, area=area(m2))


def sliver_over_cluster(cluster: Name | str, other: Name, m2: float) -> Message:
    """A thin sliver of a cluster outline over another cluster was cut off."""
    return msg("audit.sliver_over_cluster", cluster=cluster, other=other, area=area(m2))


def repaired(subject: Name | str, reason: str, before_m2: float, after_m2: float) -> Message:
    """An invalid outline was repaired (``reason``: GEOS ``is_valid_reason``)."""
    return msg("audit.repaired", subject=subject, reason=reason, before=area(before_m2), after=area(after_m2))


def land_contract_recorded(enterprise: str, parcels: Iterable[str]) -> Message:
    """The note of a land contract recorded by an import."""
    return msg("audit.land_contract_recorded", enterprise=enterprise, parcels=joined(parcels))


def land_contract_progress(enterprise: str, changed: int) -> Message:
    """The note of a contract's progress updated by an import (how many fields changed; the
    entry's before/after attributes hold them)."""
    return msg("audit.land_contract_progress", enterprise=enterprise, n=changed)
