"""Monthly snapshots of every indicator per commune, and the targets staff set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class MetricSnapshot(Base):
    """An indicator as it was reported for a month; never recomputed unless staff ask to replace it."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (UniqueConstraint("commune_code", "month", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetricTarget(Base):
    __tablename__ = "metric_targets"
    __table_args__ = (UniqueConstraint("commune_code", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    indicator: Mapped[str] = mapped_column(String(60))
    target: Mapped[float] = mapped_column(Float)
    near: Mapped[float | None] = mapped_column(Float)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
