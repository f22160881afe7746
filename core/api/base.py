"""What every API route shares: the /api/v1 blueprint, bearer-token auth, loading and checking bodies, JSON
errors with field-level messages in the caller's language, pages of results."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import Select
from werkzeug.exceptions import HTTPException

from core.auth.current import api_user
from core.db import session
from core.errors import ChosoError, Invalid
from core.limits import refused_too_often
from core.models import User
from core.schemas import fast
from core.schemas.common import load_checked, page_meta
from core.services.communes import count

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(ChosoError):
    """A credential was missing or refused. ``counted_as`` names what a refused one tried to open (an address
    for a token, a source and commune for a webhook signature): past CHOSO_REFUSED_LIMIT refusals of the same
    key, further refusals answer 429. Nothing is counted or checked before the credential is, so a valid one
    is never stopped by others' failures."""

    status = 401

    def __init__(self, message: Any, *, counted_as: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.counted_as = counted_as


MAX_ADDRESS = 4096  # characters of path and query; gunicorn's own limit (gunicorn.conf.py) is above it


def error_response(status: int, message: str, fields: dict[str, Any] | None = None):
    body: dict[str, Any] = {"error": {"status": status, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="choso"'
    return response


@bp.errorhandler(Unauthorized)
def _refused(exc: Unauthorized):
    if exc.counted_as and refused_too_often(*exc.counted_as):
        response = error_response(429, _("Too many refused attempts; wait a minute and try again."))
        response.headers["Retry-After"] = "60"
        return response
    return error_response(401, str(exc.message))


@bp.errorhandler(ChosoError)
def _domain_error(exc: ChosoError):
    return error_response(exc.status, str(exc.message), exc.fields)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    messages = {
        400: _("The request is malformed."),
        404: _("Nothing here."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        414: _("The address is too long: send fewer or shorter query parameters."),
        429: _("Too many requests; wait a moment and try again."),
    }
    return error_response(exc.code or 500, messages.get(exc.code or 500, exc.description or ""))


def load(schema: Schema, data: Any, *, status_cls: type[ChosoError] = Invalid, **kw) -> dict[str, Any]:
    """Validate with a schema; errors become a field-level ChosoError in the caller's language."""
    if not isinstance(data, dict):
        raise ChosoError(_("Send a JSON object."))
    return load_checked(schema, data, status_cls=status_cls, **kw)


def json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise ChosoError(_("Send a JSON body with Content-Type: application/json."))
    return body


def query(schema: Schema) -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if k != "lang"}  # lang picks the language of errors
    return load(schema, args, status_cls=ChosoError)


def require_user() -> User:
    user = api_user()
    if user is None:
        presented = "Authorization" in request.headers
        raise Unauthorized(_("Sign in with an API token: Authorization: Bearer TOKEN."),
                           counted_as=("token", request.remote_addr or "") if presented else None)
    return user


def authenticated(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        require_user()
        return view(*args, **kwargs)

    return wrapper


def page(stmt: Select, schema: Schema, page_no: int, per_page: int, total: int | None = None):
    db = session()
    total = count(db, stmt) if total is None else total
    items = db.scalars(stmt.limit(per_page).offset((page_no - 1) * per_page)).unique().all()
    dump = schema.dump if (schema.only or schema.exclude) else fast.dumper(type(schema))
    return jsonify({"items": [dump(item) for item in items], "meta": page_meta(page_no, per_page, total)})
