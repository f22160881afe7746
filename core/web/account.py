"""A person's own account: personal API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.tokens import create_token, revoke
from core.db import session
from core.extensions import limiter
from core.models import ApiToken

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/tokens")
@login_required
def tokens():
    rows = session().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                             .order_by(ApiToken.id.desc())).all()
    return render_template("account/tokens.html", tokens=rows, new_token=None)


@bp.post("/tokens")
@limiter.limit("20 per hour")
@login_required
def new_token():
    db = session()
    _row, token = create_token(db, current_user, request.form.get("name", "").strip()[:80] or "token")
    db.commit()
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                      .order_by(ApiToken.id.desc())).all()
    flash(_("Copy this token now: it will not be shown again."), "info")
    return render_template("account/tokens.html", tokens=rows, new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    db = session()
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        flash(_("This token does not exist."), "error")
    else:
        revoke(db, row)
        db.commit()
        flash(_("The token was revoked."), "info")
    return redirect(url_for("account.tokens"))
