"""The application factory. It reads like a table of contents: config, data, languages, auth, pages, API."""

from __future__ import annotations

import secrets
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from core import catalog_cache, containment, db, i18n, labels, limits, observability, plugin_setup, storage
from core import config as config_module
from core.auth import current as auth_current
from core.extensions import csrf, limiter
from core.jobs import backends
from core.schemas.common import MAX_ID


def template_folder() -> Path:
    """templates/ at the top of the tree; installed, the same folder ships as `choso_templates`."""
    tree = Path(__file__).resolve().parent.parent / "templates"
    if tree.is_dir():
        return tree
    spec = find_spec("choso_templates")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("choso's templates are missing: reinstall choso")
    return Path(next(iter(spec.submodule_search_locations)))


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route, pages and API alike: a number beyond what a database id can be (MAX_ID) is
    read as 0, an id no row has, so the view answers as for any missing row ("not found", after its role
    check) instead of failing in the database (PostgreSQL refuses it as out of range, SQLite cannot even bind
    one beyond 64 bits)."""

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        return number if number <= MAX_ID else 0


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the environment; tests pass a complete mapping."""
    settings = {} if config and "SECRET_KEY" in config else config_module.from_environment()
    settings.update(config or {})
    folder = template_folder()
    app = Flask("choso", template_folder=str(folder), static_folder=str(folder / "static"),
                instance_path=settings["INSTANCE_PATH"])
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = RowIdConverter

    containment.init_app(app)  # before the database: its teardown runs after the session closed
    db.init_app(app)
    backends.init_app(app)
    catalog_cache.init_app(app)
    storage.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    auth_current.init_app(app)
    limits.init_forms(app)  # before CSRF, which reads the form
    csrf.init_app(app)
    limiter.init_app(app)
    limits.init_app(app)
    observability.init_app(app)
    plugin_setup.init_app(app)

    from core import api, web

    web.register(app)
    api.register(app)
    csrf.exempt(api.bp)  # the API authenticates by bearer token only, never by cookie

    _security_headers(app)
    _error_pages(app)
    _template_globals(app)
    return app


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("HSTS_SECONDS"):  # only once the install is known to be served over HTTPS
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        return response


def _error_pages(app: Flask) -> None:
    def page(code: int, message: str):
        if request.path.startswith("/api/"):
            from core.api.base import error_response

            return error_response(code, message)
        return render_template("error.html", code=code, message=message), code

    app.register_error_handler(404, lambda e: page(404, _("This page does not exist.")))
    app.register_error_handler(403, lambda e: page(403, _("You are not allowed to see this page.")))
    app.register_error_handler(413, lambda e: page(413, _(
        "The file is larger than choso accepts (photos up to %(limit)s MB). Go back: on most phones what you "
        "typed is still in the form; choose a smaller photo.",
        limit=(app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20)))
    app.register_error_handler(429, lambda e: page(429, _("Too many attempts; wait a minute and try again.")))
    app.register_error_handler(
        400, lambda e: page(400, _("The form expired or was sent twice; reload the page and try again.")))
    # A plugin that failed where nobody caught it: its sentence, never a traceback (recorded for staff)
    app.register_error_handler(containment.PluginFailed, lambda e: page(503, e.for_people))


def _template_globals(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, get_locale

    from core.auth.current import page_user
    from core.publishing.problems import describe
    from core.snapshots import public_url
    from core.web.cards import catalog_cards, ocop_badge

    app.jinja_env.globals.update(locale=lambda: str(get_locale()), viewer=page_user, describe_problem=describe,
                                 public_url=public_url, catalog_cards=catalog_cards, ocop_badge=ocop_badge,
                                 # a form that moves money carries a key of its own: sent twice, it acts once
                                 new_key=lambda: secrets.token_urlsafe(16))
    app.jinja_env.filters["when"] = lambda value: format_datetime(value, "short") if value else ""
    # 28/11/2026 as Vietnamese forms write it (Babel's short form drops the century); "Nov 28, 2026" in English
    app.jinja_env.filters["day"] = lambda value: format_date(value, "dd/MM/yyyy" if str(get_locale()) == "vi"
                                                             else "medium")
