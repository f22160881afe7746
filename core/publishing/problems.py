"""Marketplace problems turned into words a household understands, in its own language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plugins.sdk import Problem

# choso's own field names, as the seller knows them from the product form.
FIELD_LABELS = {
    "name": _l("Product name"),
    "description": _l("Description"),
    "price_vnd": _l("Price (đồng)"),
    "stock": _l("In stock"),
    "images": _l("Photos"),
    "net_weight_g": _l("Net weight (grams)"),
    "product_group": _l("Product group (OCOP)"),
    "unit": _l("Unit (box, kg, bottle…)"),
    "origin": _l("Origin"),
    "ocop_stars": _l("OCOP stars"),
    "marketplace": _l("Marketplace"),
    "settings": _l("Marketplace settings"),
}


def explain(problem: Problem) -> dict[str, Any]:
    """What is stored on the listing: the field, the marketplace's message, and its code if any."""
    return {"field": problem.field, "message": problem.message, "code": problem.code}


def describe(problem: dict[str, Any]) -> str:
    """“Photos: Chợ Quê cần ít nhất một ảnh sản phẩm.” — label in the reader's language, then the message."""
    label = FIELD_LABELS.get(problem.get("field", ""))
    return _("%(field)s: %(message)s", field=label, message=problem.get("message", "")) if label else str(
        problem.get("message", ""))
