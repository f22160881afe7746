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
    sent_stock: Mapped[int | None]  # the stock in it: a change of stock alone goes by `set_stock`
    # Bumped when a taken-down listing is published again, so its idempotency key is new.
    generation: Mapped[int] = mapped_column(default=1)
    price_override_vnd: Mapped[int | None] = mapped_column(BigInteger)
    title_override: Mapped[str | None] = mapped_column(String(150))
    category_override: Mapped[str | None] = mapped_column(String(64))  # the marketplace's category id
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def publish_key(self) -> str:
        return f"choso-listing-{self.id}-g{self.generation}"



class ShopConnection(Base):
    """A household's own shop on a per-seller marketplace (Shopee, TikTok Shop): the marketplace's shop id and
    the tokens the household's authorisation gave, sealed (core.secret_box). One per household and marketplace;
    one shop belongs to one household (a shop connected elsewhere is refused)."""

    __tablename__ = "shop_connections"
    __table_args__ = (UniqueConstraint("household_id", "marketplace"),
                      UniqueConstraint("marketplace", "remote_shop_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    marketplace: Mapped[str] = mapped_column(String(40))
    remote_shop_id: Mapped[str] = mapped_column(String(64))
    shop_name: Mapped[str] = mapped_column(String(200), default="")
    # "connected", "lapsed" (only the household can renew it), "disconnected" (the household let it go)
    state: Mapped[str] = mapped_column(String(12), default="connected", index=True)
    sealed: Mapped[str] = mapped_column(Text)  # access and refresh tokens, and the adapter's extras
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorization_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # told that the authorisation ends soon
    orders_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last poll for missed orders
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def lapses_at(self) -> datetime | None:
        """When the household must authorise again: the grant's end, or the refresh token's if sooner."""
        ends = [t for t in (self.authorization_expires_at, self.refresh_expires_at) if t is not None]
        return min(ends) if ends else None
