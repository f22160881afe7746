"""The Chợ Quê seller API: an API key header, JSON items, an Idempotency-Key on creation."""

from __future__ import annotations

import httpx
from marshmallow import Schema, fields, validate
from plugins import (
    MarketplaceAdapter,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteProduct,
    TransientError,
    labelled,
    secret_field,
)

from choso_example_marketplace.sandbox import ChoQueSandbox

# Chợ Quê's field names, mapped back to choso's so a seller sees the field of their own form.
FIELDS = {"title": "name", "price": "price_vnd", "quantity": "stock", "photos": "images"}


class Settings(Schema):
    # labelled(): staff read these in their own language on the integrations page
    base_url = fields.Url(required=True, require_tld=False, metadata=labelled("Địa chỉ API", "API address"))
    api_key = secret_field(**labelled("Khóa API", "API key", help_vi="Chợ Quê cấp trong trang người bán.",
                                      help_en="Chợ Quê gives it on the seller page."))
    # a deadline per request, so the contract kit can check that a silent marketplace is a transient failure
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=60),
                                   metadata=labelled("Thời gian chờ (giây)", "Timeout (seconds)"))


class ChoQueAdapter(MarketplaceAdapter):
    name = "choque"
    display_name = "Chợ Quê"
    settings_schema = Settings
    sandbox_class = ChoQueSandbox

    def __init__(self, settings):
        super().__init__(settings)
        self.http = httpx.Client(base_url=self.settings["base_url"], timeout=self.settings.get("timeout_seconds", 10),
                                 headers={"X-Api-Key": self.settings["api_key"]})

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        problems = []
        if not 3 <= len(product.name) <= 80:
            problems.append(Problem("name", "Tên sản phẩm trên Chợ Quê cần từ 3 đến 80 ký tự."))
        if not 1_000 <= product.price_vnd <= 50_000_000:
            problems.append(Problem("price_vnd", "Chợ Quê nhận giá từ 1.000 đến 50.000.000 đồng."))
        if not product.images:
            problems.append(Problem("images", "Chợ Quê cần ít nhất một ảnh sản phẩm."))
        return problems

    def _body(self, product: ProductSnapshot) -> dict:
        return {"title": product.name, "price": product.price_vnd, "quantity": product.stock,
                "photos": [image.url for image in product.images], "seller": product.shop_name}

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransientError(f"Chợ Quê did not answer: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After")
            raise TransientError(f"Chợ Quê answered {response.status_code}",
                                 retry_after=float(retry) if retry else None)
        if response.status_code in (400, 422):
            errors = response.json().get("errors", {})
            raise RejectedError("Chợ Quê refused the item",
                                [Problem(FIELDS.get(k, k), str(v)) for k, v in errors.items()])
        if response.status_code >= 400:
            raise RejectedError(f"Chợ Quê answered {response.status_code}", [Problem("marketplace", response.text)])
        return response

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        item = self._call("POST", "/api/items", json=self._body(product),
                          headers={"Idempotency-Key": idempotency_key}).json()["item"]
        return RemoteListing(item["id"], item["url"], raw=item)

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        item = self._call("PUT", f"/api/items/{remote_id}", json=self._body(product)).json()["item"]
        return RemoteListing(item["id"], item["url"], raw=item)

    def unpublish(self, remote_id: str) -> None:
        self._call("DELETE", f"/api/items/{remote_id}")

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        response = self.http.get(f"/api/items/{remote_id}")
        if response.status_code == 404:
            return None
        item = self._call("GET", f"/api/items/{remote_id}").json()["item"]
        return RemoteProduct(item["id"], item["title"], int(item["price"]), int(item["quantity"]),
                             bool(item["active"]), item["url"])
