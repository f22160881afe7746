"""Vietnamese is complete for every message in the code and templates, and the compiled catalog is fresh."""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
VI = ROOT / "core" / "translations" / "vi" / "LC_MESSAGES"


def test_every_message_has_a_vietnamese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot.open("rb")) if m.id}
    catalog = read_po((VI / "messages.po").open("rb"))
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and all(m.string) and not m.fuzzy}
    assert sorted(wanted - translated) == []


def test_the_compiled_catalog_matches_the_po_file():
    def entries(catalog):
        def key(value):
            return value if isinstance(value, str) else tuple(value)

        return {key(m.id): key(m.string) for m in catalog if m.id}

    po = entries(read_po((VI / "messages.po").open("rb")))
    mo = entries(read_mo((VI / "messages.mo").open("rb")))
    assert po == mo, "run: python scripts/i18n.py compile"


def test_amounts_and_times_follow_the_language(app):
    from datetime import UTC, datetime

    with app.test_request_context("/?lang=en"):
        assert app.jinja_env.filters["vnd"](1234567) == "1,234,567 ₫"
        # stored in UTC, shown in Vietnam time (UTC+7)
        assert "7:30" in app.jinja_env.filters["when"](datetime(2026, 1, 2, 0, 30, tzinfo=UTC))
    with app.test_request_context("/"):
        assert app.jinja_env.filters["vnd"](1234567) == "1.234.567 ₫"


def test_templates_follow_a_language_forced_inside_a_request(app):
    """Templates look their translations up once per request (core.i18n.current_translations); an e-mail
    written in its recipient's language inside someone else's request still gets that language, and the page
    after it the reader's own."""
    from flask import render_template_string
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with app.test_request_context("/"):
        assert _("Search") == "Tìm"
        page = "{{ _('Search') }} {{ ngettext('%(num)d product', '%(num)d products', 2) }} {{ ocop_badge(3) }}"
        assert render_template_string(page).startswith("Tìm 2 sản phẩm")
        with force_locale("en"):
            english = render_template_string(page)
            assert english.startswith("Search 2 products") and 'title="OCOP 3 stars"' in english
            assert app.jinja_env.filters["vnd"](1234567) == "1,234,567 ₫"
            assert _("Search") == "Search"
        assert render_template_string(page).startswith("Tìm 2 sản phẩm") and _("Search") == "Tìm"
        assert app.jinja_env.filters["vnd"](1234567) == "1.234.567 ₫"
