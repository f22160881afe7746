"""NAPAS member banks with their BIN (the acquirer id in a VietQR), short name, full name and SWIFT code.

The data in banks.json was checked against the bank list shipped by the `vietnam-qr-pay` package; banks
renamed after mergers keep their old names under `former_names` so look-ups by either name work.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from core.text import fold


@cache
def all_banks() -> tuple[dict[str, Any], ...]:
    data = json.loads(files(__package__).joinpath("banks.json").read_text(encoding="utf-8"))
    return tuple(sorted(data, key=lambda b: b["short_name"].lower()))


def bank_by_bin(bin_: str | None) -> dict[str, Any] | None:
    return next((b for b in all_banks() if b["bin"] == bin_), None)


def find_banks(query: str) -> list[dict[str, Any]]:
    """Banks whose BIN, code, short, full or former name matches `query`, accents ignored."""
    q = fold(query)
    if not q:
        return list(all_banks())
    found = []
    for b in all_banks():
        names = [b["bin"], b["code"], b["short_name"], b["name"], *b.get("former_names", [])]
        if any(q in fold(n) for n in names):
            found.append(b)
    return found
