"""Bill reference codes that survive being typed into, or mangled by, a banking app.

`X0J7` + 7 random symbols + 1 check symbol, in Crockford's base-32 alphabet (no I, L, O, U: nothing to
misread). The prefix is fixed per commune (its official code in base 32), so a reference never matches a
bill of another commune. Banking apps add text, drop spaces, change case and cut the content; `find`
normalises all that away, and the check symbol (Luhn mod 32) rejects a code with one symbol wrong or two
swapped (all but "0Z"/"Z0", the one swap Luhn mod N cannot see, as Luhn mod 10 cannot see 09/90).
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
BODY = 7  # 32**7 ≈ 3.4e10 codes per commune; new bills still check theirs is unused
LENGTH = 4 + BODY + 1


def _base32(number: int, width: int) -> str:
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 32)
        out = ALPHABET[digit] + out
    return out


def prefix(commune_code: str) -> str:
    return "X" + _base32(int(commune_code), 3)


def check_symbol(code: str) -> str:
    """Luhn mod 32 over the code's symbols."""
    total, factor = 0, 2
    for ch in reversed(code):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_reference(commune_code: str) -> str:
    body = prefix(commune_code) + "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return body + check_symbol(body)


def is_valid(reference: str) -> bool:
    return (len(reference) == LENGTH and all(ch in _VALUE for ch in reference)
            and check_symbol(reference[:-1]) == reference[-1])


def grouped(reference: str) -> str:
    """'X0J7KM3PQR5T' -> 'X0J7 KM3P QR5T': groups of four to read out and type; `find` ignores the spaces."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))


def normalise(content: str) -> str:
    """Upper case, nothing but letters and digits, the usual misreadings repaired."""
    return _NOT_ALNUM.sub("", content.upper()).translate(_MISREAD)


@lru_cache(maxsize=4096)
def _head(commune_code: str) -> tuple[str, re.Pattern]:
    head = prefix(commune_code)
    return head, re.compile(re.escape(head))


def find(content: str, commune_code: str) -> tuple[list[str], list[str]]:
    """(whole references found in a transfer text, cut-off fragments of at least 4 symbols after the prefix)."""
    text = normalise(content)
    head, pattern = _head(commune_code)
    whole, fragments = [], []
    for match in pattern.finditer(text):
        tail = text[match.end():match.end() + BODY + 1]
        candidate = head + tail
        if len(tail) == BODY + 1 and is_valid(candidate):
            whole.append(candidate)
        elif len(tail) >= 4 and match.end() + len(tail) == len(text):
            fragments.append(head + tail[:BODY])  # the banking app cut the text inside the code
    return whole, fragments
