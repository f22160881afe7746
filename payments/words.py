"""Amounts in Vietnamese words, as receipts write them: 150000 -> "Một trăm năm mươi nghìn đồng"."""

from __future__ import annotations

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
GROUPS = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _three(n: int, full: bool) -> str:
    """0-999; `full` when a higher group precedes (so 5 reads "không trăm linh năm")."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and (full or hundreds):
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens > 1:
            words.append("mốt")
        elif units == 5 and tens > 0:
            words.append("lăm")
        elif units == 4 and tens > 1:
            words.append("tư")
        else:
            words.append(DIGITS[units])
    return " ".join(words)


def number_words(n: int) -> str:
    if n == 0:
        return "không"
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words = []
    for i in range(len(groups) - 1, -1, -1):
        if groups[i] == 0:
            continue
        words.append(_three(groups[i], full=i < len(groups) - 1))
        if GROUPS[i]:
            words.append(GROUPS[i])
    return " ".join(words)


def amount_in_words(amount_vnd: int) -> str:
    if amount_vnd < 0:
        raise ValueError("an amount of money is not negative")
    text = number_words(amount_vnd) + " đồng"
    return text[0].upper() + text[1:]
