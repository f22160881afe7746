"""Bank transactions as notified (stored before matching) and the payments matched from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import User
from payments.bills.models import Bill

UNMATCHED, MATCHED, IGNORED = "unmatched", "matched", "ignored"
# The note on money going out of a watched account, set aside on arrival (the daily close counts it apart).
OUTGOING_NOTE = "outgoing transfer"


class BankTransaction(Base):
    __tablename__ = "bank_transactions"
    # The source's own transaction id: the same notification twice is one row, hence one payment.
    __table_args__ = (UniqueConstraint("transaction_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    transaction_id: Mapped[str] = mapped_column(String(120))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text, default="")
    account_number: Mapped[str | None] = mapped_column(String(40))
    bank: Mapped[str | None] = mapped_column(String(60))
    bank_reference: Mapped[str | None] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=UNMATCHED, index=True)
    note: Mapped[str | None] = mapped_column(String(300))
    # Why it did not match by itself (see reconcile.services.REASONS), for the staff queue and the figures.
    reason: Mapped[str | None] = mapped_column(String(20))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    statement_import_id: Mapped[int | None] = mapped_column(ForeignKey("statement_imports.id"), index=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Payment(Base):
    __tablename__ = "payments"
    # The figures count a commune's payments of a month; at province scale that must not go through bills.
    __table_args__ = (Index("ix_payments_commune_code_created_at", "commune_code", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(5))  # the bill's, copied when the payment is made
    # At most one payment per bank transaction; cash payments have none.
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transactions.id"), unique=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20), default="vietqr")  # vietqr | card | cash
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bill: Mapped[Bill] = relationship(lazy="joined")
    transaction: Mapped[BankTransaction | None] = relationship()


class StatementImport(Base):
    """A bank statement a staff member imported: who, when, which account, which file, what it paid.

    An import that would pay many bills waits (state "waiting") until a second staff member confirms it.
    """

    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    account_number: Mapped[str] = mapped_column(String(19))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="applied")  # waiting | applied | withdrawn
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The rows as read, kept until applied, then what applying them did.
    pending: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])


# How a notification reached choso, for the delivery log.
WEBHOOK, POLL, STATEMENT = "webhook", "poll", "statement"
# What became of it: stored as a match or waiting for staff (or set aside: money going out), a repeat of one
# already stored, a request that was not genuine or not readable, matched later when staff re-ran matching.
DUPLICATE, REFUSED, REMATCHED = "duplicate", "refused", "rematched"


class Delivery(Base):
    """One notification or fetched transaction as it arrived, and what became of it: the trail staff search
    when a household says "I paid"."""

    __tablename__ = "bank_deliveries"
    __table_args__ = (Index("ix_bank_deliveries_commune_code_at", "commune_code", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    source: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # WEBHOOK | POLL | STATEMENT
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    transaction_id: Mapped[str | None] = mapped_column(String(120))  # the source's id; none when refused
    bank_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transactions.id"), index=True)
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    account_number: Mapped[str | None] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(12))  # MATCHED | UNMATCHED | IGNORED | DUPLICATE | REFUSED | ...
    reason: Mapped[str | None] = mapped_column(String(40))


class SourceStatus(Base):
    """Per commune and source: how its polling went, and what staff were last warned of."""

    __tablename__ = "source_status"
    __table_args__ = (UniqueConstraint("commune_code", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    source: Mapped[str] = mapped_column(String(40))
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last attempt
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last poll that succeeded
    polled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # where the next poll's window starts
    found_last: Mapped[int] = mapped_column(default=0)  # transfers the last poll found that no webhook brought
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auth_failed: Mapped[bool] = mapped_column(default=False)
    warned: Mapped[str | None] = mapped_column(String(20))  # the warning last sent (e-mail, hook), until it clears
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DailyClose(Base):
    """A day signed off by a staff member (đối soát cuối ngày), with the figures as they stood then: what
    changes the day afterwards shows against them (payments.reconcile.closing.corrections)."""

    __tablename__ = "daily_closes"
    __table_args__ = (UniqueConstraint("commune_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    day: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(300), default="")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
