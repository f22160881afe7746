"""A person's own account: password, signed-in browsers, personal API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth import sessions
from core.auth.passwords import verify_password
from core.auth.tokens import DEFAULT_DAYS, create_token, revoke, revoke_all
from core.db import session
from core.errors import ChosoError
from core.extensions import limiter
from core.models import ApiToken
from core.services import audit
from core.services.users import set_password

bp = Blueprint("account", __name__, url_prefix="/account")
bp.before_request(login_required(lambda: None))

EXPIRY_CHOICES = (30, 90, 365)


def _tokens():
    return session().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                             .order_by(ApiToken.id.desc())).all()


def _page(status: int = 200, **extra):
    context = {"new_token": None, "errors": {}, **extra}
    return render_template("account/tokens.html", tokens=_tokens(), expiry_choices=EXPIRY_CHOICES,
                           default_days=DEFAULT_DAYS, open_sessions=sessions.open_sessions(session(), current_user),
                           this_session=current_user.signed_in_session, **context), status


@bp.get("/tokens")
def tokens():
    return _page()


@bp.post("/tokens")
@limiter.limit("20 per hour")
def new_token():
    db = session()
    try:
        days = int(request.form.get("days", DEFAULT_DAYS))
    except ValueError:
        days = DEFAULT_DAYS
    row, token = create_token(db, current_user, request.form.get("name", "").strip()[:80] or "token",
                              read_only=bool(request.form.get("read_only")), days=days)
    audit.record(db, current_user, "token.create", "api_token", row.id,
                 details={"read_only": row.read_only, "expires_at": row.expires_at.isoformat()})
    db.commit()
    flash(_("Copy this token now: it will not be shown again."), "info")
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    db = session()
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:  # someone else's token is, to this person, no token
        abort(404)
    revoke(db, row)
    audit.record(db, current_user, "token.revoke", "api_token", row.id)
    db.commit()
    flash(_("The token was revoked."), "info")
    return redirect(url_for("account.tokens"))


@bp.post("/sessions/end-others")
def end_other_sessions():
    db = session()
    ended = sessions.end_all(db, current_user, keep=current_user.signed_in_session)
    audit.record(db, current_user, "session.end_others", "user", current_user.id, details={"ended": ended})
    db.commit()
    flash(ngettext("%(num)d other browser was signed out.", "%(num)d other browsers were signed out.", ended),
          "info")
    return redirect(url_for("account.tokens"))


@bp.post("/password")
@limiter.limit("10 per hour")
def change_password():
    db = session()
    user = current_user._get_current_object()
    if not verify_password(user.password_hash, request.form.get("current_password", "")):
        message = _("This is not your current password.")
        return _page(422, errors={"current_password": [message]})
    if request.form.get("new_password", "") != request.form.get("confirm_password", ""):
        return _page(422, errors={"confirm_password": [_("The two new passwords are not the same.")]})
    try:
        set_password(user, request.form.get("new_password", ""))
    except ChosoError as exc:
        return _page(422, errors={"new_password": exc.fields.get("password", [str(exc.message)])})
    # Whoever held this person's old password may hold a session too: every other browser is signed out.
    ended = sessions.end_all(db, user, keep=user.signed_in_session)
    revoked = revoke_all(db, user) if request.form.get("revoke_tokens") else 0
    audit.record(db, user, "user.password_change", "user", user.id,
                 details={"sessions_ended": ended, "tokens_revoked": revoked})
    db.commit()
    flash(_("Your password was changed; every other browser was signed out."), "info")
    if revoked:
        flash(ngettext("%(num)d API token was revoked.", "%(num)d API tokens were revoked.", revoked), "info")
    return redirect(url_for("account.tokens"))
