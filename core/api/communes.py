"""Communes, banks and the caller's own account."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from core.api.base import bp, page, query, require_user
from core.api.spec import operation
from core.db import session
from core.errors import NotFound
from core.models import Commune
from core.schemas.communes import CommuneQuerySchema, CommuneSchema
from core.services.communes import commune_query
from payments.vietqr.banks import find_banks


@bp.get("/communes")
@operation("List communes; search by name ignoring accents, or by official code", query=CommuneQuerySchema,
           response=CommuneSchema, many=True)
def list_communes():
    args = query(CommuneQuerySchema())
    return page(commune_query(args["q"], args["province"]), CommuneSchema(), args["page"], args["per_page"])


@bp.get("/communes/<code>")
@operation("One commune by its official code", response=CommuneSchema)
def get_commune(code: str):
    commune = session().get(Commune, code.zfill(5)) if code.isdigit() else None
    if commune is None:
        raise NotFound(_("No commune has the code %(code)s.", code=code))
    return jsonify(CommuneSchema().dump(commune))


@bp.get("/banks")
@operation("NAPAS member banks with their BIN; ?q= filters by name, code or BIN")
def list_banks():
    return jsonify({"items": find_banks(request.args.get("q", ""))})


@bp.get("/me")
@operation("The account behind the token, with its roles", auth=True)
def me():
    user = require_user()
    return jsonify({"id": user.id, "name": user.name, "phone": user.phone, "email": user.email,
                    "roles": [{"commune_code": m.commune_code, "role": m.role} for m in user.memberships]})
