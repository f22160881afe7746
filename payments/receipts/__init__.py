"""Receipts (biên lai): numbered per commune and year without gaps, never changed once issued."""

from flask_babel import lazy_gettext as _l

METHOD_LABELS = {"vietqr": _l("Bank transfer (VietQR)"), "card": _l("Card"), "stripe": _l("Card"), "cash": _l("Cash")}


def method_label(method: str) -> str:
    """Built-in methods by name; a plugin's payment provider by its own verbose name."""
    if method in METHOD_LABELS:
        return str(METHOD_LABELS[method])
    from core.events import plugins

    cls = plugins().payment_providers.get(method)
    return str(cls.verbose_name) if cls is not None else method
