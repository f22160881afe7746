"""Shopee Open Platform API v2 as choso uses it: each household authorises its own shop (per-seller, SDK 1.6).

The commune's settings hold the app's partner id and key; `self.seller` holds the household's shop id and
tokens. What each request looks like, and where Shopee documents it: docs/marketplaces/shopee.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

from marketplace_adapters.common import http_client, send
from marketplace_adapters.shopee import mapping, signing
from marketplace_adapters.shopee.sandbox import ShopeeSandbox
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

SANDBOX = "https://openplatform.sandbox.test-stable.shopee.sg"
PRODUCTION = "https://partner.shopeemobile.com"
REFRESH_TOKEN_DAYS = 30  # Shopee: each refresh token lives 30 days and is good once
TOKEN_ERRORS = {"invalid_acceess_token", "invalid_access_token"}  # sic: Shopee spells it "acceess"


class ShopeeSettings(Schema):
    base_url = fields.Url(load_default=SANDBOX, require_tld=False, metadata=labelled(
        "Địa chỉ API", "API address",
        help_vi=f"Mặc định là sandbox của Shopee; khi chạy thật: {PRODUCTION}",
        help_en=f"Shopee's sandbox by default; in production: {PRODUCTION}"))
    shop_url = fields.Url(load_default="https://shopee.vn", require_tld=False, metadata=labelled(
        "Địa chỉ trang shop cho người mua", "Buyer-facing site"))
    partner_id = fields.Integer(required=True, validate=validate.Range(min=1),
                                metadata=labelled("Mã đối tác (partner id)", "Partner id"))
    partner_key = secret_field(**labelled("Khóa đối tác (partner key)", "Partner key"))
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120),
                                   metadata=labelled("Chờ tối đa (giây)", "Timeout (seconds)"))


class ShopeeAdapter(MarketplaceAdapter):
    name = "shopee"
    display_name = "Shopee"
    settings_schema = ShopeeSettings
    sandbox_class = ShopeeSandbox
    per_seller = True

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__(settings)
        self.http = http_client(self.settings)
        self.partner_id = int(self.settings["partner_id"])
        self._categories: list[dict[str, Any]] | None = None
        self._lock = threading.Lock()

    # --- signed calls ------------------------------------------------------------------------------------

    def _query(self, path: str, *, shop: bool) -> dict[str, Any]:
        timestamp = int(time.time())
        query: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": timestamp}
        if shop:
            if self.seller is None:
                raise ConnectionLapsed("Shopee: this household has not connected its shop")
            query.update(access_token=self.seller.access_token, shop_id=self.seller.shop_id)
        query["sign"] = signing.sign(self.settings["partner_key"], self.partner_id, path, timestamp,
                                     query.get("access_token", ""), query.get("shop_id", ""))
        return query

    def _call(self, method: str, path: str, *, shop: bool = True, params: dict | None = None,
              body: dict | None = None, files: dict | None = None) -> dict[str, Any]:
        query = {**(params or {}), **self._query(path, shop=shop)}
        response = send(self.http, method, path, marketplace="Shopee", params=query, json=body, files=files)
        try:
            data = response.json()
        except ValueError as exc:
            raise TransientError(f"Shopee answered {response.status_code} without JSON") from exc
        error = str(data.get("error") or "")
        if not error and response.status_code < 400:
            return data
        message = str(data.get("message") or error or response.status_code)
        if error in TOKEN_ERRORS:
            raise AccessExpired(f"Shopee refused the access token: {message}")
        if error == "error_auth" and shop:
            raise ConnectionLapsed(f"Shopee: {message}")
        if error in ("error_busy", "error_server", "error_inner"):
            raise TransientError(f"Shopee is busy: {message}")
        field = "settings" if error in ("error_sign", "error_param") and "partner" in message.lower() else "marketplace"
        raise RejectedError(f"Shopee refused ({error or response.status_code})",
                            [Problem(field, f"Shopee: {message}", error)])

    # --- connecting a seller's shop ------------------------------------------------------------------

    def authorization_url(self, redirect_url: str) -> str:
        path = "/api/v2/shop/auth_partner"
        query = {**self._query(path, shop=False), "redirect": redirect_url}
        return f"{str(self.settings['base_url']).rstrip('/')}{path}?{urlencode(query)}"

    def complete_authorization(self, query: Mapping[str, str], redirect_url: str) -> SellerConnection:
        code, shop_id = query.get("code", ""), query.get("shop_id", "")
        if not code or not shop_id.isdigit():
            raise RejectedError("Shopee sent no code and shop id",
                                [Problem("marketplace", "Shopee: the authorisation was not completed", "no_code")])
        data = self._call("POST", "/api/v2/auth/token/get", shop=False,
                          body={"code": code, "shop_id": int(shop_id), "partner_id": self.partner_id})
        return self._connection(shop_id, data)

    def refresh_connection(self, connection: SellerConnection) -> SellerConnection:
        try:
            data = self._call("POST", "/api/v2/auth/access_token/get", shop=False, body={
                "refresh_token": connection.refresh_token, "shop_id": int(connection.shop_id),
                "partner_id": self.partner_id})
        except RejectedError as refused:
            if any(p.code == "error_auth" for p in refused.problems):
                raise ConnectionLapsed(f"Shopee no longer accepts this shop's authorisation: {refused}") from refused
            raise
        return self._connection(connection.shop_id, data)

    def _connection(self, shop_id: str, data: dict[str, Any]) -> SellerConnection:
        now = datetime.now(UTC)
        connection = SellerConnection(
            shop_id=str(shop_id), access_token=str(data["access_token"]), refresh_token=str(data["refresh_token"]),
            access_expires_at=now + timedelta(seconds=int(data.get("expire_in", 14400))),
            refresh_expires_at=now + timedelta(days=REFRESH_TOKEN_DAYS))
        # the shop's name and when its authorisation ends, read with the new token (choso sets `seller` itself)
        before, self.seller = self.seller, connection
        try:
            info = self._call("GET", "/api/v2/shop/get_shop_info")
        finally:
            self.seller = before
        expires = info.get("expire_time")
        return replace(connection, shop_name=str(info.get("shop_name", "")),
                       authorization_expires_at=datetime.fromtimestamp(int(expires), UTC) if expires else None)

    def check_connection(self) -> None:
        # a public call signed with the partner key: proves the address and the key without any shop
        self._call("GET", "/api/v2/public/get_shops_by_partner", shop=False, params={"page_size": 1})

    # --- items ---------------------------------------------------------------------------------------

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        return mapping.problems(product)

    def _categories_tree(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._categories is None:
                self._categories = self._call("GET", "/api/v2/product/get_category",
                                              params={"language": "vi"})["response"]["category_list"]
            return self._categories

    def categories(self) -> list[tuple[str, str]]:
        tree = self._categories_tree()
        return [(str(c["category_id"]), mapping.path_of(tree, c)) for c in tree if not c.get("has_children")]

    def suggest_category(self, product: ProductSnapshot) -> str | None:
        found = mapping.suggest_category(self._categories_tree(), product)
        return str(found["category_id"]) if found else None

    def _item(self, product: ProductSnapshot, sku: str, image_ids: list[str]) -> dict[str, Any]:
        tree = self._categories_tree()
        chosen = [c for c in tree if str(c["category_id"]) == product.category and not c.get("has_children")]
        if product.category and not chosen:
            raise RejectedError("the chosen Shopee category is gone", [Problem(
                "category", "Shopee không còn danh mục đã chọn; hãy chọn lại danh mục.", "category_unknown")])
        category = chosen[0] if chosen else mapping.suggest_category(tree, product)
        if category is None:
            raise RejectedError("no Shopee category", [Problem("product_group", "Shopee: no category fits")])
        required = self._call("GET", "/api/v2/product/get_attributes",
                              params={"category_id": category["category_id"]})["response"]["attribute_list"]
        attribute_list, missing = mapping.attributes(required, product)
        if missing:
            raise RejectedError("Shopee needs more about this product", missing)
        channels = self._call("GET", "/api/v2/logistics/get_channel_list")["response"]["logistics_channel_list"]
        return mapping.to_item(product, category_id=category["category_id"], image_ids=image_ids,
                               attribute_list=attribute_list, channels=channels, sku=sku)

    def _upload(self, product: ProductSnapshot) -> list[str]:
        ids = []
        for image in product.images[:mapping.IMAGES_MAX]:
            data = self.image_bytes(image)
            answer = self._call("POST", "/api/v2/media_space/upload_image", shop=False,
                                files={"image": ("photo.jpg", data, "image/jpeg")})
            ids.append(answer["response"]["image_info"]["image_id"])
        return ids

    def _listing(self, item_id: Any) -> RemoteListing:
        shop = self.seller.shop_id if self.seller else ""
        return RemoteListing(str(item_id), f"{str(self.settings['shop_url']).rstrip('/')}/product/{shop}/{item_id}")

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        # Shopee has no idempotency key: the listing's key is the item's SKU, found again before adding twice
        sku = idempotency_key[:100]
        found = self._call("GET", "/api/v2/product/search_item",
                           params={"item_sku": sku, "page_size": 1})["response"]["item_id_list"]
        if found:
            return self._listing(found[0])
        item = self._item(product, sku, [])  # refused for what the product lacks before any photo is sent
        item["image"] = {"image_id_list": self._upload(product)}
        answer = self._call("POST", "/api/v2/product/add_item", body=item)
        return self._listing(answer["response"]["item_id"])

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        item_id = int(remote_id)
        current = self._call("GET", "/api/v2/product/get_item_base_info",
                             params={"item_id_list": item_id})["response"]["item_list"]
        if not current:
            raise RejectedError("the item is gone from Shopee",
                                [Problem("marketplace", "Shopee: the item no longer exists", "not_found")])
        item = self._item(product, str(current[0].get("item_sku") or idempotency_key[:100]), [])
        self._call("POST", "/api/v2/product/update_item", body={
            "item_id": item_id, **{k: item[k] for k in ("item_name", "description", "category_id", "attribute_list",
                                                        "weight")}})
        self._call("POST", "/api/v2/product/update_price",
                   body={"item_id": item_id, "price_list": [{"original_price": product.price_vnd}]})
        self.set_stock(remote_id, product.stock)
        if current[0].get("item_status") == "UNLIST":
            self._call("POST", "/api/v2/product/unlist_item",
                       body={"item_list": [{"item_id": item_id, "unlist": False}]})
        return self._listing(item_id)

    def set_stock(self, remote_id: str, stock: int) -> None:
        """The quantity buyers can order on Shopee: every channel shows choso's one stock number."""
        self._call("POST", "/api/v2/product/update_stock", body={
            "item_id": int(remote_id), "stock_list": [{"model_id": 0, "seller_stock": [{"stock": max(0, stock)}]}]})

    def unpublish(self, remote_id: str) -> None:
        self._call("POST", "/api/v2/product/unlist_item",
                   body={"item_list": [{"item_id": int(remote_id), "unlist": True}]})

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        items = self._call("GET", "/api/v2/product/get_item_base_info",
                           params={"item_id_list": remote_id})["response"]["item_list"]
        if not items:
            return None
        item = items[0]
        price = int((item.get("price_info") or [{}])[0].get("original_price", 0))
        stock = int(((item.get("stock_info_v2") or {}).get("summary_info") or {}).get("total_available_stock", 0))
        return RemoteProduct(str(item["item_id"]), item["item_name"], price, stock, item.get("item_status") == "NORMAL",
                             self._listing(item["item_id"]).url)

    # --- orders --------------------------------------------------------------------------------------

    def parse_order_notice(self, headers: Mapping[str, str], body: bytes, url: str) -> OrderNotice:
        """An order status push (code 3), signed over the callback URL and the body with the partner key."""
        expected = signing.push_signature(self.settings["partner_key"], url, body)
        if not signing.same(expected, headers.get("Authorization", "")):
            raise PermissionError("bad Shopee push signature")
        data = json.loads(body)
        shop = str(data["shop_id"])
        if data.get("code") != ORDER_STATUS_PUSH:
            return OrderNotice(shop)  # another push (authorisation, updates): nothing to read
        return OrderNotice(shop, (str(data["data"]["ordersn"]),))

    def fetch_order(self, order_id: str) -> RemoteOrder | None:
        found = self._details([order_id])
        return found[0] if found else None

    def cancel_order(self, order: RemoteOrder, reason: str) -> None:
        """Shopee cancels and tells the buyer; "out_of_stock" is Shopee's OUT_OF_STOCK reason."""
        self._call("POST", "/api/v2/order/cancel_order", body={
            "order_sn": order.remote_id, "cancel_reason": CANCEL_REASONS.get(reason, "OUT_OF_STOCK"),
            "item_list": [{"item_id": int(line.remote_product_id), "model_id": 0} for line in order.lines]})

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        """Orders created since `since`, in windows of at most 15 days as Shopee allows, page by page."""
        now, start, numbers = int(time.time()), int(since.timestamp()), []
        while start < now:
            end, cursor = min(now, start + ORDER_WINDOW), ""
            while True:
                page = self._call("GET", "/api/v2/order/get_order_list", params={
                    "time_range_field": "create_time", "time_from": start, "time_to": end, "page_size": 100,
                    "cursor": cursor})["response"]
                numbers += [o["order_sn"] for o in page.get("order_list") or []]
                if not page.get("more"):
                    break
                cursor = page["next_cursor"]
            start = end
        return [order for i in range(0, len(numbers), 50) for order in self._details(numbers[i:i + 50])]

    def _details(self, numbers: list[str]) -> list[RemoteOrder]:
        orders = self._call("GET", "/api/v2/order/get_order_detail", params={
            "order_sn_list": ",".join(numbers),
            "response_optional_fields": "item_list,recipient_address,buyer_username"})["response"]["order_list"]
        return [_remote_order(order) for order in orders]


ORDER_STATUS_PUSH = 3
CANCEL_REASONS = {"out_of_stock": "OUT_OF_STOCK"}
ORDER_WINDOW = 15 * 86400  # Shopee lists orders over at most 15 days per call


def _remote_order(order: dict[str, Any]) -> RemoteOrder:
    lines: dict[str, list[int]] = {}
    for item in order.get("item_list") or []:
        held = lines.setdefault(str(item["item_id"]), [0, int(item.get("model_discounted_price")
                                                                or item.get("model_original_price") or 0)])
        held[0] += int(item.get("model_quantity_purchased", 0))
    address = order.get("recipient_address") or {}
    return RemoteOrder(
        remote_id=str(order["order_sn"]), placed_at=datetime.fromtimestamp(int(order["create_time"]), UTC),
        lines=tuple(RemoteOrderLine(item_id, quantity, price) for item_id, (quantity, price) in lines.items()
                    if quantity > 0),
        buyer_name=str(address.get("name") or order.get("buyer_username") or ""),
        buyer_phone=str(address.get("phone") or ""), address=str(address.get("full_address") or ""))
