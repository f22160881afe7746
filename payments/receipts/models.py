"""Receipts: immutable rows; a correction is a new receipt that names the one it cancels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class ReceiptCounter(Base):
    """The last number given per commune and year; bumped in the receipt's own transaction, so no gaps."""

    __tablename__ = "receipt_counters"

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("commune_code", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    year: Mapped[int]
    number: Mapped[int]
    # A receipt is for a bill's payment or for an order part's payment.
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    order_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(120))
    fee_name: Mapped[str] = mapped_column(String(150))
    period: Mapped[str] = mapped_column(String(40), default="")
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    amount_words: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(300))

    @property
    def code(self) -> str:
        return f"{self.year}/{self.number:06d}"


@event.listens_for(Receipt, "before_update")
def _receipts_are_never_changed(mapper, connection, target) -> None:
    raise RuntimeError("a receipt is never changed once issued; issue a correcting receipt instead")
