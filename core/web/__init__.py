"""Server-rendered pages: public catalog, sign-in, household and helper dashboards, account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, abort, send_from_directory
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
    from flask import abort
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


def register(app: Flask) -> None:
    from core.web import account, admin, auth, catalog, dashboard, helpers

    for module in (auth, catalog, dashboard, account, admin, helpers):
        app.register_blueprint(module.bp)
    from core.metrics import pages as metric_pages
    from core.orders import pages as order_pages
    from core.publishing import pages as connection_pages
    from payments import pages as payment_pages

    app.register_blueprint(payment_pages.bp)
    app.register_blueprint(order_pages.bp)
    app.register_blueprint(metric_pages.bp)
    app.register_blueprint(connection_pages.bp)

    @app.context_processor
    def _cart() -> dict[str, Any]:
        from core.orders import cart

        return {"cart_count": cart.count}

    @app.get("/uploads/<path:name>")
    def uploads(name: str):
        from core.services import images
        from core.storage import storage

        try:
            if name.endswith(".webp") and not storage().exists(name):
                images.variant_for(storage(), name)  # made once from the JPEG thumbnail, then served as a file
        except ValueError:  # a name that leaves the upload folder
            abort(404)
        response = send_from_directory(app.config["UPLOAD_DIR"], name, max_age=30 * 86400)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
