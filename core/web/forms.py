"""What every page form shares: reading a form through a schema, errors in the reader's words, and the check
that a staff page belongs to a commune the reader works for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from marshmallow import Schema, ValidationError

from core.i18n import translate_errors


def form_data(schema: Schema, form, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields the schema knows; blank optional fields become None (if nullable) or are left out."""
    data: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        if name not in form:
            continue
        value = form.get(name, "").strip()
        if value == "" and not field.required:
            if name in nullable or field.allow_none:
                data[name] = None
            continue
        data[name] = value
    return data


def staff_commune(code: str, allowed: Callable[[Any, str], bool]):
    """The commune of a staff page: 404 when there is none, 403 when `allowed(user, code)` says no."""
    from flask_login import current_user

    from core.db import session
    from core.models import Commune

    commune = session().get(Commune, code)
    if commune is None:
        abort(404)
    if not allowed(current_user, code):
        abort(403)
    return commune


def validate(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    try:
        return schema.load(data), {}
    except ValidationError as err:
        return None, translate_errors(err.messages)
