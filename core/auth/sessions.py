"""Signed-in browsers, held on the server so that they can be ended.

The session cookie (and the remember-me cookie) carries the random id of a `UserSession` row, not the user's
id. Signing out ends the row, so a copy of the cookie taken before — on a shared phone, from a proxy log — no
longer signs anyone in; a password change ends every session of the person but the one making the change.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import request
from flask_login import login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from core.db import utcnow
from core.models import User, UserSession

# a read per request, a write at most this often: "last seen" is for the person's list, not an audit
_TOUCH_EVERY = timedelta(minutes=5)


def sign_in(db: Session, user: User, *, remember: bool = False) -> UserSession:
    row = UserSession(id=secrets.token_urlsafe(32), user_id=user.id,
                      user_agent=(request.user_agent.string or "")[:200])
    db.add(row)
    db.commit()
    user.signed_in_session = row.id
    login_user(user, remember=remember)
    return row


def user_for(db: Session, session_id: str) -> User | None:
    """The person a session cookie names, while that session is open and the person active."""
    # one query for the session and its person: this runs on every signed-in request
    row = db.get(UserSession, session_id, options=[joinedload(UserSession.user)]) \
        if session_id and len(session_id) <= 43 else None
    if row is None or row.ended_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        db.commit()
    row.user.signed_in_session = row.id
    return row.user


def sign_out(db: Session, user: User) -> None:
    if user.signed_in_session:
        db.execute(update(UserSession).where(UserSession.id == user.signed_in_session,
                                             UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
        db.commit()
    logout_user()


def end_all(db: Session, user: User, *, keep: str | None = None) -> int:
    """End every open session of ``user`` except ``keep``; how many were ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    return db.execute(stmt.values(ended_at=utcnow())).rowcount


def open_sessions(db: Session, user: User) -> list[UserSession]:
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                           .order_by(UserSession.last_seen_at.desc())))
