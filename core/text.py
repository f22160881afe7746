"""Vietnamese text helpers: accent folding for search, slugs, phone numbers."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII form used for search: "Nước mắm Đại" -> "nuoc mam dai"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def slugify(text: str, max_length: int = 80) -> str:
    slug = _NON_WORD.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def search_terms(query: str) -> list[str]:
    """Terms of a free-text query, folded; at most 8 so a pasted paragraph stays cheap."""
    return [t for t in _NON_WORD.split(fold(query)) if t][:8]


_PHONE = re.compile(r"^(?:\+?84|0)(\d{9})$")


def normalize_phone(raw: str) -> str | None:
    """Vietnamese phone in its national form 0xxxxxxxxx, or None when it is not one."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    m = _PHONE.match(digits)
    return "0" + m.group(1) if m else None


def fold_ascii(text: str) -> str:
    """Diacritics removed, case kept: "Học phí tháng 11" -> "Hoc phi thang 11" (for bank transfer texts)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def account_digits(number: str | None) -> str:
    """A bank account number as banks mean it: "0011 0045.67890" -> "0011004567890"."""
    return "".join(ch for ch in (number or "") if ch.isalnum()).upper()


def same_account(received: str | None, expected: str | None) -> bool:
    """Whether the account a bank says the money reached is `expected` (an unknown account never is)."""
    return bool(account_digits(received)) and account_digits(received) == account_digits(expected)
