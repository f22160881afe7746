"""TikTok Shop Partner API (versioned endpoints, 202309) as choso uses it: each household authorises its own
shop (per-seller, SDK 1.6). The commune's settings hold the app's key, secret and service id;
`self.seller` holds the household's tokens, with the shop cipher in `extra`. Every request and its source:
docs/marketplaces/tiktok.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from marshmallow import Schema, fields, validate

from marketplace_adapters.common import http_client, send
from marketplace_adapters.tiktok import mapping, signing
from marketplace_adapters.tiktok.sandbox import TikTokSandbox
from plugins import (
    AccessExpired,
    ConnectionLapsed,
    MarketplaceAdapter,
    OrderNotice,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    SellerConnection,
    TransientError,
    labelled,
    secret_field,
)

V = "202309"
SANDBOX_API, PRODUCTION_API = "https://open-api-sandbox.tiktokglobalshop.com", "https://open-api.tiktokglobalshop.com"
SANDBOX_AUTH, PRODUCTION_AUTH = "https://auth-sandbox.tiktok-shops.com", "https://auth.tiktok-shops.com"
AUTHORIZE = "https://services.tiktokshop.com"
TOKEN_EXPIRED, AUTH_ENDED = {105001, 105002}, {105003, 105005}


class TikTokSettings(Schema):
    base_url = fields.Url(load_default=SANDBOX_API, require_tld=False, metadata=labelled(
        "Địa chỉ Open API", "Open API address",
        help_vi=f"Mặc định là sandbox của TikTok Shop; khi chạy thật: {PRODUCTION_API}",
        help_en=f"TikTok Shop's sandbox by default; in production: {PRODUCTION_API}"))
    auth_url = fields.Url(load_default=SANDBOX_AUTH, require_tld=False, metadata=labelled(
        "Địa chỉ cấp token", "Token service address",
        help_vi=f"Khi chạy thật: {PRODUCTION_AUTH}", help_en=f"In production: {PRODUCTION_AUTH}"))
    authorize_url = fields.Url(load_default=AUTHORIZE, require_tld=False, metadata=labelled(
        "Địa chỉ trang ủy quyền của người bán", "Seller authorisation page address"))
    shop_url = fields.Url(load_default="https://shop.tiktok.com", require_tld=False, metadata=labelled(
        "Địa chỉ trang sản phẩm cho người mua", "Buyer-facing site"))
    app_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                            metadata=labelled("Mã ứng dụng (app key)", "App key"))
    app_secret = secret_field(**labelled("Khóa bí mật ứng dụng (app secret)", "App secret"))
    service_id = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata=labelled(
        "Mã dịch vụ (service id)", "Service id",
        help_vi="Trong Partner Center, đăng ký địa chỉ quay lại: <CHOSO_PUBLIC_URL>/dashboard/connections/tiktok/back",
        help_en="In Partner Center, register the redirect URL <CHOSO_PUBLIC_URL>/dashboard/connections/tiktok/back"))
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120),
                                   metadata=labelled("Chờ tối đa (giây)", "Timeout (seconds)"))


class TikTokAdapter(MarketplaceAdapter):
    name = "tiktok"
    display_name = "TikTok Shop"
    settings_schema = TikTokSettings
    sandbox_class = TikTokSandbox
    per_seller = True

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__(settings)
        self.http = http_client(self.settings)
        self.auth = httpx.Client(base_url=str(self.settings["auth_url"]), timeout=self.http.timeout)
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    # --- signed calls ------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, shop: bool = True, params: dict | None = None,
              body: dict | None = None, files: dict | None = None, data: dict | None = None) -> dict[str, Any]:
        if self.seller is None:
            raise ConnectionLapsed("TikTok Shop: this household has not connected its shop")
        query = [(k, str(v)) for k, v in (params or {}).items()]
        query += [("app_key", str(self.settings["app_key"])), ("timestamp", str(int(time.time())))]
        if shop:
            query.append(("shop_cipher", self.seller.extra.get("shop_cipher", "")))
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else b""
        query.append(("sign", signing.sign(self.settings["app_secret"], path, query, content, multipart=bool(files))))
        headers = {"x-tts-access-token": self.seller.access_token}
        if body is not None:
            headers["content-type"] = "application/json"
        response = send(self.http, method, path, marketplace="TikTok Shop", params=query, headers=headers,
                        content=content if body is not None else None, files=files, data=data)
        return self._read(response)

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        try:
            envelope = response.json()
        except ValueError as exc:
            raise TransientError(f"TikTok Shop answered {response.status_code} without JSON") from exc
        code = envelope.get("code")
        if code == 0 and response.status_code < 400:
            return envelope.get("data") or {}
        message = str(envelope.get("message") or response.status_code)
        if code in TOKEN_EXPIRED:
            raise AccessExpired(f"TikTok Shop refused the access token: {message}")
        if code in AUTH_ENDED:
            raise ConnectionLapsed(f"TikTok Shop: {message}")
        field = "settings" if "app_key" in message or "signature" in message else "marketplace"
        raise RejectedError(f"TikTok Shop refused ({code})", [Problem(field, f"TikTok Shop: {message}", str(code))])

    # --- connecting a seller's shop ------------------------------------------------------------------

    def authorization_url(self, redirect_url: str) -> str:
        # TikTok Shop sends the seller back to the redirect URL registered for the app; choso's own state
        # travels in `state`, which TikTok Shop gives back unchanged
        state = dict(parse_qsl(urlsplit(redirect_url).query)).get("state", "")
        query = urlencode({"service_id": self.settings["service_id"], "state": state})
        return f"{str(self.settings['authorize_url']).rstrip('/')}/open/authorize?{query}"

    def complete_authorization(self, query: Mapping[str, str], redirect_url: str) -> SellerConnection:
        code = query.get("code", "")
        if not code:
            raise RejectedError("TikTok Shop sent no code",
                                [Problem("marketplace", "TikTok Shop: the authorisation was not completed", "no_code")])
        tokens = self._token("/api/v2/token/get", auth_code=code, grant_type="authorized_code")
        return self._connection(tokens)

    def refresh_connection(self, connection: SellerConnection) -> SellerConnection:
        try:
            tokens = self._token("/api/v2/token/refresh", refresh_token=connection.refresh_token,
                                 grant_type="refresh_token")
        except RejectedError as refused:
            raise ConnectionLapsed(f"TikTok Shop no longer accepts this shop's authorisation: {refused}") from refused
        return self._connection(tokens)

    def _token(self, path: str, **params: str) -> dict[str, Any]:
        query = {"app_key": self.settings["app_key"], "app_secret": self.settings["app_secret"], **params}
        response = send(self.auth, "GET", path, marketplace="TikTok Shop", params=query)
        try:
            return self._read(response)
        except ConnectionLapsed as lapsed:
            raise RejectedError(str(lapsed), [Problem("marketplace", str(lapsed), "authorization")]) from lapsed

    def _connection(self, tokens: dict[str, Any]) -> SellerConnection:
        draft = SellerConnection(
            shop_id="?", access_token=str(tokens["access_token"]), refresh_token=str(tokens["refresh_token"]),
            access_expires_at=datetime.fromtimestamp(int(tokens["access_token_expire_in"]), UTC),
            refresh_expires_at=datetime.fromtimestamp(int(tokens["refresh_token_expire_in"]), UTC))
        before, self.seller = self.seller, draft
        try:  # the shop this seller authorised, and its cipher, which every shop call carries
            shops = self._call("GET", f"/authorization/{V}/shops", shop=False)["shops"]
        finally:
            self.seller = before
        if not shops:
            raise RejectedError("no shop", [Problem("marketplace", "TikTok Shop: this account has no shop", "no_shop")])
        shop = shops[0]
        return SellerConnection(
            shop_id=str(shop["id"]), access_token=draft.access_token, refresh_token=draft.refresh_token,
            access_expires_at=draft.access_expires_at, refresh_expires_at=draft.refresh_expires_at,
            # the seller's grant lasts as long as its refresh token can be renewed
            authorization_expires_at=draft.refresh_expires_at, shop_name=str(shop.get("name", "")),
            extra={"shop_cipher": str(shop["cipher"]), "open_id": str(tokens.get("open_id", ""))})

    def check_connection(self) -> None:
        # the token service refuses a wrong app key or secret before it looks at the (made-up) code
        try:
            self._token("/api/v2/token/get", auth_code="choso-connection-check", grant_type="authorized_code")
        except RejectedError as refused:
            if any(p.field == "settings" for p in refused.problems):
                raise

    # --- products ------------------------------------------------------------------------------------

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        return mapping.problems(product)

    def _cached(self, key: str, fetch) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = fetch()
            return self._cache[key]

    def _tree(self) -> list[dict[str, Any]]:
        return self._cached("categories", lambda: self._call("GET", f"/product/{V}/categories")["categories"])

    def categories(self) -> list[tuple[str, str]]:
        tree = self._tree()
        return [(str(c["id"]), mapping.path_of(tree, c)) for c in tree if c.get("is_leaf")]

    def suggest_category(self, product: ProductSnapshot) -> str | None:
        found = mapping.suggest_category(self._tree(), product)
        return str(found["id"]) if found else None

    def _product(self, product: ProductSnapshot, sku: str) -> dict[str, Any]:
        categories = self._tree()
        chosen = [c for c in categories if str(c["id"]) == product.category and c.get("is_leaf")]
        if product.category and not chosen:
            raise RejectedError("the chosen TikTok Shop category is gone", [Problem(
                "category", "TikTok Shop không còn danh mục đã chọn; hãy chọn lại danh mục.", "category_unknown")])
        category = chosen[0] if chosen else mapping.suggest_category(categories, product)
        if category is None:
            raise RejectedError("no TikTok Shop category", [Problem("product_group", "TikTok Shop: no category fits")])
        available = self._call("GET", f"/product/{V}/categories/{category['id']}/attributes")["attributes"]
        attribute_list, missing = mapping.attributes(available, product)
        if missing:
            raise RejectedError("TikTok Shop needs more about this product", missing)
        warehouse = self._cached("warehouse", lambda: next(
            w for w in self._call("GET", f"/logistics/{V}/warehouses")["warehouses"] if w.get("is_default")))
        return mapping.to_product(product, category_id=category["id"], image_uris=[],
                                  attribute_list=attribute_list, warehouse_id=warehouse["id"], sku=sku)

    def _upload(self, product: ProductSnapshot) -> list[str]:
        uris = []
        for image in product.images[:mapping.IMAGES_MAX]:
            answer = self._call("POST", f"/product/{V}/images/upload", shop=False,
                                files={"data": ("photo.jpg", self.image_bytes(image), "image/jpeg")},
                                data={"use_case": "MAIN_IMAGE"})
            uris.append(answer["uri"])
        return uris

    def _listing(self, product_id: str) -> RemoteListing:
        return RemoteListing(str(product_id), f"{str(self.settings['shop_url']).rstrip('/')}/view/product/{product_id}")

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        # no idempotency key in the API: the listing's key is the SKU's seller_sku, found again before a retry
        sku = idempotency_key[:50]
        found = self._call("POST", f"/product/{V}/products/search", params={"page_size": 1},
                           body={"seller_skus": [sku]})["products"]
        if found:
            return self._listing(found[0]["id"])
        body = self._product(product, sku)  # refused for what the product lacks before any photo is sent
        body["main_images"] = [{"uri": uri} for uri in self._upload(product)]
        answer = self._call("POST", f"/product/{V}/products", body=body)
        return self._listing(answer["product_id"])

    def _sku_of(self, remote_id: str) -> dict[str, Any]:
        try:
            held = self._call("GET", f"/product/{V}/products/{remote_id}")
        except RejectedError as refused:
            raise RejectedError("the product is gone from TikTok Shop",
                                [Problem("marketplace", "TikTok Shop: the product no longer exists", "not_found")]
                                ) from refused
        return held

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        held = self._sku_of(remote_id)
        sku = held["skus"][0]
        body = self._product(product, sku.get("seller_sku") or idempotency_key[:50])
        self._call("POST", f"/product/{V}/products/{remote_id}/partial_edit", body={
            k: body[k] for k in ("title", "description", "category_id", "product_attributes")})
        self._call("POST", f"/product/{V}/products/{remote_id}/prices/update", body={"skus": [
            {"id": sku["id"], "price": {"amount": str(product.price_vnd), "currency": "VND"}}]})
        self._stock(remote_id, sku, product.stock)
        if held.get("status") != "ACTIVATE":
            self._call("POST", f"/product/{V}/products/activate", body={"product_ids": [remote_id]})
        return self._listing(remote_id)

    def set_stock(self, remote_id: str, stock: int) -> None:
        """The quantity buyers can order on TikTok Shop: every channel shows choso's one stock number."""
        self._stock(remote_id, self._sku_of(remote_id)["skus"][0], stock)

    def _stock(self, remote_id: str, sku: dict[str, Any], stock: int) -> None:
        warehouse = (sku.get("inventory") or [{}])[0].get("warehouse_id")
        self._call("POST", f"/product/{V}/products/{remote_id}/inventory/update", body={"skus": [
            {"id": sku["id"], "inventory": [{"warehouse_id": warehouse, "quantity": max(0, stock)}]}]})

    def unpublish(self, remote_id: str) -> None:
        self._call("POST", f"/product/{V}/products/deactivate", body={"product_ids": [remote_id]})

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        try:
            held = self._call("GET", f"/product/{V}/products/{remote_id}")
        except RejectedError:
            return None
        sku = held["skus"][0]
        stock = sum(int(i.get("quantity", 0)) for i in sku.get("inventory") or [])
        return RemoteProduct(str(held["id"]), held["title"], int(sku["price"]["amount"]), stock,
                             held.get("status") == "ACTIVATE", self._listing(held["id"]).url)

    # --- orders --------------------------------------------------------------------------------------

    def parse_order_notice(self, headers: Mapping[str, str], body: bytes, url: str) -> OrderNotice:
        """An order status change (webhook type 1), signed over the app key and the raw body."""
        expected = signing.webhook_signature(str(self.settings["app_key"]), self.settings["app_secret"], body)
        if not signing.same(expected, headers.get("Authorization", "")):
            raise PermissionError("bad TikTok Shop webhook signature")
        data = json.loads(body)
        shop = str(data["shop_id"])
        if data.get("type") != ORDER_STATUS_CHANGE:
            return OrderNotice(shop)
        return OrderNotice(shop, (str(data["data"]["order_id"]),))

    def fetch_order(self, order_id: str) -> RemoteOrder | None:
        orders = self._call("GET", f"/order/{V}/orders", params={"ids": order_id})["orders"]
        return _remote_order(orders[0]) if orders else None

    def cancel_order(self, order: RemoteOrder, reason: str) -> None:
        """TikTok Shop cancels and tells the buyer (a seller cancellation for want of stock)."""
        self._call("POST", f"/return_refund/{V}/cancellations", body={
            "order_id": order.remote_id, "cancel_reason": CANCEL_REASONS.get(reason, CANCEL_REASONS["out_of_stock"])})

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        found, token = [], ""
        while True:
            params = {"page_size": 50, **({"page_token": token} if token else {})}
            page = self._call("POST", f"/order/{V}/orders/search", params=params,
                              body={"create_time_ge": int(since.timestamp())})
            found += [_remote_order(order) for order in page.get("orders") or []]
            token = page.get("next_page_token") or ""
            if not token:
                return found


ORDER_STATUS_CHANGE = 1
CANCEL_REASONS = {"out_of_stock": "seller_cancel_reason_out_of_stock"}


def _remote_order(order: dict[str, Any]) -> RemoteOrder:
    # TikTok Shop lists one line item per unit sold: counted back into lines per product
    lines: dict[str, list[int]] = {}
    for item in order.get("line_items") or []:
        held = lines.setdefault(str(item["product_id"]), [0, int(str(item.get("sale_price", "0")).split(".")[0])])
        held[0] += int(item.get("quantity", 1))
    address = order.get("recipient_address") or {}
    return RemoteOrder(
        remote_id=str(order["id"]), placed_at=datetime.fromtimestamp(int(order["create_time"]), UTC),
        lines=tuple(RemoteOrderLine(pid, quantity, price) for pid, (quantity, price) in lines.items() if quantity),
        buyer_name=str(address.get("name") or order.get("buyer_name") or ""),
        buyer_phone=str(address.get("phone_number") or ""), address=str(address.get("full_address") or ""))
