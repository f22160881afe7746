"""Operator and commune-staff pages: loaded plugins with their errors; per-commune integrations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import containment
from core.api.integrations import KINDS, overview, registry
from core.containment import recent_failures
from core.db import session
from core.errors import ChosoError
from core.events import plugins
from core.models import Commune
from core.services import integrations

bp = Blueprint("admin", __name__)


@bp.get("/admin/plugins")
@login_required
def plugin_list():
    if not current_user.is_admin:
        abort(403)
    manager = plugins()
    return render_template("admin/plugins.html", plugins=manager.listing(), owners=manager.owners,
                           failures=recent_failures(session()))


@bp.route("/staff/<code>/integrations", methods=["GET", "POST"])
@login_required
def commune_integrations(code: str):
    commune = session().get(Commune, code)
    if commune is None:
        abort(404)
    if not integrations.may_configure(current_user, code):
        abort(403)
    errors: dict[str, dict] = {}
    if request.method == "POST":
        kind, name = request.form.get("kind", ""), request.form.get("name", "")
        cls = registry(kind).get(name) if kind in KINDS else None
        if cls is None:
            abort(404)
        try:
            names = containment.call(integrations.plugin_of(kind, name), f"{kind} {name}: settings schema",
                                     lambda: list(cls.settings_schema().fields), commune_code=code)
            # a field left empty takes its default (or, for a secret, keeps what is stored)
            values = {field: request.form[f"setting-{field}"] for field in names
                      if request.form.get(f"setting-{field}", "") != ""}
            integrations.configure(session(), current_user, code, kind, name, cls.settings_schema,
                                   bool(request.form.get("enabled")), values, test_connection=True)
            flash(_("Saved."), "info")
            return redirect(url_for("admin.commune_integrations", code=code))
        except ChosoError as exc:
            errors[name] = exc.fields or {"_": [str(exc.message)]}
        except containment.PluginFailed as failure:
            errors[name] = {"_": [failure.for_people]}
    status = 422 if errors else 200
    return render_template("admin/integrations.html", commune=commune, rows=overview(code), errors=errors,
                           failures=recent_failures(session(), commune_code=code)), status
