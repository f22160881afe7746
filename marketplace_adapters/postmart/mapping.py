"""How a choso product becomes a Postmart product, and Postmart's limits."""

from __future__ import annotations

from plugins import Problem, ProductSnapshot

# Postmart's category tree (ids of its "Đặc sản vùng miền" branch) for the OCOP product groups.
CATEGORIES = {"food": 1001, "beverage": 1002, "herbal": 1003, "handicraft": 1004, "ornamental": 1005}
TITLE_MAX = 120
DESCRIPTION_MAX = 3000
PRICE_MIN, PRICE_MAX = 1_000, 100_000_000
WEIGHT_MIN, WEIGHT_MAX = 1, 30_000
IMAGES_MAX = 9
IMAGE_BYTES_MAX = 2 * 1024 * 1024

# Postmart's field names, mapped back to the seller's own form fields.
FIELDS = {"product_name": "name", "price": "price_vnd", "stock_qty": "stock", "weight_gram": "net_weight_g",
          "images": "images", "category_id": "product_group", "description": "description"}


def problems(product: ProductSnapshot) -> list[Problem]:
    found = []
    if not product.name.strip():
        found.append(Problem("name", "Postmart cần tên sản phẩm.", "name_missing"))
    elif len(product.name) > TITLE_MAX:
        found.append(Problem("name", f"Postmart nhận tên tối đa {TITLE_MAX} ký tự.", "name_too_long"))
    if len(product.description) > DESCRIPTION_MAX:
        found.append(Problem("description", f"Postmart nhận mô tả tối đa {DESCRIPTION_MAX} ký tự."))
    if not PRICE_MIN <= product.price_vnd <= PRICE_MAX:
        found.append(Problem("price_vnd", "Postmart nhận giá từ 1.000 đến 100.000.000 đồng.", "price_range"))
    if product.product_group not in CATEGORIES:
        found.append(Problem("product_group", "Postmart không bán dịch vụ du lịch; hãy chọn sàn khác.",
                             "category"))
    if not product.net_weight_g or not WEIGHT_MIN <= product.net_weight_g <= WEIGHT_MAX:
        found.append(Problem("net_weight_g", "Postmart cần khối lượng (1 g đến 30 kg) để tính phí gửi hàng.",
                             "weight"))
    if not product.images:
        found.append(Problem("images", "Postmart cần ít nhất một ảnh sản phẩm.", "images_missing"))
    elif len(product.images) > IMAGES_MAX:
        found.append(Problem("images", f"Postmart nhận tối đa {IMAGES_MAX} ảnh.", "images_too_many"))
    elif any(image.bytes > IMAGE_BYTES_MAX for image in product.images):
        found.append(Problem("images", "Mỗi ảnh trên Postmart tối đa 2 MB.", "image_too_big"))
    return found


def to_postmart(product: ProductSnapshot) -> dict:
    return {
        "product_name": product.name,
        "category_id": CATEGORIES.get(product.product_group),
        "price": product.price_vnd,
        "stock_qty": product.stock,
        "weight_gram": product.net_weight_g,
        "images": [{"url": image.url} for image in product.images[:IMAGES_MAX]],
        "description": product.description,
        "origin": product.origin,
        "ocop_rating": product.ocop_stars,
        "seller_sku": product.sku or f"choso-{product.id}",
    }
