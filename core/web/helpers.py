"""Commune staff decide which helper of the digital team may act for which household."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth import policy
from core.db import session
from core.errors import ChosoError
from core.models import Commune, HouseholdBusiness, User
from core.services import helpers
from core.web.forms import staff_commune

bp = Blueprint("helpers", __name__)


def _commune(code: str) -> Commune:
    return staff_commune(code, policy.can_assign_helpers)


@bp.route("/staff/<code>/helpers", methods=["GET", "POST"])
@login_required
def assignments(code: str):
    commune = _commune(code)
    db = session()
    if request.method == "POST":
        try:
            if request.form.get("action") == "end":
                row = helpers.get(db, int(request.form.get("assignment_id", "0") or 0))
                if row.commune_code != code:
                    abort(404)
                helpers.end(db, current_user, row)
                flash(_("%(helper)s may no longer act for %(shop)s.", helper=row.helper.label,
                        shop=row.household.name), "info")
            else:
                shop = db.get(HouseholdBusiness, int(request.form.get("household_id", "0") or 0))
                helper = db.get(User, int(request.form.get("helper_id", "0") or 0))
                if shop is None or shop.commune_code != code or helper is None:
                    raise ChosoError(_("Choose a helper and a household of this commune."))
                helpers.assign(db, current_user, shop, helper)
                flash(_("%(helper)s may now act for %(shop)s.", helper=helper.label, shop=shop.name), "info")
            db.commit()
            return redirect(url_for("helpers.assignments", code=code))
        except (ChosoError, ValueError) as exc:
            db.rollback()
            flash(str(getattr(exc, "message", "")) or _("Choose a helper and a household of this commune."),
                  "error")
    households = db.scalars(select(HouseholdBusiness).where(HouseholdBusiness.commune_code == code)
                            .order_by(HouseholdBusiness.name_folded, HouseholdBusiness.id)).all()
    return render_template("dashboard/helpers.html", commune=commune, rows=helpers.active(db, commune_code=code),
                           helpers=helpers.helpers_of(db, code), households=households)
