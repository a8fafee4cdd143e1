"""Score runs with their parcel scores, and background (batch) jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.models.base import JOB_STATUSES, RUN_STATUSES, Base, in_values, utcnow


class ScoreRunRow(Base):
    """One run of the suitability scoring over a zone's parcels."""

    __tablename__ = "score_runs"
    __table_args__ = (CheckConstraint(in_values("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    config_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(100))
    n_parcels: Mapped[int | None] = mapped_column(Integer)
    n_scored: Mapped[int | None] = mapped_column(Integer)
    n_excluded: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    scores: Mapped[list[ParcelScoreRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class ParcelScoreRow(Base):
    """One parcel's result in a score run: score 0–100, class, exclusion and the breakdown."""

    __tablename__ = "parcel_scores"
    __table_args__ = (UniqueConstraint("run_id", "parcel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    score_class: Mapped[str | None] = mapped_column(String(32))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    breakdown: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="criterion → {value, utility, weight}"
    )

    run: Mapped[ScoreRunRow] = relationship(back_populates="scores")


class BatchJobRow(Base):
    """A background job (batch scoring, report export): status, progress, files, error."""

    __tablename__ = "batch_jobs"
    __table_args__ = (
        CheckConstraint(in_values("status", JOB_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, comment="uuid4 hex")
    kind: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0, comment="0–1")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_path: Mapped[str | None] = mapped_column(Text)
    output_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(100))
