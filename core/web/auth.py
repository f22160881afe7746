"""Sign-in and sign-out (rate-limited, CSRF-protected)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import sessions
from core.db import session
from core.extensions import limiter
from core.models import User
from core.services.users import authenticate

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None, user: User | None = None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return landing_for(user)


def landing_for(user: User | None) -> str:
    """Where a person lands after signing in: households and helpers on their shops, commune staff on their
    commune's desk, an admin with no commune role on the plugins page."""
    if user is None or user.communes_with("household", "helper"):
        return url_for("dashboard.index")
    staff_of = sorted(user.communes_with("staff"))
    if staff_of:
        return url_for("payments.staff_bills", code=staff_of[0])
    if user.is_admin:
        return url_for("admin.plugin_list")
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if request.method == "POST":
        user = authenticate(session(), request.form.get("login", ""), request.form.get("password", ""))
        if user is not None:
            sessions.sign_in(session(), user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next"), user))
        flash(_("Wrong phone number or password."), "error")
        return render_template("auth/login.html", login=request.form.get("login", "")), 401
    return render_template("auth/login.html", login="")


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.sign_out(session(), current_user)
    return redirect(url_for("catalog.home"))
