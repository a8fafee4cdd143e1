"""Projects applying for land, their recorded checks and their admissions (准入登记)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.models.base import VERDICTS, Base, in_values, utcnow


class ProjectRow(Base):
    """An investment project applying for land (admission check against 表9-5/9-6).

    The columns mirror :class:`scoring.project.Project` (same names and units); ``fields``
    keeps the project exactly as submitted.
    """

    __tablename__ = "projects"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    enterprise: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100), comment="产业大类 as written")
    branch: Mapped[str | None] = mapped_column(String(100), comment="二级产业方向 as written")
    encouraged_description: Mapped[str | None] = mapped_column(Text)
    investment_wan: Mapped[float | None] = mapped_column(Float, comment="fixed-asset investment, 万元")
    output_wan: Mapped[float | None] = mapped_column(Float, comment="annual output, 万元/年")
    tax_wan: Mapped[float | None] = mapped_column(Float, comment="annual tax, 万元/年")
    land_mu: Mapped[float | None] = mapped_column(Float, comment="land demand, 亩")
    water_m3_per_day: Mapped[float | None] = mapped_column(Float)
    power_kw: Mapped[float | None] = mapped_column(Float)
    online_monitoring: Mapped[bool | None] = mapped_column(Boolean)
    waste_treatment_pct: Mapped[float | None] = mapped_column(Float, comment="三废 treated, %")
    energy_tce_per_wan: Mapped[float | None] = mapped_column(Float)
    water_m3_per_wan: Mapped[float | None] = mapped_column(Float)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="the project as submitted")
    #: 项目库 status, one of ``PROJECT_STATUSES``: negotiating (洽谈, saved without a check),
    #: reviewed (已审查, saved with its check), admitted (已准入), revoked (已撤销).
    status: Mapped[str] = mapped_column(String(32), default="negotiating")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class ProjectAdmissionRow(Base):
    """A project admitted (准入登记) on a site of parcels of one park, until revoked.

    ``verdict`` is the verdict of the project's latest recorded check on those parcels when it
    was admitted (``pass``, or ``review`` with a ``reason``); ``check_id`` that check. An
    admission is active while ``revoked_at`` is null: the capacity ledger then counts the
    project's power and water demand against its park's facilities, and no other project may be
    admitted on its parcels. Admission and revocation are audited on the project
    (entity ``project``, actions ``admit`` / ``revoke``).
    """

    __tablename__ = "project_admissions"
    __table_args__ = (CheckConstraint(in_values("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    park: Mapped[str] = mapped_column(String(64), comment="park_id of the site, e.g. shuangchi")
    check_id: Mapped[int | None] = mapped_column(ForeignKey("check_results.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(16), comment="the check's verdict when admitted")
    reason: Mapped[str | None] = mapped_column(Text, comment="why a review verdict was admitted")
    admitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    admitted_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    parcels: Mapped[list[AdmissionParcelRow]] = relationship(
        back_populates="admission",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AdmissionParcelRow.id",
    )


class AdmissionParcelRow(Base):
    """One parcel of an admission's site: its code as admitted and its row (null once deleted)."""

    __tablename__ = "admission_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(
        ForeignKey("project_admissions.id", ondelete="CASCADE"), index=True
    )
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id", ondelete="SET NULL"), index=True)
    parcel_code: Mapped[str] = mapped_column(String(64), comment="parcel_id when admitted")

    admission: Mapped[ProjectAdmissionRow] = relationship(back_populates="parcels")


class CheckResultRow(Base):
    """The recorded result of checking a project against a parcel (or the zone rules)."""

    __tablename__ = "check_results"
    __table_args__ = (CheckConstraint(in_values("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id", ondelete="SET NULL"), index=True)
    parcel_code: Mapped[str | None] = mapped_column(String(64), comment="parcel_id when checked")
    verdict: Mapped[str] = mapped_column(String(16))
    rules: Mapped[list[Any]] = mapped_column(default=list, comment="[{rule, verdict, message, …}]")
    config_sha256: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str | None] = mapped_column(String(100))
