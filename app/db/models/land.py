"""Land supply (供地) and what the enterprise does with it: land contracts (出让合同 / 划拨决定书)
with their parcels, the 标准地 indicators committed at signing and the progress as reported.

``committed`` is copied once, when the contract is first recorded
(:func:`scoring.land_contracts.committed_indicators`), and never rewritten by later imports or
rule edits. Progress columns are updated by imports; every write is audited (entity
``land_contract``, before/after attributes, the contract's version) like cluster edits.
Money in 万元, areas in 亩 (floor areas in m²), dates as calendar dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.models.base import Base, VersionedMixin, in_values

#: LandContractRow.kind: 出让 (sold) or 划拨 (allocated).
SUPPLY_KINDS = ("sale", "allocation")


class LandContractRow(VersionedMixin, Base):
    """A land contract of an enterprise on one or more parcels, and its progress."""

    __tablename__ = "land_contracts"
    __table_args__ = (
        CheckConstraint(in_values("kind", SUPPLY_KINDS), name="kind"),
        CheckConstraint("area_mu > 0", name="area"),
        *VersionedMixin.versioned_table_args(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    enterprise: Mapped[str] = mapped_column(String(200), comment="企业名称 as the contract writes it")
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="sale")
    area_mu: Mapped[float] = mapped_column(Float, comment="contracted area, 亩")
    signed: Mapped[dt.date] = mapped_column(Date)
    price_wan: Mapped[float | None] = mapped_column(Float, comment="land price, 万元")
    agreed_start: Mapped[dt.date] = mapped_column(Date)
    agreed_completion: Mapped[dt.date | None] = mapped_column(Date)
    committed: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="标准地 indicators copied at signing (never rewritten)"
    )
    started: Mapped[dt.date | None] = mapped_column(Date)
    completed: Mapped[dt.date | None] = mapped_column(Date)
    producing: Mapped[dt.date | None] = mapped_column(Date)
    stopped: Mapped[dt.date | None] = mapped_column(Date)
    planned_investment_wan: Mapped[float | None] = mapped_column(Float, comment="planned total, 万元")
    investment_wan: Mapped[float | None] = mapped_column(Float, comment="invested to date, 万元")
    developed_mu: Mapped[float | None] = mapped_column(Float, comment="developed area, 亩")
    floor_area_m2: Mapped[float | None] = mapped_column(Float, comment="built floor area, m²")
    footprint_m2: Mapped[float | None] = mapped_column(Float, comment="building footprint, m²")
    illustrative: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="sample data, not a real contract"
    )

    parcels: Mapped[list[LandContractParcelRow]] = relationship(
        back_populates="contract",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="LandContractParcelRow.id",
    )


class LandContractParcelRow(Base):
    """A parcel of a land contract: its code as contracted, and the parcel row while it exists."""

    __tablename__ = "land_contract_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("land_contracts.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id", ondelete="SET NULL"), index=True)
    parcel_code: Mapped[str] = mapped_column(String(64), comment="parcel_id when contracted")

    contract: Mapped[LandContractRow] = relationship(back_populates="parcels")
