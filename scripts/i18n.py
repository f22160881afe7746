"""Keep the translation catalogs in step with the code.

    python scripts/i18n.py extract   # templates and code -> core/translations/messages.pot, merged into vi
    python scripts/i18n.py compile   # .po -> .mo (the .mo files are committed; a test checks they are fresh)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "core" / "translations"
POT = TRANSLATIONS / "messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def extract() -> None:
    """Collect the messages, merge them into each catalog, and list what still needs a translation."""
    from babel.messages.pofile import read_po, write_po

    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
            "-k", "lazy_pgettext:1c,2", "--no-location", "--omit-header", "--sort-output", "-o", str(POT), ".")
    pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        locale = po.parent.parent.name
        catalog = read_po(po.open("rb"), locale=locale)
        catalog.fuzzy = False
        for message in catalog:
            if message.id and not isinstance(message.id, str):  # keep as many plural forms as the language has
                message.string = tuple(message.string)[: catalog.num_plurals]
        with po.open("wb") as fh:
            write_po(fh, catalog, no_location=True, sort_output=True)
        todo = [m.id for m in catalog if m.id and (not m.string or not all(
            [m.string] if isinstance(m.string, str) else m.string))]
        print(f"{locale}: {len(todo)} messages to translate", *todo, sep="\n  ")


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


if __name__ == "__main__":
    {"extract": extract, "compile": compile_catalogs}[sys.argv[1] if len(sys.argv) > 1 else "compile"]()
