"""The figures in the API: one commune, or every commune of a province, for a month."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import fields, validate

from core.api.base import bp, json_body, load, require_user
from core.api.spec import operation
from core.auth import policy
from core.db import session
from core.errors import Forbidden, NotFound
from core.metrics import services
from core.models import Commune
from core.schemas.common import BaseSchema


class MetricsQuerySchema(BaseSchema):
    commune = fields.String(validate=validate.Regexp(r"^\d{5}$"), metadata={
        "description": "a commune's official code (neither this nor `province`: the communes the caller is staff "
                       "of, else 403). A commune choso does not serve is 404; one whose figures the caller may "
                       "not see, 403"})
    province = fields.String(validate=validate.Regexp(r"^\d{2}$"), metadata={
        "description": "a province's code, for every commune of it; province staff and admins only (else 403)"})
    month = fields.String(validate=validate.Regexp(r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"))


class FigureSchema(BaseSchema):
    id = fields.String()
    value = fields.Float(allow_none=True)
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True)
    breakdown = fields.Dict(keys=fields.String(), values=fields.Integer())
    target = fields.Float(allow_none=True)
    level = fields.String()


class MetricsSchema(BaseSchema):
    month = fields.String()
    communes = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                    values=fields.Nested(FigureSchema)))


class TargetSchema(BaseSchema):
    target = fields.Float(required=True, validate=validate.Range(min=0))
    near = fields.Float(load_default=None, validate=validate.Range(min=0), metadata={
        "description": "the level read as 'near the target': below target (else 422)"})


def visible_communes(code: str | None, province: str | None) -> list[str]:
    """The communes the caller asked for and may see; refuses the rest."""
    user = require_user()
    db = session()
    if code:
        commune = db.get(Commune, code)
        if commune is None:
            raise NotFound(_("No commune has the code %(code)s.", code=code))
        if not policy.can_view_figures(user, code, commune.province_code):
            raise Forbidden(_("You are not allowed to do this."))
        return [code]
    if province:
        if not policy.can_view_province(user, province):
            raise Forbidden(_("You are not allowed to do this."))
        return services.communes_with_households(db, province)
    mine = sorted(user.communes_with("staff")) if user else []
    if mine:  # neither named: the communes the caller works for
        return mine
    raise Forbidden(_("Name a commune or a province whose figures you may see."))


@bp.get("/metrics")
@operation("Digital-economy indicators of a commune (?commune=) or of every commune of a province (?province=) "
           "for a month (?month=YYYY-MM, default this month): value, numerator, denominator, target, level",
           query=MetricsQuerySchema, response=MetricsSchema, auth=True)
def metrics():
    args = load(MetricsQuerySchema(), request.args.to_dict())
    month = services.parse_month(args.get("month"))
    codes = visible_communes(args.get("commune"), args.get("province"))
    result = services.figures(session(), codes, month)
    return jsonify({"month": month, "communes": {code: {fid: FigureSchema().dump(fig) for fid, fig in figs.items()}
                                                 for code, figs in result.items()}})


@bp.put("/communes/<code>/metric-targets/<indicator_id>")
@operation("Set a commune's target for an indicator (a share in [0, 1], a count or đồng) and the 'near' level",
           body=TargetSchema, auth=True)
def set_target(code: str, indicator_id: str):
    user = require_user()
    if not policy.is_commune_staff(user, code):
        raise Forbidden(_("You are not allowed to do this."))
    metric = services.indicator(indicator_id)
    if metric is None:
        raise NotFound(_("Nothing here."))
    data = load(TargetSchema(), json_body())
    row = services.set_target(session(), user, code, metric, data["target"], data["near"])
    return jsonify({"indicator": indicator_id, "target": row.target, "near": row.near})
