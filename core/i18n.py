"""Languages: Vietnamese by default, English complete. Message ids are English; vi is a full catalog."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, Domain, get_domain, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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
    _l("Not a valid utf-8 string."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid email address."),
    _l("Not a valid URL."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Invalid input type."),
    _l("Invalid input."),
    _l("Invalid type."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("String does not match expected pattern."),
    _l("Invalid value."),
)
# ... and the ones its validators fill with figures: the English pattern, and our message with the same figures.
_N = r"(-?[\d.]+)"
LIBRARY_PATTERNS = (
    (re.compile(rf"^Must be greater than or equal to {_N} and less than or equal to {_N}\.$"),
     _l("Must be between %(a)s and %(b)s.")),
    (re.compile(rf"^Must be greater than or equal to {_N}\.$"), _l("Must be at least %(a)s.")),
    (re.compile(rf"^Must be less than or equal to {_N}\.$"), _l("Must be at most %(a)s.")),
    (re.compile(rf"^Must be greater than {_N}\.$"), _l("Must be more than %(a)s.")),
    (re.compile(rf"^Must be less than {_N}\.$"), _l("Must be less than %(a)s.")),
    (re.compile(rf"^Length must be between {_N} and {_N}\.$"), _l("Must be %(a)s to %(b)s characters long.")),
    (re.compile(rf"^Shorter than minimum length {_N}\.$"), _l("Must be at least %(a)s characters long.")),
    (re.compile(rf"^Longer than maximum length {_N}\.$"), _l("Must be at most %(a)s characters long.")),
    (re.compile(rf"^Length must be {_N}\.$"), _l("Must be exactly %(a)s characters long.")),
    (re.compile(r"^Must be one of: (.*)\.$"), _l("Must be one of: %(a)s.")),
)


def library_message(text: str) -> str:
    """One of marshmallow's English messages in the user's language (ours pass through unchanged)."""
    for pattern, message in LIBRARY_PATTERNS:
        found = pattern.match(text)
        if found:
            figures = found.groups()
            return str(message) % {"a": figures[0], "b": figures[-1]}
    return _(text)


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
    return library_message(errors) if isinstance(errors, str) else str(errors)


def money(amount: int | None, separator: str | None = None) -> str:
    """150000 -> '150.000 ₫' in Vietnamese, '150,000 ₫' in English; money is whole đồng. `separator`: the
    language's, found once by a caller that prints many (`grouping()`)."""
    if amount is None:
        return ""
    # Whole numbers need only the language's grouping symbol; babel's full number formatting parses its
    # pattern on every call, and a catalog page prints dozens of prices.
    return f"{int(amount):,} ₫".replace(",", separator or grouping())


def grouping() -> str:
    """The current language's thousands separator ("." in Vietnamese, "," in English)."""
    return _group_symbol(_locale_code())


def _babel_state():
    # flask-babel's per-request state, read through one context-local look-up (None outside a request/app)
    try:
        return g.get("_flask_babel")
    except RuntimeError:
        return None


def _per_language(name: str, find):
    """`find()`, kept beside flask-babel's request state under `name` while the language stays the same
    (keyed by its locale object, so `force_locale` switches and switches back)."""
    state = _babel_state()
    kept = getattr(state, name, None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    value = find()
    state = _babel_state()  # finding it may have chosen the language, and made the state
    if state is not None and getattr(state, "babel_locale", None) is not None:
        setattr(state, name, (state.babel_locale, value))
    return value


def _locale_code() -> str:
    # flask-babel's get_locale walks the same context-local reads as its gettext
    return _per_language("choso_locale_code", lambda: str(get_locale() or "vi"))


@lru_cache(maxsize=16)
def _group_symbol(locale: str) -> str:
    return format_decimal(1000, locale=locale)[1]


class RequestDomain(Domain):
    """flask-babel's message domain, finding the translations once per request and language.

    flask-babel looks them up through half a dozen context-local reads on every call (about 10 µs), and a
    page translates dozens of strings. They are kept beside flask-babel's own request state, keyed by its
    locale object, so `force_locale` (e-mails in the recipient's language) switches and switches back."""

    def get_translations(self):
        return _per_language("choso_translations", super().get_translations)


def current_translations():
    """The translations of the current request's language (or the install's default outside requests)."""
    return get_domain().get_translations()


def init_app(app: Flask) -> None:
    babel = Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    domain = babel.domain_instance = RequestDomain()  # the "messages" domain, as flask-babel's own
    # templates ask the domain directly: flask-babel's own callables first look the domain up per string
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        # as Jinja's newstyle gettext (always a format string), without its alias-then-wrapper pair of calls
        translated = domain.get_translations().ugettext(string)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables  # noqa: S704 (our catalog)

    app.jinja_env.globals.update(_=gettext, gettext=gettext)
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
