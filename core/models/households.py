"""Household businesses (hộ kinh doanh), their bank accounts, and the helpers assigned to act for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models.geo import Commune
from core.models.users import User

HOUSEHOLD_STATUSES = ("active", "suspended", "closed")


class HouseholdBusiness(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(90))
    name_folded: Mapped[str] = mapped_column(String(120), index=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    registration_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    tax_code: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str] = mapped_column(String(250), default="")
    phone: Mapped[str | None] = mapped_column(String(15))
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(lazy="joined")
    commune: Mapped[Commune] = relationship(lazy="joined")
    bank_accounts: Mapped[list[BankAccount]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="BankAccount.id"
    )


class BankAccount(Base):
    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("household_id", "bank_bin", "account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    bank_bin: Mapped[str] = mapped_column(String(6))
    account_number: Mapped[str] = mapped_column(String(19))
    account_name: Mapped[str] = mapped_column(String(80))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[HouseholdBusiness] = relationship(back_populates="bank_accounts")


class HelperAssignment(Base):
    """Commune staff let one helper act for one household business, until staff end it or the household
    withdraws it. Ended rows stay: they say who could act for whom, and when."""

    __tablename__ = "helper_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "withdrawn" (by the household) or "ended" (by staff, or the helper role taken away)
    end_reason: Mapped[str | None] = mapped_column(String(12))

    household: Mapped[HouseholdBusiness] = relationship()
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
