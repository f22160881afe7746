"""Sign-in and sign-out (rate-limited, CSRF-protected)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import sessions
from core.db import session
from core.extensions import limiter
from core.services.users import authenticate

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if request.method == "POST":
        user = authenticate(session(), request.form.get("login", ""), request.form.get("password", ""))
        if user is not None:
            sessions.sign_in(session(), user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong phone number or password."), "error")
        return render_template("auth/login.html", login=request.form.get("login", "")), 401
    return render_template("auth/login.html", login="")


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.sign_out(session(), current_user)
    return redirect(url_for("catalog.home"))
