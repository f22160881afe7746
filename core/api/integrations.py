"""Commune staff switch marketplaces (and other plugin integrations) on and set their credentials."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import fields

from core import containment
from core.api.base import bp, json_body, load, require_user
from core.api.spec import operation
from core.db import session
from core.errors import Forbidden, NotFound
from core.events import plugins
from core.schemas.common import BaseSchema
from core.services import integrations
from core.services.shops import require

KINDS = {"marketplace": "marketplaces", "payment_source": "payment_sources", "payment_provider": "payment_providers"}


class IntegrationInputSchema(BaseSchema):
    enabled = fields.Boolean(required=True)
    settings = fields.Dict(load_default=dict)
    # A marketplace switched on proves its settings work before they are saved; false skips that (settings
    # prepared before the service is reachable).
    test_connection = fields.Boolean(load_default=True)


def registry(kind: str) -> dict:
    if kind not in KINDS:
        raise NotFound(_("Nothing here."))
    return getattr(plugins(), KINDS[kind])


def overview(code: str) -> list[dict]:
    """Every installed integration with this commune's switch and settings (secrets masked)."""
    out = []
    for kind in KINDS:
        for name, cls in registry(kind).items():
            row = integrations.get(session(), code, kind, name)
            shown = containment.display_name(cls, name)
            base = {"kind": kind, "name": name, "display_name": shown, "enabled": bool(row and row.enabled)}
            try:  # the plugin's settings schema is plugin code: a broken one hides only its own form
                described = containment.call(
                    integrations.plugin_of(kind, name), f"{kind.replace('_', ' ')} {name}: settings schema",
                    lambda cls=cls, row=row: {"settings": integrations.public_view(row, cls.settings_schema),
                                              "fields": list(cls.settings_schema().fields),
                                              "secret_fields": sorted(integrations.secret_fields(cls.settings_schema)),
                                              **integrations.field_words(cls.settings_schema)},
                    display=shown, commune_code=code)
            except containment.PluginFailed as failure:
                described = {"settings": {}, "fields": [], "secret_fields": [], "labels": {}, "help": {},
                             "unavailable": failure.for_people}
            out.append({**base, **described})
    return out


@bp.get("/communes/<code>/integrations")
@operation("Integrations a commune may switch on, with their settings (secrets masked); staff only", auth=True)
def list_integrations(code: str):
    require(integrations.may_configure(require_user(), code))
    return jsonify({"items": overview(code)})


@bp.put("/communes/<code>/integrations/<kind>/<name>")
@operation("Switch an integration on or off for a commune and set its settings; staff only",
           body=IntegrationInputSchema, auth=True)
def configure_integration(code: str, kind: str, name: str):
    user = require_user()
    if not integrations.may_configure(user, code):  # the role first: nobody else learns what the body holds
        raise Forbidden(_("You are not allowed to do this."))
    cls = registry(kind).get(name)
    data = load(IntegrationInputSchema(), json_body())
    row = integrations.configure(session(), user, code, kind, name,
                                 cls.settings_schema if cls else None, data["enabled"], dict(data["settings"]),
                                 test_connection=data["test_connection"])
    return jsonify({"kind": kind, "name": name, "enabled": row.enabled,
                    "settings": integrations.public_view(row, cls.settings_schema)})
