"""Listings (the OCA connector's bindings: one row per product and marketplace) and durable jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import Product
from core.publishing.states import QUEUED


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("product_id", "marketplace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    marketplace: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(12), default=QUEUED, index=True)
    # What the seller asked for: "live" or "unpublished". Workers move `state` towards it.
    desired: Mapped[str] = mapped_column(String(12), default="live")
    remote_id: Mapped[str | None] = mapped_column(String(120))
    remote_url: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_hash: Mapped[str | None] = mapped_column(String(32))  # hash of what the marketplace last accepted
    # Bumped when a taken-down listing is published again, so its idempotency key is new.
    generation: Mapped[int] = mapped_column(default=1)
    price_override_vnd: Mapped[int | None] = mapped_column(BigInteger)
    title_override: Mapped[str | None] = mapped_column(String(150))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def publish_key(self) -> str:
        return f"choso-listing-{self.id}-g{self.generation}"

