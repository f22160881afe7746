"""Orders, split into one part per household, with their lines, history, payments and refunds.

One model for direct orders and orders imported from marketplaces. Prices are taken at the time of
ordering; money is integer đồng. A part is what one household fulfils and what a buyer pays at once
(a bank transfer goes to that household's own account).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.orders.states import PENDING_PAYMENT
from plugins.payment import CREATED


class Order(Base):
    __tablename__ = "orders"
    # One order per marketplace order id: a webhook delivered twice is one order.
    __table_args__ = (UniqueConstraint("channel", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    channel: Mapped[str] = mapped_column(String(40), default="direct", index=True)  # "direct" or a marketplace
    remote_id: Mapped[str | None] = mapped_column(String(120))
    # A summary of the parts' states (see states.summary); each part moves on its own.
    state: Mapped[str] = mapped_column(String(20), default=PENDING_PAYMENT, index=True)
    buyer_name: Mapped[str] = mapped_column(String(120), default="")
    buyer_phone: Mapped[str] = mapped_column(String(15), default="")
    buyer_email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")  # street, village
    delivery_commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    # Direct orders: the buyer's unguessable link, and when reserved stock is released if still unpaid.
    token: Mapped[str | None] = mapped_column(String(43), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  lazy="selectin", order_by="OrderItem.id")
    parts: Mapped[list[OrderPart]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  lazy="selectin", order_by="OrderPart.id")

    def add_item(self, item: OrderItem, new_part: Callable[[], OrderPart]) -> OrderPart:
        """Add a line to the order and to its household's part, made by `new_part` for the first line."""
        part = next((p for p in self.parts if p.household_id == item.household_id), None)
        if part is None:
            part = new_part()
            part.household_id, part.subtotal_vnd = item.household_id, 0
            self.parts.append(part)
        self.items.append(item)
        part.items.append(item)
        part.subtotal_vnd += item.quantity * item.unit_price_vnd
        self.total_vnd = (self.total_vnd or 0) + item.quantity * item.unit_price_vnd
        return part


class OrderPart(Base):
    """One household's share of an order: fulfilled, paid and refunded on its own."""

    __tablename__ = "order_parts"
    __table_args__ = (UniqueConstraint("order_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=PENDING_PAYMENT, index=True)
    subtotal_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    # What a bank transfer for this part must carry (same alphabet and check symbol as bill references).
    reference: Mapped[str | None] = mapped_column(String(16), unique=True)
    seen_by_household: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="parts")
    items: Mapped[list[OrderItem]] = relationship(back_populates="part", lazy="selectin", order_by="OrderItem.id",
                                                  cascade="save-update, merge")
    payments: Mapped[list[OrderPayment]] = relationship(back_populates="part", lazy="selectin",
                                                        order_by="OrderPayment.id")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    quantity: Mapped[int]
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    refunded_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="items")
    part: Mapped[OrderPart | None] = relationship(back_populates="items")


class OrderEvent(Base):
    """Who changed what and when: every state move of a part, payment and refund."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))  # "state", "payment", "refund", "placed"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(60), default="")  # "buyer", "stripe", "timer" ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderPayment(Base):
    """One attempt to pay a part through a provider; at most one succeeds per part."""

    __tablename__ = "order_payments"
    __table_args__ = (UniqueConstraint("provider", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    cashless: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(20), default=CREATED, index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(120))
    matching_id: Mapped[str | None] = mapped_column(String(120), index=True)
    # The account this attempt told the buyer to pay (a VietQR transfer): only money that reached it pays the part.
    payee_bank_bin: Mapped[str | None] = mapped_column(String(6))
    payee_account_number: Mapped[str | None] = mapped_column(String(19))
    next_step: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    part: Mapped[OrderPart] = relationship(back_populates="payments")


class OrderRefund(Base):
    __tablename__ = "order_refunds"
    # The same request sent twice (a double tap, a client retrying) is one refund.
    __table_args__ = (UniqueConstraint("payment_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("order_payments.id", ondelete="CASCADE"), index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    remote_id: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(300), default="")
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {order item id: quantity back in stock}
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedWebhook(Base):
    """Provider events already applied: the same webhook twice (Stripe retries) changes nothing."""

    __tablename__ = "processed_webhooks"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
