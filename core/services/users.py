"""Accounts and memberships."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from core.errors import Invalid, NotFound
from core.models import ROLES, Commune, Membership, Province, ProvinceMembership, User
from core.text import normalize_phone


def find_by_login(db: Session, login: str) -> User | None:
    login = (login or "").strip()
    if "@" in login:
        return db.scalar(select(User).where(User.email == login.lower()))
    phone = normalize_phone(login)
    return db.scalar(select(User).where(User.phone == phone)) if phone else None


def authenticate(db: Session, login: str, password: str) -> User | None:
    user = find_by_login(db, login)
    ok = verify_password(user.password_hash if user else None, password)
    if not (ok and user and user.is_active):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.commit()
    return user


def set_password(user: User, password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise Invalid(_("The password needs at least %(n)d characters.", n=MIN_LENGTH),
                      {"password": [_("The password needs at least %(n)d characters.", n=MIN_LENGTH)]})
    user.password_hash = hash_password(password)


def ensure_user(db: Session, *, phone: str | None = None, email: str | None = None, name: str = "",
                password: str | None = None) -> tuple[User, bool]:
    """The user with this phone (or e-mail), created when missing. Returns (user, created)."""
    norm = normalize_phone(phone) if phone else None
    if phone and not norm:
        raise Invalid(_("Enter a Vietnamese phone number, e.g. 0912345678."),
                      {"phone": [_("Enter a Vietnamese phone number, e.g. 0912345678.")]})
    if not norm and not email:
        raise Invalid(_("A phone number or an e-mail address is needed."))
    user = find_by_login(db, norm or email or "")
    created = user is None
    if created:
        user = User(phone=norm, email=email.lower() if email else None, name=name)
        db.add(user)
    if password is not None:
        set_password(user, password)
    if name and not user.name:
        user.name = name
    db.flush()
    return user, created


def grant(db: Session, user: User, role: str, commune_code: str) -> Membership:
    if role not in ROLES:
        raise Invalid(_("Unknown role %(role)s; choose one of %(roles)s.", role=role, roles=", ".join(ROLES)))
    if db.get(Commune, commune_code) is None:
        raise NotFound(_("No commune has the code %(code)s.", code=commune_code))
    existing = next((m for m in user.memberships if m.commune_code == commune_code and m.role == role), None)
    if existing:
        return existing
    membership = Membership(commune_code=commune_code, role=role)
    user.memberships.append(membership)
    db.flush()
    return membership


def grant_province(db: Session, user: User, province_code: str) -> ProvinceMembership:
    """Make `user` province staff: read-only figures of every commune of the province."""
    if db.get(Province, province_code) is None:
        raise NotFound(_("No province has the code %(code)s.", code=province_code))
    existing = next((m for m in user.province_memberships if m.province_code == province_code), None)
    if existing:
        return existing
    membership = ProvinceMembership(province_code=province_code)
    user.province_memberships.append(membership)
    db.flush()
    return membership
