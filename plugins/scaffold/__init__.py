"""`choso plugins new NAME --kind KIND`: a working plugin package to start from.

The files are templates (string.Template: $name, $display, $package, $Class, $sdk) next to this module. What is
generated passes its own tests as generated — the contract kit against its own sandbox for a marketplace —
and tests/plugins/test_scaffold.py proves it for every kind.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from plugins.sdk import SDK_VERSION

KINDS = ("marketplace", "source", "provider", "metric")
NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
HERE = Path(__file__).resolve().parent


def generate(name: str, kind: str, where: Path) -> Path:
    """Write package `choso-<name>` under `where`; returns its folder. Raises ValueError with a reason."""
    if kind not in KINDS:
        raise ValueError(f"--kind must be one of {', '.join(KINDS)}")
    if not NAME.match(name):
        raise ValueError("NAME is lower-case letters, digits and '_' (2 to 40, starting with a letter), "
                         "e.g. lotusfarm")
    root = where / f"choso-{name.replace('_', '-')}"
    if root.exists():
        raise ValueError(f"{root} exists already; choose another NAME or folder")
    package = f"choso_{name}"
    words = {"name": name, "display": name.replace("_", " ").title(), "package": package,
             "Class": "".join(part.title() for part in name.split("_")), "sdk": SDK_VERSION,
             "kind": kind}
    for folder in (HERE / "common", HERE / kind):
        for source in sorted(folder.rglob("*.tmpl")):
            relative = source.relative_to(folder).as_posix().replace("PACKAGE", package).removesuffix(".tmpl")
            _write(root / relative, Template(source.read_text()).substitute(words))
    return root


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
