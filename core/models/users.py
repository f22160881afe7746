"""People, their role in a commune, their signed-in sessions and their personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from core.models.households import HelperAssignment

# household: owns shops; helper: community digital team, acts for the households of its commune that staff
# assigned to it (HelperAssignment);
# staff: commune officials; admin: operator of the whole install.
ROLES = ("household", "helper", "staff", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(15), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # None: the account exists (created by a helper) but nobody can sign in until a password is set.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    province_memberships: Mapped[list[ProvinceMembership]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    # the households this helper currently acts for; read on every permission check, so loaded with the user
    helper_assignments: Mapped[list[HelperAssignment]] = relationship(
        "HelperAssignment", primaryjoin="and_(User.id == HelperAssignment.helper_id, "
        "HelperAssignment.ended_at.is_(None))", viewonly=True, lazy="selectin")
    # The id of the signed-in session this request runs in (core.auth.sessions). Flask-Login keeps get_id() in
    # the cookie, so the cookie names a session row that sign-out ends, not the user: a copied cookie dies too.
    signed_in_session = None

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        if not self.signed_in_session:
            raise RuntimeError("sign people in with core.auth.sessions.sign_in, which opens a session row")
        return self.signed_in_session

    @property
    def label(self) -> str:
        return self.name or self.phone or self.email or f"#{self.id}"

    def roles_in(self, commune_code: str) -> set[str]:
        return {m.role for m in self.memberships if m.commune_code == commune_code}

    @property
    def assisted_household_ids(self) -> set[int]:
        """Households this helper is assigned to act for, in communes where it is still a helper."""
        return {a.household_id for a in self.helper_assignments if "helper" in self.roles_in(a.commune_code)}

    @property
    def is_admin(self) -> bool:
        return any(m.role == "admin" for m in self.memberships)

    def communes_with(self, *roles: str) -> set[str]:
        return {m.commune_code for m in self.memberships if m.role in roles}

    @property
    def provinces(self) -> set[str]:
        """Provinces whose staff this user is (they see every commune's figures there)."""
        return {m.province_code for m in self.province_memberships}


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "commune_code", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")


class ProvinceMembership(Base):
    """Province staff (Sở Công Thương and the like): read the figures of all the province's communes."""

    __tablename__ = "province_memberships"
    __table_args__ = (UniqueConstraint("user_id", "province_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_only: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class UserSession(Base):
    """A signed-in browser. Its random id is what the session (and remember-me) cookie carries; ending the row
    signs that browser out wherever the cookie has been copied to."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()
