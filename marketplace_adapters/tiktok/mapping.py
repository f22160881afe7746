"""How a choso product becomes a TikTok Shop product: limits, the category suggested from its OCOP group and
name, and the required attributes filled from the product."""

from __future__ import annotations

from typing import Any

from marketplace_adapters.common import best_category, fold, lineage
from plugins import Problem, ProductSnapshot

TITLE_MAX = 255
PRICE_MIN, PRICE_MAX = 1_000, 100_000_000
IMAGES_MAX = 9
FOOD_GROUPS = {"food", "beverage"}
GROUP_ROOTS = {"food": "thuc pham & do uong", "beverage": "thuc pham & do uong", "herbal": "suc khoe",
               "handicraft": "nha cua & doi song", "ornamental": "nha cua & doi song",
               "tourism": "nha cua & doi song"}
HINTS = {
    "gia vi & nuoc cham": "nuoc mam mam tuong ot muoi",
    "tra": "che shan tuyet olong",
    "mat ong": "mat ong",
    "dac san & do kho": "kho say gao nep banh keo mut ruoc nem cha dac san",
    "do uong": "ruou nuoc ep sua ca phe cafe bia",
    "thao duoc": "duoc lieu cao sam nam linh chi tinh dau",
    "thu cong & gom su": "gom su men binh may tre dan lat det tho cam son mai go",
    "cay canh & lam vuon": "cay canh bonsai lan hoa giong",
}
ATTRIBUTE_SOURCES = {"xuat xu": "origin", "han su dung": "shelf_life_days"}


def problems(product: ProductSnapshot) -> list[Problem]:
    found = []
    if not 1 <= len(product.name.strip()) <= TITLE_MAX:
        found.append(Problem("name", f"TikTok Shop cần tên từ 1 đến {TITLE_MAX} ký tự.", "title_length"))
    if not product.description.strip():
        found.append(Problem("description", "TikTok Shop cần mô tả sản phẩm.", "description_missing"))
    if not PRICE_MIN <= product.price_vnd <= PRICE_MAX:
        found.append(Problem("price_vnd", "TikTok Shop nhận giá từ 1.000 đến 100.000.000 đồng.", "price_range"))
    if not product.images:
        found.append(Problem("images", "TikTok Shop cần ít nhất một ảnh sản phẩm.", "image_missing"))
    if not product.net_weight_g:
        found.append(Problem("net_weight_g", "TikTok Shop cần khối lượng gói hàng.", "weight_missing"))
    if product.product_group in FOOD_GROUPS:
        if not product.origin.strip():
            found.append(Problem("origin", "TikTok Shop cần xuất xứ cho thực phẩm và đồ uống.", "origin_missing"))
        if not product.shelf_life_days:
            found.append(Problem("shelf_life_days", "TikTok Shop cần hạn sử dụng cho thực phẩm và đồ uống.",
                                 "shelf_life_missing"))
    return found


def suggest_category(categories: list[dict[str, Any]], product: ProductSnapshot) -> dict[str, Any] | None:
    leaves = [c for c in categories if c.get("is_leaf")]
    root_name = GROUP_ROOTS.get(product.product_group, "")
    candidates = [c for c in leaves if fold(_lineage(categories, c)[0].get("local_name", "")) == root_name] or leaves
    return best_category(candidates, f"{product.name} {product.description[:200]}",
                         lambda c: f"{c.get('local_name', '')} {HINTS.get(fold(c.get('local_name', '')), '')}")


def attributes(available: list[dict[str, Any]], product: ProductSnapshot) -> tuple[list[dict], list[Problem]]:
    out, missing = [], []
    for attribute in available:
        if attribute.get("type", "PRODUCT_PROPERTY") != "PRODUCT_PROPERTY":
            continue
        source = ATTRIBUTE_SOURCES.get(fold(attribute.get("name", "")))
        value = getattr(product, source, None) if source else None
        required = attribute.get("is_requried", attribute.get("is_required", False))  # sic, as TikTok writes it
        if value in (None, ""):
            if required:
                missing.append(Problem(source or "marketplace", f"TikTok Shop cần “{attribute.get('name')}” cho "
                                                                f"danh mục này.", "attribute_missing"))
            continue
        out.append({"id": attribute["id"], "values": [{"name": str(value)}]})
    return out, missing


def to_product(product: ProductSnapshot, *, category_id: str, image_uris: list[str], attribute_list: list[dict],
               warehouse_id: str, sku: str) -> dict[str, Any]:
    return {
        "title": product.name.strip(),
        "description": product.description,
        "category_id": category_id,
        "main_images": [{"uri": uri} for uri in image_uris[:IMAGES_MAX]],
        "product_attributes": attribute_list,
        "package_weight": {"value": f"{(product.net_weight_g or 0) / 1000:.3f}", "unit": "KILOGRAM"},
        "skus": [{"sales_attributes": [], "seller_sku": sku,
                  "price": {"amount": str(product.price_vnd), "currency": "VND"},
                  "inventory": [{"warehouse_id": warehouse_id, "quantity": max(0, product.stock)}]}],
    }


def path_of(categories: list[dict[str, Any]], category: dict[str, Any]) -> str:
    return " › ".join(c.get("local_name", "") for c in _lineage(categories, category))


def _lineage(categories: list[dict[str, Any]], category: dict[str, Any]) -> list[dict[str, Any]]:
    return lineage(categories, category, id_key="id", parent_key="parent_id")
