"""A sandbox that behaves like TikTok Shop's Partner API for what choso uses (docs/marketplaces/tiktok.md).

One server stands for TikTok Shop's three hosts: the seller's authorisation page (`/open/authorize`, as on
services.tiktokshop.com), the token service (`/api/v2/token/get|refresh`, as on auth.tiktok-shops.com) and
the versioned Open API (`/authorization/202309/shops`, `/product/202309/...`). It checks every signature and
timestamp as TikTok Shop documents them, sends the seller back to the redirect URL registered for the app with
a code (good once, 10 minutes) and the app's `state`, issues access and refresh tokens that expire, gives
each shop a cipher that shop calls must carry, refuses a product without an uploaded image, a leaf category,
its required attributes or a warehouse, and answers in TikTok Shop's envelope (`{"code", "message",
"request_id", "data"}`). Order notifications are signed as TikTok Shop signs webhooks and can be held back.
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

from marketplace_adapters.tiktok import signing
from plugins.sandbox import Sandbox, json_response

V = "202309"
CATEGORIES = [
    {"id": "600001", "parent_id": "0", "local_name": "Thực phẩm & Đồ uống", "is_leaf": False},
    {"id": "600101", "parent_id": "600001", "local_name": "Gia vị & Nước chấm", "is_leaf": True},
    {"id": "600102", "parent_id": "600001", "local_name": "Trà", "is_leaf": True},
    {"id": "600103", "parent_id": "600001", "local_name": "Mật ong", "is_leaf": True},
    {"id": "600104", "parent_id": "600001", "local_name": "Đặc sản & Đồ khô", "is_leaf": True},
    {"id": "600105", "parent_id": "600001", "local_name": "Đồ uống", "is_leaf": True},
    {"id": "600002", "parent_id": "0", "local_name": "Sức khỏe", "is_leaf": False},
    {"id": "600201", "parent_id": "600002", "local_name": "Thảo dược", "is_leaf": True},
    {"id": "600003", "parent_id": "0", "local_name": "Nhà cửa & Đời sống", "is_leaf": False},
    {"id": "600301", "parent_id": "600003", "local_name": "Thủ công & Gốm sứ", "is_leaf": True},
    {"id": "600302", "parent_id": "600003", "local_name": "Cây cảnh & Làm vườn", "is_leaf": True},
]
FOOD_LEAVES = {"600101", "600102", "600103", "600104", "600105"}
# TikTok Shop's documentation spells this field "is_requried" in its examples; the sandbox answers as they do
ATTRIBUTES = [{"id": "100107", "name": "Xuất xứ", "type": "PRODUCT_PROPERTY", "is_requried": True},
              {"id": "100110", "name": "Hạn sử dụng", "type": "PRODUCT_PROPERTY", "is_requried": True}]
WAREHOUSE = {"id": "7068517275539719942", "name": "Kho hộ kinh doanh", "effect_status": "ENABLED",
             "is_default": True, "type": "SALES_WAREHOUSE"}
# The codes the sandbox answers where TikTok Shop's public pages name none (docs/marketplaces/tiktok.md)
BAD_SIGN, BAD_TIMESTAMP, TOKEN_EXPIRED, AUTH_REVOKED, BAD_PARAM, NOT_FOUND = (
    106001, 106002, 105002, 105003, 12052700, 12052048)


class TikTokSandbox(Sandbox):
    name = "tiktok"
    rules = [
        Rule("/open/authorize", methods=["GET"], endpoint="auth_page"),
        Rule("/_authorize", methods=["POST"], endpoint="public_authorize"),
        Rule("/api/v2/token/get", methods=["GET"], endpoint="token_get"),
        Rule("/api/v2/token/refresh", methods=["GET"], endpoint="token_refresh"),
        Rule(f"/authorization/{V}/shops", methods=["GET"], endpoint="shops"),
        Rule(f"/product/{V}/images/upload", methods=["POST"], endpoint="upload_image"),
        Rule(f"/product/{V}/categories", methods=["GET"], endpoint="categories"),
        Rule(f"/product/{V}/categories/<category_id>/attributes", methods=["GET"], endpoint="attributes"),
        Rule(f"/logistics/{V}/warehouses", methods=["GET"], endpoint="warehouses"),
        Rule(f"/product/{V}/products", methods=["POST"], endpoint="create_product"),
        Rule(f"/product/{V}/products/search", methods=["POST"], endpoint="search_products"),
        Rule(f"/product/{V}/products/<product_id>", methods=["GET"], endpoint="get_product"),
        Rule(f"/product/{V}/products/<product_id>/partial_edit", methods=["POST"], endpoint="partial_edit"),
        Rule(f"/product/{V}/products/<product_id>/prices/update", methods=["POST"], endpoint="update_prices"),
        Rule(f"/product/{V}/products/<product_id>/inventory/update", methods=["POST"], endpoint="update_inventory"),
        Rule(f"/product/{V}/products/deactivate", methods=["POST"], endpoint="deactivate"),
        Rule(f"/product/{V}/products/activate", methods=["POST"], endpoint="activate"),
        Rule(f"/order/{V}/orders", methods=["GET"], endpoint="get_orders"),
        Rule(f"/order/{V}/orders/search", methods=["POST"], endpoint="search_orders"),
        Rule(f"/return_refund/{V}/cancellations", methods=["POST"], endpoint="cancel_order"),
        Rule("/view/product/<remote_id>", methods=["GET"], endpoint="public_product_page"),
        Rule("/_sandbox/authorize", methods=["POST"], endpoint="control_authorize"),
        Rule("/_sandbox/revoke", methods=["POST"], endpoint="control_revoke"),
    ]

    def __init__(self, *, app_key: str = "6abcsandbox01", app_secret: str = "tiktok-sandbox-app-secret-0001",
                 service_id: str = "7310000000000000001", access_ttl: float = 7 * 86400,
                 refresh_ttl: float = 365 * 86400, redirect_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app_key, self.app_secret, self.service_id = app_key, app_secret, service_id
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.redirect_url = redirect_url  # registered for the app in the partner console
        self.sellers: dict[str, dict[str, Any]] = {}  # open_id -> seller, with its shop
        self.codes: dict[str, tuple[str, float]] = {}
        self.access: dict[str, tuple[str, float]] = {}
        self.refresh: dict[str, tuple[str, float]] = {}
        self.images: dict[str, bytes] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.refreshes = 0

    # one server stands for the API, the token service, the authorisation page and the buyers' site
    @property
    def shop_url(self) -> str:
        return self.url

    @property
    def auth_url(self) -> str:
        return self.url

    @property
    def authorize_url(self) -> str:
        return self.url

    # --- envelope, signatures, tokens ----------------------------------------------------------------

    @staticmethod
    def _answer(data: dict[str, Any] | None = None, code: int = 0, message: str = "Success",
                status: int = 200) -> Response:
        return json_response({"code": code, "message": message, "request_id": secrets.token_hex(10),
                              "data": data if data is not None else {}}, status)

    def _signed(self, request: Request, *, shop: bool) -> tuple[dict[str, Any] | None, Response | None]:
        """The seller the call acts for, or TikTok Shop's refusal."""
        args = request.args
        if args.get("app_key") != self.app_key:
            return None, self._answer(code=BAD_PARAM, message="invalid app_key", status=401)
        stamp = args.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > signing.TIMESTAMP_WINDOW:
            return None, self._answer(code=BAD_TIMESTAMP, message="timestamp is expired", status=401)
        multipart = (request.content_type or "").startswith("multipart/form-data")
        expected = signing.sign(self.app_secret, request.path, parse_qsl(request.query_string.decode(),
                                                                         keep_blank_values=True),
                                b"" if multipart else request.get_data(), multipart=multipart)
        if not signing.same(expected, args.get("sign", "")):
            return None, self._answer(code=BAD_SIGN, message="invalid signature", status=401)
        token = request.headers.get("x-tts-access-token", "")
        with self.lock:
            held = self.access.get(token)
            seller = self.sellers.get(held[0]) if held else None
        if held is None or held[1] < time.time():
            return None, self._answer(code=TOKEN_EXPIRED, message="access token is expired, please refresh it",
                                      status=401)
        if seller is None or seller["revoked"]:
            return None, self._answer(code=AUTH_REVOKED, message="the seller has cancelled the authorization",
                                      status=401)
        if shop and args.get("shop_cipher") != seller["shop"]["cipher"]:
            return None, self._answer(code=BAD_PARAM, message="invalid shop_cipher", status=400)
        return seller, None

    def _issue(self, open_id: str) -> dict[str, Any]:
        access, refresh = f"ROW_{secrets.token_urlsafe(24)}", f"ROW_{secrets.token_urlsafe(24)}"
        now = time.time()
        with self.lock:
            self.access[access] = (open_id, now + self.access_ttl)
            self.refresh[refresh] = (open_id, now + self.refresh_ttl)
            seller = self.sellers[open_id]
        return {"access_token": access, "access_token_expire_in": int(now + self.access_ttl),
                "refresh_token": refresh, "refresh_token_expire_in": int(now + self.refresh_ttl),
                "open_id": open_id, "seller_name": seller["shop"]["name"], "seller_base_region": "VN",
                "user_type": 0, "granted_scopes": ["seller.product.basic", "seller.order.info"]}

    # --- authorisation ----------------------------------------------------------------------------------

    def auth_page(self, request: Request) -> Response:
        if request.args.get("service_id") != self.service_id:
            return Response("<h1>Ứng dụng không tồn tại</h1>", 400, mimetype="text/html")
        state = request.args.get("state", "")
        page = (f"<!doctype html><meta charset=utf-8><title>TikTok Shop (sandbox)</title>"
                f"<h1>Ủy quyền cho ứng dụng {escape(self.service_id)}</h1><form method=post action=/_authorize>"
                f"<input type=hidden name=state value=\"{escape(state)}\">"
                f"<label>Tên shop <input name=shop_name value=\"Shop TikTok sandbox\"></label>"
                f"<label>Mã shop <input name=shop_id value=\"\"></label>"
                f"<button type=submit>Xác nhận ủy quyền</button></form>")
        return Response(page, mimetype="text/html")

    def public_authorize(self, request: Request) -> Response:
        form = request.form
        shop_id = form.get("shop_id") or str(7_494_000_000_000_000_000 + len(self.sellers) + 1)
        with self.lock:
            open_id = next((o for o, s in self.sellers.items() if s["shop"]["id"] == shop_id), None)
            if open_id is None:
                open_id = secrets.token_urlsafe(12)
                self.sellers[open_id] = {"shop": {"id": shop_id, "name": form.get("shop_name") or f"Shop {shop_id}",
                                                  "region": "VN", "seller_type": "LOCAL",
                                                  "cipher": f"ROW_{secrets.token_urlsafe(16)}",
                                                  "code": f"VNLC{secrets.token_hex(3).upper()}"},
                                         "revoked": False}
            self.sellers[open_id]["revoked"] = False
            code = secrets.token_urlsafe(16)
            self.codes[code] = (open_id, time.time() + 600)
        target = self.redirect_url or "http://127.0.0.1:9/tiktok-redirect-not-registered"
        joiner = "&" if urlsplit(target).query else "?"
        query = urlencode({"app_key": self.app_key, "code": code, "locale": "vi-VN",
                           "shop_region": "VN", "state": form.get("state", "")})
        return Response(status=302, headers={"Location": f"{target}{joiner}{query}"})

    def control_authorize(self, request: Request) -> Response:
        body = request.get_json(force=True)
        url = urlsplit(body["url"])
        page = self.auth_page(Request.from_values(path=url.path, query_string=url.query))
        if page.status_code != 200:
            return page
        answer = self.public_authorize(Request.from_values(method="POST", data={
            "state": dict(parse_qsl(url.query)).get("state", ""), "shop_name": body.get("shop_name", ""),
            "shop_id": str(body.get("shop_id", ""))}))
        return json_response({"redirect": answer.headers["Location"]})

    def control_revoke(self, request: Request) -> Response:
        shop_id = str(request.get_json(force=True)["shop_id"])
        with self.lock:
            for seller in self.sellers.values():
                if seller["shop"]["id"] == shop_id:
                    seller["revoked"] = True
        return json_response({"ok": True})

    def _app(self, request: Request) -> Response | None:
        if request.args.get("app_key") != self.app_key or request.args.get("app_secret") != self.app_secret:
            return self._answer(code=BAD_PARAM, message="invalid app_key or app_secret", status=401)
        return None

    def token_get(self, request: Request) -> Response:
        if refused := self._app(request):
            return refused
        if request.args.get("grant_type") != "authorized_code":
            return self._answer(code=BAD_PARAM, message="invalid grant_type", status=400)
        with self.lock:
            held = self.codes.pop(request.args.get("auth_code", ""), None)
        if held is None or held[1] < time.time():
            return self._answer(code=BAD_PARAM, message="invalid auth_code", status=400)
        return self._answer(self._issue(held[0]))

    def token_refresh(self, request: Request) -> Response:
        if refused := self._app(request):
            return refused
        with self.lock:
            held = self.refresh.get(request.args.get("refresh_token", ""))
            seller = self.sellers.get(held[0]) if held else None
        if held is None or held[1] < time.time() or seller is None or seller["revoked"]:
            return self._answer(code=AUTH_REVOKED, message="refresh token is invalid or the authorization ended",
                                status=401)
        with self.lock:
            self.refreshes += 1
            self.refresh.pop(request.args["refresh_token"], None)
        return self._answer(self._issue(held[0]))

    def shops(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=False)
        return refused or self._answer({"shops": [seller["shop"]]})

    # --- media, categories, warehouses ---------------------------------------------------------------

    def upload_image(self, request: Request) -> Response:
        _seller, refused = self._signed(request, shop=False)
        if refused:
            return refused
        upload = request.files.get("data")
        data = upload.read() if upload else b""
        if not data.startswith((b"\xff\xd8", b"\x89PNG")) or len(data) > 5 * 2**20:
            return self._answer(code=BAD_PARAM, message="data must be a JPG or PNG up to 5 MB", status=400)
        uri = f"tos-alisg-i-sandbox/{secrets.token_hex(12)}"
        with self.lock:
            self.images[uri] = data
        return self._answer({"uri": uri, "url": f"{self.url}/img/{uri}", "width": 640, "height": 480,
                             "use_case": request.form.get("use_case", "MAIN_IMAGE")})

    def categories(self, request: Request) -> Response:
        _seller, refused = self._signed(request, shop=True)
        return refused or self._answer({"categories": CATEGORIES})

    def attributes(self, request: Request, category_id: str) -> Response:
        _seller, refused = self._signed(request, shop=True)
        return refused or self._answer({"attributes": ATTRIBUTES if category_id in FOOD_LEAVES else []})

    def warehouses(self, request: Request) -> Response:
        _seller, refused = self._signed(request, shop=True)
        return refused or self._answer({"warehouses": [WAREHOUSE]})

    # --- products ------------------------------------------------------------------------------------

    def _problem(self, body: dict[str, Any]) -> str | None:
        leaves = {c["id"] for c in CATEGORIES if c["is_leaf"]}
        if not 1 <= len(str(body.get("title", "")).strip()) <= 255:
            return "title must be 1 to 255 characters"
        if not 1 <= len(str(body.get("description", ""))) <= 10000:
            return "description is required"
        if body.get("category_id") not in leaves:
            return "category_id must be a leaf category"
        images = [i.get("uri") for i in body.get("main_images") or []]
        with self.lock:
            if not images or any(uri not in self.images for uri in images):
                return "main_images must hold images uploaded with images/upload"
        given = {a.get("id"): a for a in body.get("product_attributes") or []}
        if body["category_id"] in FOOD_LEAVES:
            for attribute in ATTRIBUTES:
                values = (given.get(attribute["id"]) or {}).get("values") or []
                if not any(str(v.get("name", "")).strip() for v in values):
                    return f"product attribute {attribute['id']} ({attribute['name']}) is required"
        skus = body.get("skus") or []
        if len(skus) != 1:
            return "exactly one sku is expected"
        price = (skus[0].get("price") or {})
        if price.get("currency") != "VND" or not str(price.get("amount", "")).isdigit() or \
                not 1000 <= int(price["amount"]) <= 100_000_000:
            return "price.amount must be 1000 to 100000000 VND"
        stock = skus[0].get("inventory") or []
        if not stock or stock[0].get("warehouse_id") != WAREHOUSE["id"] or \
                not isinstance(stock[0].get("quantity"), int):
            return "inventory needs the warehouse_id and a quantity"
        weight = body.get("package_weight") or {}
        if weight.get("unit") not in ("KILOGRAM", "POUND") or not weight.get("value"):
            return "package_weight is required"
        return None

    def create_product(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        if problem := self._problem(body):
            return self._answer(code=BAD_PARAM, message=problem, status=400)
        sku = body["skus"][0]
        with self.lock:
            product_id = str(1_729_000_000_000_000_000 + len(self.products) + 1)
            sku_id = str(int(product_id) + 500)
            self.products[product_id] = {
                "id": product_id, "shop_id": seller["shop"]["id"], "title": body["title"],
                "description": body["description"], "category_id": body["category_id"],
                "main_images": body["main_images"], "product_attributes": body.get("product_attributes", []),
                "status": "ACTIVATE", "active": True,
                "skus": [{"id": sku_id, "seller_sku": sku.get("seller_sku", ""), "price": sku["price"],
                          "inventory": sku["inventory"]}]}
        return self._answer({"product_id": product_id, "warnings": [],
                             "skus": [{"id": sku_id, "seller_sku": sku.get("seller_sku", "")}]})

    def _own(self, seller: dict[str, Any], product_id: str) -> dict[str, Any] | None:
        product = self.products.get(product_id)
        return product if product is not None and product["shop_id"] == seller["shop"]["id"] else None

    def search_products(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        wanted = set((request.get_json(force=True, silent=True) or {}).get("seller_skus") or [])
        with self.lock:
            found = [{"id": p["id"], "title": p["title"], "status": p["status"], "skus": p["skus"]}
                     for p in self.products.values()
                     if p["shop_id"] == seller["shop"]["id"] and p["skus"][0]["seller_sku"] in wanted]
        return self._answer({"products": found, "total_count": len(found), "next_page_token": ""})

    def get_product(self, request: Request, product_id: str) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        with self.lock:
            product = self._own(seller, product_id)
        if product is None:
            return self._answer(code=NOT_FOUND, message="product not found", status=404)
        return self._answer(product)

    def _edit(self, request: Request, product_id: str, change) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        with self.lock:
            product = self._own(seller, product_id)
            if product is None:
                return self._answer(code=NOT_FOUND, message="product not found", status=404)
            problem = change(product, body)
        return self._answer(code=BAD_PARAM, message=problem, status=400) if problem else self._answer({})

    def partial_edit(self, request: Request, product_id: str) -> Response:
        def change(product, body):
            for key in ("title", "description", "category_id", "product_attributes"):
                if key in body:
                    product[key] = body[key]
            return None
        return self._edit(request, product_id, change)

    def update_prices(self, request: Request, product_id: str) -> Response:
        def change(product, body):
            price = ((body.get("skus") or [{}])[0]).get("price") or {}
            if price.get("currency") != "VND" or not str(price.get("amount", "")).isdigit():
                return "price.amount must be whole VND"
            product["skus"][0]["price"] = price
            return None
        return self._edit(request, product_id, change)

    def update_inventory(self, request: Request, product_id: str) -> Response:
        def change(product, body):
            stock = ((body.get("skus") or [{}])[0]).get("inventory") or []
            if not stock or not isinstance(stock[0].get("quantity"), int) or stock[0]["quantity"] < 0:
                return "inventory quantity must be 0 or more"
            product["skus"][0]["inventory"] = stock
            return None
        return self._edit(request, product_id, change)

    def _status(self, request: Request, status: str) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        failed = []
        with self.lock:
            for product_id in (request.get_json(force=True, silent=True) or {}).get("product_ids") or []:
                product = self._own(seller, str(product_id))
                if product is None:
                    failed.append({"id": product_id, "reasons": ["product not found"]})
                    continue
                product["status"], product["active"] = status, status == "ACTIVATE"
        return self._answer({"errors": failed})

    def deactivate(self, request: Request) -> Response:
        return self._status(request, "SELLER_DEACTIVATED")

    def activate(self, request: Request) -> Response:
        return self._status(request, "ACTIVATE")

    def public_product_page(self, request: Request, remote_id: str) -> Response:
        return self.public_page(request, remote_id)

    # --- order notifications -----------------------------------------------------------------------

    def make_order(self, product: dict[str, Any], quantity: int, body: dict[str, Any]) -> dict[str, Any]:
        # one line item per unit, as TikTok Shop lists them
        order = {"id": f"5762{secrets.token_hex(7)}", "shop_id": product["shop_id"], "status": "AWAITING_SHIPMENT",
                 "create_time": int(time.time()),
                 "recipient_address": {"name": body.get("buyer", "Khách sandbox"),
                                       "phone_number": body.get("phone", "0912345678"),
                                       "full_address": body.get("address", "")},
                 "line_items": [{"id": secrets.token_hex(6), "product_id": product["id"],
                                 "sku_id": product["skus"][0]["id"],
                                 "sale_price": product["skus"][0]["price"]["amount"]} for _ in range(quantity)]}
        with self.lock:
            stock = product["skus"][0]["inventory"][0]
            stock["quantity"] = max(0, stock["quantity"] - quantity)
            self.orders[order["id"]] = order
        return order

    def get_orders(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        wanted = [i for i in request.args.get("ids", "").split(",") if i][:50]
        with self.lock:
            found = [self.orders[i] for i in wanted if i in self.orders
                     and self.orders[i]["shop_id"] == seller["shop"]["id"]]
        return self._answer({"orders": found})

    def search_orders(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        since = int((request.get_json(force=True, silent=True) or {}).get("create_time_ge", 0))
        size = max(1, min(100, int(request.args.get("page_size", 20))))
        start = int(request.args.get("page_token") or 0)
        with self.lock:
            found = sorted((o for o in self.orders.values()
                            if o["shop_id"] == seller["shop"]["id"] and o["create_time"] >= since),
                           key=lambda o: o["create_time"])
        page = found[start:start + size]
        more = start + size < len(found)
        return self._answer({"orders": page, "total_count": len(found),
                             "next_page_token": str(start + size) if more else ""})

    def order_webhook(self, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """TikTok Shop's order status change webhook (type 1), signed over app_key + body."""
        body = json.dumps({"type": 1, "tts_notification_id": secrets.token_hex(8), "shop_id": order["shop_id"],
                           "timestamp": int(time.time()),
                           "data": {"order_id": order["id"], "order_status": order["status"],
                                    "update_time": int(time.time())}}).encode()
        return body, {"Content-Type": "application/json",
                      "Authorization": signing.webhook_signature(self.app_key, self.app_secret, body)}

    def cancel_order(self, request: Request) -> Response:
        seller, refused = self._signed(request, shop=True)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True) or {}
        if not str(body.get("cancel_reason", "")).startswith("seller_cancel_reason_"):
            return self._answer(code=BAD_PARAM, message="invalid cancel_reason", status=400)
        with self.lock:
            order = self.orders.get(str(body.get("order_id")))
            if order is None or order["shop_id"] != seller["shop"]["id"]:
                return self._answer(code=NOT_FOUND, message="order not found", status=404)
            order.update(status="CANCELLED", cancel_reason=body["cancel_reason"])
            for item in order["line_items"]:
                held = self.products.get(item["product_id"])
                if held is not None:
                    held["skus"][0]["inventory"][0]["quantity"] += 1
        return self._answer({"cancel_id": secrets.token_hex(8), "cancel_status": "CANCELLATION_REQUEST_COMPLETE"})

    def control_reset(self, request: Request) -> Response:
        with self.lock:
            self.images.clear()
            self.orders.clear()
        return super().control_reset(request)
