"""A sandbox that behaves like Shopee Open Platform API v2 for what choso uses (docs/marketplaces/shopee.md).

It checks every signature and timestamp as Shopee documents them, serves the seller's authorisation page,
issues single-use codes (10 minutes), access tokens (4 hours) and single-use refresh tokens (30 days; the
access token they replace stays valid 5 more minutes), keeps the shop's authorisation until it expires
(365 days at most), stores uploaded images, refuses an item without an uploaded image, a known leaf category,
every mandatory attribute of that category or a logistics channel, and answers errors in Shopee's shape
(`{"error": "...", "message": "...", "request_id": "..."}`, with Shopee's own `invalid_acceess_token`).
Order pushes are signed as Shopee signs them (Authorization: HMAC-SHA256 of url|body) and can be held back.
Lifetimes are arguments so that tests can make tokens and authorisations expire.
"""

from __future__ import annotations

import json
import secrets
import time
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from marketplace_adapters.shopee import signing
from plugins.sandbox import Sandbox, json_response

# A small part of Shopee's category tree as get_category answers it (ids are the sandbox's own). Leaves only
# can take items; some need attributes (is_mandatory), as real categories do.
CATEGORIES: list[dict[str, Any]] = [
    {"category_id": 100629, "parent_category_id": 0, "original_category_name": "Food & Beverages",
     "display_category_name": "Thực phẩm và đồ uống", "has_children": True},
    {"category_id": 100780, "parent_category_id": 100629, "original_category_name": "Sauces & Condiments",
     "display_category_name": "Gia vị, nước chấm", "has_children": False},
    {"category_id": 100781, "parent_category_id": 100629, "original_category_name": "Tea",
     "display_category_name": "Trà", "has_children": False},
    {"category_id": 100782, "parent_category_id": 100629, "original_category_name": "Honey & Syrups",
     "display_category_name": "Mật ong", "has_children": False},
    {"category_id": 100783, "parent_category_id": 100629, "original_category_name": "Dried Food & Specialties",
     "display_category_name": "Đặc sản, đồ khô", "has_children": False},
    {"category_id": 100784, "parent_category_id": 100629, "original_category_name": "Beverages",
     "display_category_name": "Đồ uống, rượu", "has_children": False},
    {"category_id": 100001, "parent_category_id": 0, "original_category_name": "Health",
     "display_category_name": "Sức khỏe", "has_children": True},
    {"category_id": 100790, "parent_category_id": 100001, "original_category_name": "Herbal Supplements",
     "display_category_name": "Thảo dược, dược liệu", "has_children": False},
    {"category_id": 100636, "parent_category_id": 0, "original_category_name": "Home & Living",
     "display_category_name": "Nhà cửa và đời sống", "has_children": True},
    {"category_id": 100800, "parent_category_id": 100636, "original_category_name": "Handicrafts & Pottery",
     "display_category_name": "Đồ thủ công, gốm sứ", "has_children": False},
    {"category_id": 100801, "parent_category_id": 100636, "original_category_name": "Plants & Gardening",
     "display_category_name": "Cây cảnh, làm vườn", "has_children": False},
]
# Food needs its origin and shelf life stated; Shopee's food categories carry such mandatory attributes.
ATTRIBUTES: dict[int, list[dict[str, Any]]] = {
    leaf: [{"attribute_id": 100010, "original_attribute_name": "Country of Origin",
            "display_attribute_name": "Xuất xứ", "is_mandatory": True, "input_type": "TEXT_FILED"},
           {"attribute_id": 100095, "original_attribute_name": "Shelf Life",
            "display_attribute_name": "Hạn sử dụng (ngày)", "is_mandatory": True, "input_type": "TEXT_FILED"}]
    for leaf in (100780, 100781, 100782, 100783, 100784)
}
CHANNELS = [{"logistics_channel_id": 50011, "logistics_channel_name": "Giao Hàng Nhanh", "enabled": True},
            {"logistics_channel_id": 50012, "logistics_channel_name": "SPX Express", "enabled": True}]
PUBLIC_PATHS = {"/api/v2/shop/auth_partner", "/api/v2/auth/token/get", "/api/v2/auth/access_token/get",
                "/api/v2/media_space/upload_image"}


class ShopeeSandbox(Sandbox):
    name = "shopee"
    rules = [
        Rule("/api/v2/shop/auth_partner", methods=["GET"], endpoint="auth_page"),
        Rule("/_authorize", methods=["POST"], endpoint="public_authorize"),  # the seller's confirmation
        Rule("/api/v2/auth/token/get", methods=["POST"], endpoint="token_get"),
        Rule("/api/v2/auth/access_token/get", methods=["POST"], endpoint="token_refresh"),
        Rule("/api/v2/shop/get_shop_info", methods=["GET"], endpoint="shop_info"),
        Rule("/api/v2/media_space/upload_image", methods=["POST"], endpoint="upload_image"),
        Rule("/api/v2/product/get_category", methods=["GET"], endpoint="get_category"),
        Rule("/api/v2/product/get_attributes", methods=["GET"], endpoint="get_attributes"),
        Rule("/api/v2/logistics/get_channel_list", methods=["GET"], endpoint="channel_list"),
        Rule("/api/v2/product/add_item", methods=["POST"], endpoint="add_item"),
        Rule("/api/v2/product/update_item", methods=["POST"], endpoint="update_item"),
        Rule("/api/v2/product/update_price", methods=["POST"], endpoint="update_price"),
        Rule("/api/v2/product/update_stock", methods=["POST"], endpoint="update_stock"),
        Rule("/api/v2/product/unlist_item", methods=["POST"], endpoint="unlist_item"),
        Rule("/api/v2/product/get_item_base_info", methods=["GET"], endpoint="item_base_info"),
        Rule("/api/v2/product/search_item", methods=["GET"], endpoint="search_item"),
        Rule("/api/v2/order/get_order_list", methods=["GET"], endpoint="order_list"),
        Rule("/api/v2/order/get_order_detail", methods=["GET"], endpoint="order_detail"),
        Rule("/api/v2/order/cancel_order", methods=["POST"], endpoint="cancel_order"),
        Rule("/api/v2/public/get_shops_by_partner", methods=["GET"], endpoint="shops_by_partner"),
        Rule("/product/<int:shop_id>/<remote_id>", methods=["GET"], endpoint="public_item_page"),
        Rule("/_sandbox/authorize", methods=["POST"], endpoint="control_authorize"),
        Rule("/_sandbox/revoke", methods=["POST"], endpoint="control_revoke"),
        Rule("/_sandbox/shopee/expire", methods=["POST"], endpoint="control_expire"),
    ]

    def __init__(self, *, partner_id: int = 2001887, partner_key: str = "shopee-sandbox-partner-key-0001",
                 access_ttl: float = 4 * 3600, refresh_ttl: float = 30 * 86400,
                 authorization_ttl: float = 365 * 86400, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.partner_id, self.partner_key = int(partner_id), partner_key
        self.access_ttl, self.refresh_ttl, self.authorization_ttl = access_ttl, refresh_ttl, authorization_ttl
        self.shops: dict[int, dict[str, Any]] = {}
        self.codes: dict[str, tuple[int, float]] = {}
        self.access: dict[str, tuple[int, float]] = {}
        self.refresh: dict[str, tuple[int, float]] = {}
        self.images: dict[str, bytes] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.refreshes = 0

    @property
    def shop_url(self) -> str:
        """Where buyers see items (shopee.vn for the real service): this sandbox serves /product/<shop>/<item>."""
        return self.url

    # --- Shopee's envelope, signatures and tokens ----------------------------------------------------

    @staticmethod
    def _error(error: str, message: str, status: int = 200) -> Response:
        return json_response({"error": error, "message": message, "request_id": secrets.token_hex(8)}, status)

    @staticmethod
    def _ok(response: dict[str, Any] | None = None, **extra: Any) -> Response:
        return json_response({"error": "", "message": "", "request_id": secrets.token_hex(8),
                              **({"response": response} if response is not None else {}), **extra})

    def _signed(self, request: Request, *, shop_level: bool) -> tuple[int | None, Response | None]:
        """The shop the call acts for (None for public calls), or Shopee's refusal."""
        args = request.args
        if args.get("partner_id") != str(self.partner_id):
            return None, self._error("error_param", "Invalid partner_id.", 403)
        timestamp = args.get("timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > signing.TIMESTAMP_WINDOW:
            return None, self._error("error_param", "Invalid timestamp: it must be within 5 minutes.", 403)
        token, shop = (args.get("access_token", ""), args.get("shop_id", "")) if shop_level else ("", "")
        expected = signing.sign(self.partner_key, self.partner_id, request.path, int(timestamp), token, shop)
        if not signing.same(expected, args.get("sign", "")):
            return None, self._error("error_sign", "Wrong sign.", 403)
        if not shop_level:
            return None, None
        with self.lock:
            held = self.access.get(token)
            shop_row = self.shops.get(int(shop)) if shop.isdigit() else None
        if held is None or held[1] < time.time() or str(held[0]) != shop:
            return None, self._error("invalid_acceess_token", "Invalid access_token.", 403)
        if shop_row is None or shop_row["authorization_expires"] < time.time() or shop_row["revoked"]:
            return None, self._error("error_auth", "The shop's authorization has expired or been cancelled.", 403)
        return int(shop), None

    def _issue(self, shop_id: int) -> dict[str, Any]:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        now = time.time()
        with self.lock:
            self.access[access] = (shop_id, now + self.access_ttl)
            self.refresh[refresh] = (shop_id, now + self.refresh_ttl)
        return {"access_token": access, "refresh_token": refresh, "expire_in": int(self.access_ttl),
                "shop_id": shop_id, "partner_id": self.partner_id}

    # --- authorisation ---------------------------------------------------------------------------------

    def auth_page(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=False)
        if refused:
            return refused
        redirect = request.args.get("redirect", "")
        if urlsplit(redirect).scheme not in ("http", "https"):
            return self._error("error_param", "Invalid redirect.", 400)
        page = (f"<!doctype html><meta charset=utf-8><title>Shopee Open Platform (sandbox)</title>"
                f"<h1>Ủy quyền cho ứng dụng {self.partner_id}</h1>"
                f"<form method=post action=/_authorize>"
                f"<input type=hidden name=redirect value=\"{escape(redirect)}\">"
                f"<label>Tên shop <input name=shop_name value=\"Shop sandbox\"></label>"
                f"<label>Mã shop <input name=shop_id value=\"\"></label>"
                f"<button type=submit>Xác nhận ủy quyền</button></form>")
        return Response(page, mimetype="text/html")

    def public_authorize(self, request: Request) -> Response:
        form = request.form
        shop_id = int(form["shop_id"]) if form.get("shop_id", "").isdigit() else 7_000_000 + len(self.shops) + 1
        code = secrets.token_hex(16)
        with self.lock:
            self.shops[shop_id] = {"shop_id": shop_id, "shop_name": form.get("shop_name") or f"Shop {shop_id}",
                                   "auth_time": int(time.time()), "revoked": False,
                                   "authorization_expires": time.time() + self.authorization_ttl}
            self.codes[code] = (shop_id, time.time() + 600)
        redirect = form["redirect"]
        joiner = "&" if urlsplit(redirect).query else "?"
        back = f"{redirect}{joiner}{urlencode({'code': code, 'shop_id': shop_id})}"
        return Response(status=302, headers={"Location": back})

    def token_get(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=False)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            held = self.codes.pop(str(body.get("code", "")), None)  # a code is good once
        if held is None or held[1] < time.time() or str(held[0]) != str(body.get("shop_id")) \
                or str(body.get("partner_id")) != str(self.partner_id):
            return self._error("error_auth", "Invalid code.", 403)
        return json_response({"error": "", "message": "", "request_id": secrets.token_hex(8),
                              **self._issue(held[0])})

    def token_refresh(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=False)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            held = self.refresh.pop(str(body.get("refresh_token", "")), None)  # single use
            shop = self.shops.get(held[0]) if held else None
        if held is None or held[1] < time.time() or str(held[0]) != str(body.get("shop_id")):
            return self._error("error_auth", "Invalid refresh_token.", 403)
        if shop is None or shop["authorization_expires"] < time.time() or shop["revoked"]:
            return self._error("error_auth", "The shop's authorization has expired or been cancelled.", 403)
        with self.lock:
            self.refreshes += 1
            for token, (shop_id, expires) in list(self.access.items()):  # the old one lives 5 more minutes
                if shop_id == held[0]:
                    self.access[token] = (shop_id, min(expires, time.time() + 300))
        return json_response({"error": "", "message": "", "request_id": secrets.token_hex(8),
                              **self._issue(held[0])})

    def control_authorize(self, request: Request) -> Response:
        """The seller's consent without a browser (plugins.sandbox.SandboxControl.authorize): given the
        authorisation URL choso built, where the seller's browser would be sent back."""
        body = request.get_json(force=True)
        url = urlsplit(body["url"])
        page = self.auth_page(Request.from_values(path=url.path, query_string=url.query))
        if page.status_code != 200:
            return page
        redirect = dict(parse_qsl(url.query))["redirect"]
        answer = self.public_authorize(Request.from_values(method="POST", data={
            "redirect": redirect, "shop_name": body.get("shop_name", ""), "shop_id": str(body.get("shop_id", ""))}))
        return json_response({"redirect": answer.headers["Location"]})

    def shops_by_partner(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=False)
        if refused:
            return refused
        with self.lock:
            shops = [{"shop_id": s["shop_id"], "auth_time": s["auth_time"],
                      "expire_time": int(s["authorization_expires"])} for s in self.shops.values()]
        return json_response({"error": "", "message": "", "request_id": secrets.token_hex(8),
                              "authed_shop_list": shops, "more": False})

    def public_item_page(self, request: Request, shop_id: int, remote_id: str) -> Response:
        return self.public_page(request, remote_id)

    def shop_info(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        shop = self.shops[shop_id]
        return json_response({"error": "", "message": "", "request_id": secrets.token_hex(8),
                              "shop_name": shop["shop_name"], "region": "VN", "status": "NORMAL",
                              "auth_time": shop["auth_time"], "expire_time": int(shop["authorization_expires"])})

    # --- media, catalogue data -----------------------------------------------------------------------

    def upload_image(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=False)
        if refused:
            return refused
        upload = request.files.get("image")
        data = upload.read() if upload else b""
        if not data.startswith((b"\xff\xd8", b"\x89PNG")) or len(data) > 10 * 2**20:
            return self._error("error_param", "image must be a JPG or PNG up to 10 MB.", 400)
        image_id = f"sg-11134201-{secrets.token_hex(8)}"
        with self.lock:
            self.images[image_id] = data
        return self._ok({"image_info": {"image_id": image_id,
                                        "image_url_list": [{"image_url_region": "VN",
                                                            "image_url": f"{self.url}/file/{image_id}"}]}})

    def get_category(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=True)
        return refused or self._ok({"category_list": CATEGORIES})

    def get_attributes(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        category = int(request.args.get("category_id", "0") or 0)
        return self._ok({"attribute_list": ATTRIBUTES.get(category, [])})

    def channel_list(self, request: Request) -> Response:
        _shop, refused = self._signed(request, shop_level=True)
        return refused or self._ok({"logistics_channel_list": CHANNELS})

    # --- items ---------------------------------------------------------------------------------------

    def _item_problems(self, body: dict[str, Any]) -> str | None:
        leaves = {c["category_id"] for c in CATEGORIES if not c["has_children"]}
        if not 10 <= len(str(body.get("item_name", "")).strip()) <= 120:
            return "item_name must be 10 to 120 characters."
        if not 20 <= len(str(body.get("description", ""))) <= 3000:
            return "description must be 20 to 3000 characters."
        price = body.get("original_price")
        if not isinstance(price, int | float) or isinstance(price, bool) or not 1000 <= price <= 120_000_000:
            return "original_price must be between 1,000 and 120,000,000."
        weight = body.get("weight")
        if not isinstance(weight, int | float) or weight <= 0:
            return "weight must be above 0 kg."
        if body.get("category_id") not in leaves:
            return "category_id must be a leaf category."
        images = (body.get("image") or {}).get("image_id_list") or []
        with self.lock:
            if not images or any(i not in self.images for i in images):
                return "image.image_id_list must hold images uploaded to media_space."
        given = {a.get("attribute_id"): a for a in body.get("attribute_list") or []}
        for attribute in ATTRIBUTES.get(body["category_id"], []):
            values = (given.get(attribute["attribute_id"]) or {}).get("attribute_value_list") or []
            if attribute["is_mandatory"] and not any(str(v.get("original_value_name", "")).strip() for v in values):
                return f"attribute {attribute['attribute_id']} ({attribute['original_attribute_name']}) is mandatory."
        if not any(channel.get("enabled") for channel in body.get("logistic_info") or []):
            return "logistic_info must enable at least one channel."
        stock = (body.get("seller_stock") or [{}])[0].get("stock")
        if not isinstance(stock, int) or stock < 0:
            return "seller_stock must hold a stock of 0 or more."
        return None

    def add_item(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        if problem := self._item_problems(body):
            return self._error("error_param", problem, 400)
        with self.lock:
            item_id = str(800_000_000 + len(self.products) + 1)
            self.products[item_id] = {
                "item_id": int(item_id), "shop_id": shop_id, "item_name": body["item_name"],
                "description": body["description"], "price": body["original_price"],
                "stock": body["seller_stock"][0]["stock"], "item_sku": body.get("item_sku", ""),
                "category_id": body["category_id"], "image_id_list": body["image"]["image_id_list"],
                "attribute_list": body.get("attribute_list", []), "item_status": "NORMAL", "active": True,
                "title": body["item_name"]}
        return self._ok({"item_id": int(item_id), "item_status": "NORMAL", "item_name": body["item_name"]})

    def _owned(self, shop_id: int, item_id: Any) -> dict[str, Any] | None:
        item = self.products.get(str(item_id))
        return item if item is not None and item["shop_id"] == shop_id else None

    def update_item(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            item = self._owned(shop_id, body.get("item_id"))
            if item is None:
                return self._error("error_item_not_found", "Item not found.", 404)
            merged = {"original_price": item["price"], "seller_stock": [{"stock": item["stock"]}],
                      "image": {"image_id_list": item["image_id_list"]}, "category_id": item["category_id"],
                      "weight": 1, "logistic_info": CHANNELS, "attribute_list": item["attribute_list"],
                      "item_name": item["item_name"], "description": item["description"], **body}
        if problem := self._item_problems(merged):
            return self._error("error_param", problem, 400)
        with self.lock:
            item.update(item_name=merged["item_name"], title=merged["item_name"], description=merged["description"],
                        category_id=merged["category_id"], image_id_list=merged["image"]["image_id_list"],
                        attribute_list=merged["attribute_list"])
        return self._ok({"item_id": item["item_id"]})

    def update_price(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        price = ((body.get("price_list") or [{}])[0]).get("original_price")
        with self.lock:
            item = self._owned(shop_id, body.get("item_id"))
            if item is None:
                return self._error("error_item_not_found", "Item not found.", 404)
            if not isinstance(price, int | float) or not 1000 <= price <= 120_000_000:
                return self._error("error_param", "original_price must be between 1,000 and 120,000,000.", 400)
            item["price"] = price
        return self._ok({"success_list": [{"model_id": 0, "original_price": price}], "failure_list": []})

    def update_stock(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        entry = (body.get("stock_list") or [{}])[0]
        stock = ((entry.get("seller_stock") or [{}])[0]).get("stock")
        with self.lock:
            item = self._owned(shop_id, body.get("item_id"))
            if item is None:
                return self._error("error_item_not_found", "Item not found.", 404)
            if not isinstance(stock, int) or stock < 0:
                return self._error("error_param", "stock must be 0 or more.", 400)
            item["stock"] = stock
        return self._ok({"success_list": [{"model_id": 0, "stock": stock}], "failure_list": []})

    def unlist_item(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        done, failed = [], []
        with self.lock:
            for entry in body.get("item_list") or []:
                item = self._owned(shop_id, entry.get("item_id"))
                if item is None:
                    failed.append({"item_id": entry.get("item_id"), "failed_reason": "item not found"})
                    continue
                item["item_status"] = "UNLIST" if entry.get("unlist") else "NORMAL"
                item["active"] = not entry.get("unlist")
                done.append({"item_id": item["item_id"], "unlist": bool(entry.get("unlist"))})
        return self._ok({"success_list": done, "failure_list": failed})

    def item_base_info(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        wanted = [i for i in request.args.get("item_id_list", "").split(",") if i]
        with self.lock:
            items = [self._owned(shop_id, i) for i in wanted]
        return self._ok({"item_list": [
            {"item_id": i["item_id"], "item_name": i["item_name"], "item_sku": i["item_sku"],
             "item_status": i["item_status"], "category_id": i["category_id"],
             "price_info": [{"currency": "VND", "original_price": i["price"], "current_price": i["price"]}],
             "stock_info_v2": {"summary_info": {"total_available_stock": i["stock"]}}}
            for i in items if i is not None]})

    def search_item(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        sku = request.args.get("item_sku", "")
        with self.lock:
            found = [i["item_id"] for i in self.products.values()
                     if i["shop_id"] == shop_id and sku and i["item_sku"] == sku]
        return self._ok({"item_id_list": found, "total_count": len(found), "next_offset": ""})

    # --- orders and pushes ---------------------------------------------------------------------------

    def make_order(self, product: dict[str, Any], quantity: int, body: dict[str, Any]) -> dict[str, Any]:
        order_sn = f"2612{secrets.token_hex(5).upper()}"
        order = {"order_sn": order_sn, "shop_id": product["shop_id"], "order_status": "READY_TO_SHIP",
                 "create_time": int(time.time()), "update_time": int(time.time()),
                 "buyer_username": body.get("buyer", "khach_sandbox"),
                 "recipient_address": {"name": body.get("buyer", "Khách sandbox"),
                                       "phone": body.get("phone", "84912345678"),
                                       "full_address": body.get("address", "")},
                 "item_list": [{"item_id": product["item_id"], "model_id": 0, "item_sku": product["item_sku"],
                                "model_quantity_purchased": quantity,
                                "model_original_price": product["price"],
                                "model_discounted_price": product["price"]}]}
        with self.lock:
            self.orders[order_sn] = order
            product["stock"] = max(0, product["stock"] - quantity)
        return order

    def order_webhook(self, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """Shopee's order status push (code 3), signed over the callback URL and the body."""
        body = json.dumps({"data": {"ordersn": order["order_sn"], "status": order["order_status"],
                                    "update_time": order["update_time"]},
                           "shop_id": order["shop_id"], "code": 3, "timestamp": int(time.time())}).encode()
        url = self.webhook_url or ""
        return body, {"Content-Type": "application/json",
                      "Authorization": signing.push_signature(self.partner_key, url, body)}

    def control_revoke(self, request: Request) -> Response:
        body = request.get_json(force=True)
        with self.lock:
            self.shops[int(body["shop_id"])]["revoked"] = True
        return json_response({"ok": True})

    def control_expire(self, request: Request) -> Response:
        """Age a shop's tokens or authorisation: {"shop_id", "access": true, "refresh": true,
        "authorization_in": seconds, "revoke": true}."""
        body = request.get_json(force=True)
        shop_id = int(body["shop_id"])
        with self.lock:
            if body.get("access"):
                self.access = {t: v for t, v in self.access.items() if v[0] != shop_id}
            if body.get("refresh"):
                self.refresh = {t: v for t, v in self.refresh.items() if v[0] != shop_id}
            if "authorization_in" in body:
                self.shops[shop_id]["authorization_expires"] = time.time() + float(body["authorization_in"])
            if body.get("revoke"):
                self.shops[shop_id]["revoked"] = True
        return json_response({"ok": True})

    def order_list(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        since, until = int(request.args.get("time_from", 0)), int(request.args.get("time_to", 2**40))
        if until - since > 15 * 86400:
            return self._error("error_param", "time_from and time_to must be at most 15 days apart.", 400)
        with self.lock:
            found = sorted((o for o in self.orders.values()
                            if o["shop_id"] == shop_id and since <= o["create_time"] <= until),
                           key=lambda o: o["create_time"])
        size = max(1, min(100, int(request.args.get("page_size", 20))))
        start = int(request.args.get("cursor") or 0)
        page = found[start:start + size]
        more = start + size < len(found)
        return self._ok({"more": more, "next_cursor": str(start + size) if more else "",
                         "order_list": [{"order_sn": o["order_sn"]} for o in page]})

    def order_detail(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        wanted = [sn for sn in request.args.get("order_sn_list", "").split(",") if sn][:50]
        with self.lock:
            found = [self.orders[sn] for sn in wanted if sn in self.orders and self.orders[sn]["shop_id"] == shop_id]
        return self._ok({"order_list": found})

    def cancel_order(self, request: Request) -> Response:
        shop_id, refused = self._signed(request, shop_level=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        if body.get("cancel_reason") not in ("OUT_OF_STOCK", "CUSTOMER_REQUEST", "UNDELIVERABLE_AREA",
                                             "COD_NOT_SUPPORTED"):
            return self._error("error_param", "Invalid cancel_reason.", 400)
        with self.lock:
            order = self.orders.get(str(body.get("order_sn")))
            if order is None or order["shop_id"] != shop_id:
                return self._error("error_not_found", "Order not found.", 404)
            if order["order_status"] not in ("UNPAID", "READY_TO_SHIP"):
                return self._error("error_param", "The order can no longer be cancelled.", 400)
            order.update(order_status="CANCELLED", cancel_reason=body["cancel_reason"], update_time=int(time.time()))
            for item in order["item_list"]:  # the stock comes back to the item
                held = self.products.get(str(item["item_id"]))
                if held is not None:
                    held["stock"] += item["model_quantity_purchased"]
        return self._ok({"update_time": order["update_time"]})

    def control_reset(self, request: Request) -> Response:
        with self.lock:
            self.images.clear()
            self.orders.clear()
        return super().control_reset(request)
