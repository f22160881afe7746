"""Languages: Vietnamese by default, English complete. Message ids are English; vi is a full catalog."""

from __future__ import annotations

from pathlib import Path

from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LOCALES = ("vi", "en")
LANG_COOKIE = "choso_lang"
TRANSLATIONS = Path(__file__).parent / "translations"

# marshmallow's own messages, listed here so the catalog carries their Vietnamese form.
LIBRARY_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Unknown field."),
    _l("Not a valid integer."),
    _l("Not a valid string."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid email address."),
    _l("Invalid input type."),
    _l("Not a valid number."),
    _l("Invalid value."),
)


def select_locale() -> str:
    if not has_request_context():  # jobs and commands: the install's default language
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LOCALES:
        return user_locale
    return g.get("default_locale") or "vi"


def translate_errors(errors):
    """Translate a marshmallow error tree; every field maps to a list of messages in the user's language.

    The library's own messages are English strings (translated here); ours are lazy strings, which
    marshmallow stores without wrapping them in a list.
    """
    if isinstance(errors, dict):
        return {key: translate_errors(value if isinstance(value, dict | list) else [value])
                for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(e) for e in errors]
    return _(errors) if isinstance(errors, str) else str(errors)


def money(amount: int | None) -> str:
    """150000 -> '150.000 ₫' in Vietnamese, '150,000 ₫' in English; money is whole đồng."""
    if amount is None:
        return ""
    return f"{format_decimal(int(amount), locale=str(get_locale() or 'vi'))} ₫"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters["vnd"] = money

    @app.before_request
    def _remember_default() -> None:
        g.default_locale = app.config.get("BABEL_DEFAULT_LOCALE", "vi")

    @app.after_request
    def _persist_choice(response):
        chosen = request.args.get("lang")
        if chosen in LOCALES and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response
