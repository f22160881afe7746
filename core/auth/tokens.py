"""Personal API tokens: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import ApiToken, User

PREFIX = "choso_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:80] or "token", token_hash=_digest(token), prefix=token[:12])
    db.add(row)
    db.flush()
    return row, token


def user_for_token(db: Session, token: str) -> User | None:
    """The active user owning an unrevoked token. Lookup is by hash, so no timing leak on the token."""
    if not token.startswith(PREFIX):
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    row.last_used_at = utcnow()
    db.commit()
    return row.user


def revoke(db: Session, row: ApiToken) -> None:
    row.revoked_at = row.revoked_at or utcnow()
