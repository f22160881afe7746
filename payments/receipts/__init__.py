"""Receipts (biên lai): numbered per commune and year without gaps, never changed once issued."""

from flask_babel import lazy_gettext as _l

METHOD_LABELS = {"vietqr": _l("Bank transfer (VietQR)"), "card": _l("Card"), "cash": _l("Cash")}


def method_label(method: str) -> str:
    return str(METHOD_LABELS.get(method, method))
