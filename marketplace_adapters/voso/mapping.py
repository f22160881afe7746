"""How a choso product becomes a Voso listing, and Voso's limits."""

from __future__ import annotations

from plugins import Problem, ProductSnapshot

CATEGORY_PATHS = {
    "food": "thuc-pham/dac-san", "beverage": "do-uong/dac-san", "herbal": "suc-khoe/duoc-lieu",
    "handicraft": "nha-cua/thu-cong-my-nghe", "ornamental": "cay-canh/sinh-vat-canh", "tourism": "dich-vu/du-lich",
}
TITLE_MAX = 80
DESCRIPTION_MAX = 5000
PRICE_MIN, PRICE_MAX = 5_000, 50_000_000
IMAGES_MAX = 6
WEIGHED_GROUPS = {"food", "beverage", "herbal"}  # Voso ships these by weight

FIELDS = {"title": "name", "sale_price": "price_vnd", "inventory": "stock", "pictures": "images",
          "net_weight": "net_weight_g", "category_path": "product_group", "content": "description"}


def problems(product: ProductSnapshot) -> list[Problem]:
    found = []
    if not 5 <= len(product.name.strip()) <= TITLE_MAX:
        found.append(Problem("name", f"Voso cần tên từ 5 đến {TITLE_MAX} ký tự; hãy rút gọn hoặc thêm chi tiết.",
                             "title_length"))
    if len(product.description) > DESCRIPTION_MAX:
        found.append(Problem("description", f"Voso nhận mô tả tối đa {DESCRIPTION_MAX} ký tự."))
    if not PRICE_MIN <= product.price_vnd <= PRICE_MAX:
        found.append(Problem("price_vnd", "Voso nhận giá từ 5.000 đến 50.000.000 đồng.", "price_range"))
    if not product.images:
        found.append(Problem("images", "Voso cần ít nhất một ảnh sản phẩm.", "pictures_missing"))
    if product.product_group in WEIGHED_GROUPS and not product.net_weight_g:
        found.append(Problem("net_weight_g", "Voso cần khối lượng tịnh cho thực phẩm, đồ uống và dược liệu.",
                             "weight_missing"))
    return found


def to_voso(product: ProductSnapshot) -> dict:
    return {
        "title": product.name,
        "sale_price": product.price_vnd,
        "inventory": product.stock,
        "category_path": CATEGORY_PATHS[product.product_group],
        "pictures": [image.url for image in product.images[:IMAGES_MAX]],
        "net_weight": product.net_weight_g,
        "content": product.description,
        "attributes": {"origin": product.origin, "ocop_stars": product.ocop_stars, "unit": product.unit},
    }
