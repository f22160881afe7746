"""Orders and their lines, priced at the time of ordering (integer đồng)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.orders.states import PENDING_PAYMENT


class Order(Base):
    __tablename__ = "orders"
    # One order per marketplace order id: a webhook delivered twice is one order.
    __table_args__ = (UniqueConstraint("channel", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    channel: Mapped[str] = mapped_column(String(40), default="direct", index=True)  # "direct" or a marketplace
    remote_id: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20), default=PENDING_PAYMENT, index=True)
    buyer_name: Mapped[str] = mapped_column(String(120), default="")
    buyer_phone: Mapped[str] = mapped_column(String(15), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    # Direct orders: the buyer's unguessable link, and when reserved stock is released if still unpaid.
    token: Mapped[str | None] = mapped_column(String(43), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  lazy="selectin")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    quantity: Mapped[int]
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")
