"""Frozen snapshots handed to plugins: they never see ORM objects or sessions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from flask import current_app

from core.models import Product
from plugins.sdk import ImageRef, ProductSnapshot


def public_url(path: str) -> str:
    return current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/") + path


def product_snapshot(product: Product) -> ProductSnapshot:
    images = tuple(ImageRef(public_url(f"/uploads/{i.path}"), i.width, i.height, i.bytes) for i in product.images)
    fields = {
        "id": product.id, "household_id": product.household_id, "shop_name": product.household.name,
        "commune_code": product.commune_code, "name": product.name, "description": product.description or "",
        "product_group": product.product_group, "price_vnd": int(product.price_vnd), "stock": int(product.stock),
        "unit": product.unit or "", "net_weight_g": product.net_weight_g, "origin": product.origin or "",
        "ocop_stars": product.ocop_stars, "ocop_certificate_no": product.ocop_certificate_no,
        "shelf_life_days": product.shelf_life_days, "season": product.season or "", "sku": product.sku,
        "status": product.status, "images": images,
    }
    snapshot = ProductSnapshot(**fields)
    return ProductSnapshot(**fields, version=content_version(snapshot))


def content_version(snapshot: ProductSnapshot) -> str:
    """A short hash of everything a marketplace is sent; equal hashes mean nothing to update."""
    data = asdict(snapshot)
    data.pop("version", None)
    data.pop("status", None)
    if data.get("category") is None:  # (SDK 1.6) absent unless chosen: hashes from before stay the same
        data.pop("category", None)
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]
