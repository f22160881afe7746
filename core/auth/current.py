"""The signed-in user for pages (session cookie) and for the API (bearer token only)."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.db import session
from core.extensions import login_manager
from core.models import User


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        user = session().get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.is_active else None


def api_user() -> User | None:
    """The API caller: a bearer token, never the session cookie (so the API needs no CSRF token)."""
    if "api_user" not in g:
        from core.auth.tokens import user_for_token

        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.api_user = user_for_token(session(), token.strip()) if scheme.lower() == "bearer" else None
    return g.api_user


def page_user() -> User | None:
    return current_user if current_user.is_authenticated else None
