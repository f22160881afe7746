"""Fee types, bills and batches of bills, and the commune's collection account."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import HouseholdBusiness
from payments.bills.states import OPEN


class CollectionAccount(Base):
    """The bank account a commune collects fees into; bills' QR codes pay it."""

    __tablename__ = "collection_accounts"

    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    bank_bin: Mapped[str] = mapped_column(String(6))
    account_number: Mapped[str] = mapped_column(String(19))
    account_name: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FeeType(Base):
    __tablename__ = "fee_types"
    __table_args__ = (UniqueConstraint("commune_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(150))
    default_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    fixed_amount: Mapped[bool] = mapped_column(default=True)  # False: the amount is set per bill
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillBatch(Base):
    """Bills issued to many households at once; `issued` counts progress, `skipped` those already billed."""

    __tablename__ = "bill_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"))
    period: Mapped[str] = mapped_column(String(40))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date | None]
    total: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="running")  # running | done
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fee_type: Mapped[FeeType] = relationship(lazy="joined")


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("batch_id", "household_id"),  # a batch bills each household once, even if re-run
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        CheckConstraint("paid_vnd >= 0", name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("bill_batches.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(120))
    payer_phone: Mapped[str | None] = mapped_column(String(15))
    period: Mapped[str] = mapped_column(String(40), default="")
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    paid_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)  # the unguessable public link
    due_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    fee_type: Mapped[FeeType] = relationship(lazy="joined")
    household: Mapped[HouseholdBusiness | None] = relationship()

    # Loaded only where shown (bill lists ask for it with selectinload): reconciliation loads bills by the
    # thousand and never looks at their reminders.
    reminders: Mapped[list[BillReminder]] = relationship(order_by="BillReminder.sent_at", viewonly=True)

    @property
    def outstanding_vnd(self) -> int:
        return max(0, self.amount_vnd - self.paid_vnd)


class BillReminder(Base):
    """A reminder of one kind (due soon, overdue) given for a bill; one of each kind at most."""

    __tablename__ = "bill_reminders"
    __table_args__ = (UniqueConstraint("bill_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # due_soon | overdue
    due_on: Mapped[date]  # the due date it reminded of (staff may move it later)
    emailed_to: Mapped[str | None] = mapped_column(String(254))  # None: no address or no mail server
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def emailed(self) -> bool:
        return self.emailed_to is not None


class BillPrint(Base):
    """Every open bill of a fee and period, printed as one PDF for households without a smartphone."""

    __tablename__ = "bill_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"))
    period: Mapped[str] = mapped_column(String(40))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="running")  # running | done | failed
    file_name: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fee_type: Mapped[FeeType] = relationship(lazy="joined")
