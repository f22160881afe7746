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
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
            "--no-location", "--omit-header", "--sort-output", "-o", str(POT), ".")
    pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


if __name__ == "__main__":
    {"extract": extract, "compile": compile_catalogs}[sys.argv[1] if len(sys.argv) > 1 else "compile"]()
