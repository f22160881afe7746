"""The signed-in user for pages (session cookie) and for the API (bearer token only)."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.db import session
from core.errors import Forbidden
from core.extensions import login_manager
from core.models import User


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_id: str) -> User | None:
        from core.auth.sessions import user_for

        return user_for(session(), session_id)


READS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_user() -> User | None:
    """The API caller: a bearer token, never the session cookie (so the API needs no CSRF token). A read-only
    token asking to change something is refused here, whichever endpoint it reached."""
    if "api_user" not in g:
        from core.auth.tokens import token_row

        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        row = token_row(session(), token.strip()) if scheme.lower() == "bearer" else None
        if row is not None and row.read_only and request.method not in READS:
            raise Forbidden(_("This token may only read. Make a token that may also change things on your "
                              "account page."))
        g.api_user = row.user if row else None
    return g.api_user


def page_user() -> User | None:
    return current_user if current_user.is_authenticated else None
