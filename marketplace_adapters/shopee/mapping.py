"""How a choso product becomes a Shopee item: limits, the category suggested from its OCOP group and name, and
the mandatory attributes filled from the product."""

from __future__ import annotations

from typing import Any

from marketplace_adapters.common import best_category, fold, lineage
from plugins import Problem, ProductSnapshot

NAME_MIN, NAME_MAX = 10, 120
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 3000
PRICE_MIN, PRICE_MAX = 1_000, 120_000_000
IMAGES_MAX = 9
FOOD_GROUPS = {"food", "beverage"}  # Shopee's food categories ask for origin and shelf life

# Where each OCOP group's items live in Shopee's tree (by the top category's English name), and words that
# point at one leaf more than another. Matching is accent- and case-insensitive, on the leaf's Vietnamese and
# English names and on these hints.
GROUP_ROOTS = {"food": "food & beverages", "beverage": "food & beverages", "herbal": "health",
               "handicraft": "home & living", "ornamental": "home & living", "tourism": "home & living"}
HINTS = {
    "sauces & condiments": "nuoc mam mam tuong gia vi tuong ot muoi dau an",
    "tea": "tra che shan tuyet olong",
    "honey & syrups": "mat ong",
    "dried food & specialties": "kho say gao nep banh keo mut ruoc nem cha dac san",
    "beverages": "ruou nuoc ep sua ca phe cafe bia",
    "herbal supplements": "duoc lieu thao duoc cao sam nam linh chi tinh dau",
    "handicrafts & pottery": "gom su men binh may tre dan lat det tho cam son mai go",
    "plants & gardening": "cay canh bonsai lan hoa giong",
}
# Shopee attributes filled from the product, by the attribute's English name.
ATTRIBUTE_SOURCES = {"country of origin": "origin", "shelf life": "shelf_life_days"}


def problems(product: ProductSnapshot) -> list[Problem]:
    found = []
    if not NAME_MIN <= len(product.name.strip()) <= NAME_MAX:
        found.append(Problem("name", f"Shopee cần tên từ {NAME_MIN} đến {NAME_MAX} ký tự.", "item_name_length"))
    if not DESCRIPTION_MIN <= len(product.description) <= DESCRIPTION_MAX:
        found.append(Problem("description", f"Shopee cần mô tả từ {DESCRIPTION_MIN} đến {DESCRIPTION_MAX} ký tự.",
                             "description_length"))
    if not PRICE_MIN <= product.price_vnd <= PRICE_MAX:
        found.append(Problem("price_vnd", "Shopee nhận giá từ 1.000 đến 120.000.000 đồng.", "price_range"))
    if not product.images:
        found.append(Problem("images", "Shopee cần ít nhất một ảnh sản phẩm.", "image_missing"))
    if not product.net_weight_g:
        found.append(Problem("net_weight_g", "Shopee cần khối lượng (gam) để tính phí giao hàng.", "weight_missing"))
    if product.product_group in FOOD_GROUPS:
        if not product.origin.strip():
            found.append(Problem("origin", "Shopee cần xuất xứ cho thực phẩm và đồ uống.", "origin_missing"))
        if not product.shelf_life_days:
            found.append(Problem("shelf_life_days", "Shopee cần hạn sử dụng (số ngày) cho thực phẩm và đồ uống.",
                                 "shelf_life_missing"))
    return found


def suggest_category(categories: list[dict[str, Any]], product: ProductSnapshot) -> dict[str, Any] | None:
    """The leaf category that fits the product best: under its OCOP group's top category, the leaf whose names
    and hints share most words with the product's name (the first leaf there when none do)."""
    leaves = [c for c in categories if not c.get("has_children")]
    root_name = GROUP_ROOTS.get(product.product_group, "")
    candidates = [c for c in leaves if fold(_lineage(categories, c)[0].get("original_category_name", ""))
                  == root_name] or leaves

    def words(category: dict[str, Any]) -> str:
        english = fold(category.get("original_category_name", ""))
        return f"{category.get('display_category_name', '')} {english} {HINTS.get(english, '')}"

    return best_category(candidates, f"{product.name} {product.description[:200]}", words)


def attributes(required: list[dict[str, Any]], product: ProductSnapshot) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Shopee's attribute_list for the category, filled from the product, and what the product lacks."""
    out, missing = [], []
    for attribute in required:
        source = ATTRIBUTE_SOURCES.get(fold(attribute.get("original_attribute_name", "")))
        value = getattr(product, source, None) if source else None
        if value in (None, ""):
            if attribute.get("is_mandatory"):
                shown = attribute.get("display_attribute_name") or attribute.get("original_attribute_name")
                missing.append(Problem(source or "marketplace", f"Shopee cần “{shown}” cho danh mục này.",
                                       "attribute_missing"))
            continue
        out.append({"attribute_id": attribute["attribute_id"],
                    "attribute_value_list": [{"value_id": 0, "original_value_name": str(value)}]})
    return out, missing


def to_item(product: ProductSnapshot, *, category_id: int, image_ids: list[str], attribute_list: list[dict],
            channels: list[dict], sku: str) -> dict[str, Any]:
    return {
        "item_name": product.name.strip(),
        "description": product.description,
        "original_price": product.price_vnd,
        "seller_stock": [{"stock": max(0, product.stock)}],
        "weight": round((product.net_weight_g or 0) / 1000, 3),
        "category_id": category_id,
        "image": {"image_id_list": image_ids[:IMAGES_MAX]},
        "attribute_list": attribute_list,
        "logistic_info": [{"logistic_id": c["logistics_channel_id"], "enabled": True} for c in channels
                          if c.get("enabled")],
        "brand": {"brand_id": 0, "original_brand_name": "NoBrand"},
        "condition": "NEW",
        "item_status": "NORMAL",
        "item_sku": sku,
    }


def path_of(categories: list[dict[str, Any]], category: dict[str, Any]) -> str:
    """"Thực phẩm và đồ uống › Mật ong": the category's place in the tree, in the buyers' language."""
    return " › ".join(c.get("display_category_name") or c.get("original_category_name", "")
                      for c in _lineage(categories, category))


def _lineage(categories: list[dict[str, Any]], category: dict[str, Any]) -> list[dict[str, Any]]:
    return lineage(categories, category, id_key="category_id", parent_key="parent_category_id")
