"""Personal API tokens: shown once, stored as SHA-256, revocable, expiring (a year unless said otherwise),
and optionally read-only (GET and HEAD only)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import ApiToken, User

PREFIX = "choso_"
DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, user: User, name: str, *, read_only: bool = False,
                 days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token and its only clear-text copy. ``days`` is clamped to 1..MAX_DAYS."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:80] or "token", token_hash=_digest(token), prefix=token[:12],
                   read_only=read_only, expires_at=utcnow() + timedelta(days=min(max(days, 1), MAX_DAYS)))
    db.add(row)
    db.flush()
    return row, token


def token_row(db: Session, token: str) -> ApiToken | None:
    """The usable (unrevoked, unexpired) token of an active user. Lookup is by hash: no timing leak."""
    if not token.startswith(PREFIX):
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = utcnow()
    if row is None or not row.usable(now) or not row.user.is_active:
        return None
    row.last_used_at = now
    db.commit()
    return row


def user_for_token(db: Session, token: str) -> User | None:
    row = token_row(db, token)
    return row.user if row else None


def revoke_all(db: Session, user: User) -> int:
    """Revoke every token of ``user`` (after a password change, when the person asks)."""
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        revoke(db, row)
    return len(rows)


def revoke(db: Session, row: ApiToken) -> None:
    row.revoked_at = row.revoked_at or utcnow()
