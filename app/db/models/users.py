"""Users and the audit log of every write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import ROLES, Base, JSONType, in_values, utcnow


class UserRow(Base):
    """A user: name, role (viewer < planner < manager < admin), argon2 password hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(in_values("role", ROLES), name="role"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


#: What a login throttle entry counts under (:class:`LoginThrottleRow`).
THROTTLE_SCOPES = ("user", "address")
#: What a login throttle entry is: a failed login, an attempt being checked, a lockout.
THROTTLE_KINDS = ("failure", "pending", "lockout")


class LoginThrottleRow(Base):
    """One entry of the login throttle (:mod:`app.api.throttle`), shared by every server process.

    ``scope`` and ``key``: a user name (stripped, case-folded) or a client address; ``kind``:
    ``failure`` (a failed login at ``at``), ``pending`` (an attempt whose password is being
    checked, begun at ``at``) or ``lockout`` (logins refused until ``at``). ``at`` is wall-clock
    time in seconds since the epoch (UTC), the same on every process of the server. Entries that
    count no more are deleted as the throttle goes (the table stays small).
    """

    __tablename__ = "login_throttle"
    __table_args__ = (
        CheckConstraint(in_values("scope", THROTTLE_SCOPES), name="scope"),
        CheckConstraint(in_values("kind", THROTTLE_KINDS), name="kind"),
        Index("ix_login_throttle_scope_key", "scope", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), comment="user | address")
    key: Mapped[str] = mapped_column(String(128), comment="user name (case-folded) or client address")
    kind: Mapped[str] = mapped_column(String(8), comment="failure | pending | lockout")
    at: Mapped[float] = mapped_column(
        Float, index=True, comment="s since the epoch: the failure, the attempt's start, the lockout's end"
    )


class AuditEntryRow(Base):
    """One write: who, when, what, on which entity and version, with before and after states.

    Geometry is WKT in the zone CRS (EPSG:4546); attributes are JSON. ``before`` is empty on
    creation and ``after`` on deletion.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32), comment="create, update, delete, restore, …")
    entity: Mapped[str] = mapped_column(String(32), comment="cluster, parcel, zone, user, …")
    entity_id: Mapped[str] = mapped_column(String(64), comment="the entity's id (as text)")
    entity_key: Mapped[str | None] = mapped_column(String(100), comment="code / parcel_id / name")
    zone_id: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int | None] = mapped_column(Integer, comment="version after the write")
    before_attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after_attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    before_wkt: Mapped[str | None] = mapped_column(Text)
    after_wkt: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    note_zh: Mapped[str | None] = mapped_column(Text, comment="the note in Chinese (null: none)")
    note_message: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, comment="the note as a message: {id, params} (null: plain text or none)"
    )

    __table_args__ = (UniqueConstraint("entity", "entity_id", "version"),)
