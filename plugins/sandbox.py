"""A base for marketplace sandboxes: real HTTP servers on 127.0.0.1 that keep state and misbehave on request.

A sandbox subclass declares its routes (`rules`) and handlers; the base adds what every sandbox needs:
fault injection (forced faults, random 5xx, slow answers, dropped connections), a rate limit answering 429
with Retry-After, idempotency-key bookkeeping, a public page per product (the seller's "live" link),
signed order webhooks, and control endpoints under /_sandbox/ that tests drive through `SandboxControl`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from html import escape
from typing import Any

import httpx
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


class Sandbox:
    """Subclass and set `name`, `rules` (werkzeug Rules whose endpoint names a method) and the handlers."""

    name = "sandbox"
    rules: list[Rule] = []

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, failure_rate: float = 0.0,
                 slow_rate: float = 0.0, slow_seconds: float = 2.0, drop_rate: float = 0.0,
                 rate_limit: float | None = None, seed: int | None = None) -> None:
        self.host, self.port = host, port
        self.failure_rate, self.slow_rate, self.slow_seconds, self.drop_rate = (
            failure_rate, slow_rate, slow_seconds, drop_rate)
        self.rate_limit = rate_limit
        self.random = random.Random(seed)
        self.lock = threading.RLock()
        self.products: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, str] = {}
        self.forced: deque[dict[str, Any]] = deque()
        self.webhook_url: str | None = None
        self.webhook_secret = secrets.token_hex(16)
        # notifications held back (`hold_pushes`), to be delivered late or never: what polling must find
        self.hold_pushes = False
        self.held: list[tuple[bytes, dict[str, str]]] = []
        self.orders: dict[str, dict[str, Any]] = {}  # every order placed, for sandboxes that list them
        self.requests = 0
        self._window: deque[float] = deque()
        self._server = None
        self._thread: threading.Thread | None = None
        self._serial = 0
        controls = [
            Rule("/_sandbox/faults", methods=["POST"], endpoint="control_faults"),
            Rule("/_sandbox/config", methods=["POST"], endpoint="control_config"),
            Rule("/_sandbox/products", methods=["GET"], endpoint="control_products"),
            Rule("/_sandbox/products/<remote_id>", methods=["GET"], endpoint="control_product"),
            Rule("/_sandbox/orders", methods=["POST"], endpoint="control_order"),
            Rule("/_sandbox/webhook-sample", methods=["POST"], endpoint="control_webhook_sample"),
            Rule("/_sandbox/reset", methods=["POST"], endpoint="control_reset"),
            Rule("/_sandbox/pushes", methods=["POST"], endpoint="control_release"),
            Rule("/p/<remote_id>", methods=["GET"], endpoint="public_page"),
        ]
        self.url_map = Map(controls + [r.empty() for r in self.rules])

    # --- life cycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Sandbox:
        self._server = make_server(self.host, self.port, self.wsgi, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}-sandbox",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    @contextmanager
    def running(self) -> Iterator[Sandbox]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def serve_forever(self) -> None:
        self._server = make_server(self.host, self.port, self.wsgi, threaded=True)
        self.port = self._server.server_port
        self._server.serve_forever()

    # --- helpers for subclasses ----------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._serial += 1
            return f"{prefix}{self._serial}"

    def public_url(self, remote_id: str) -> str:
        return f"{self.url}/p/{remote_id}"

    def sign(self, body: bytes) -> str:
        return hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def order_webhook(self, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """Body and headers of an order notification; subclasses use their marketplace's own format."""
        body = json.dumps(order, ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json", "X-Sandbox-Signature": self.sign(body)}

    # --- request handling ----------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._dispatch(request, environ)
        except HTTPException as exc:
            response = json_response({"error": exc.description}, exc.code or 500)
        return response(environ, start_response)

    def _dispatch(self, request: Request, environ) -> Response:
        adapter = self.url_map.bind_to_environ(environ)
        endpoint, args = adapter.match()
        if not endpoint.startswith(("control_", "public_")):
            with self.lock:
                self.requests += 1
            fault = self._fault(environ)
            if fault is not None:
                return fault
        handler = getattr(self, endpoint, None)
        if handler is None:
            raise NotFound()
        return handler(request, **args)

    def _fault(self, environ) -> Response | None:
        with self.lock:
            forced = self.forced.popleft() if self.forced else None
        if forced:
            return self._forced(forced, environ)
        if self.rate_limit and self._over_limit():
            return json_response({"error": "rate limited"}, 429, {"Retry-After": "1"})
        roll = self.random.random()
        if roll < self.drop_rate:
            return self._drop(environ)
        if roll < self.drop_rate + self.failure_rate:
            return json_response({"error": "service unavailable"}, 503)
        if self.random.random() < self.slow_rate:
            time.sleep(self.slow_seconds)
        return None

    def _forced(self, fault: dict[str, Any], environ) -> Response:
        kind = fault.get("kind", "status")
        if kind == "drop":
            return self._drop(environ)
        if kind == "slow":
            time.sleep(float(fault.get("seconds", self.slow_seconds)))
            return None  # type: ignore[return-value]  # the request then proceeds normally
        headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
        return json_response({"error": fault.get("message", "injected fault")}, int(fault.get("status", 503)),
                             headers)

    def _drop(self, environ) -> Response:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return Response(status=503)

    def _over_limit(self) -> bool:
        now = time.monotonic()
        with self.lock:
            while self._window and now - self._window[0] > 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate_limit:
                return True
            self._window.append(now)
            return False

    # --- control endpoints ---------------------------------------------------------------------------

    def control_faults(self, request: Request) -> Response:
        body = request.get_json(force=True)
        with self.lock:
            for _ in range(int(body.get("times", 1))):
                self.forced.append(body)
        return json_response({"queued": len(self.forced)})

    def control_config(self, request: Request) -> Response:
        body = request.get_json(force=True)
        for key in ("failure_rate", "slow_rate", "slow_seconds", "drop_rate", "rate_limit", "webhook_url"):
            if key in body:
                setattr(self, key, body[key])
        return json_response({"ok": True})

    def control_products(self, request: Request) -> Response:
        with self.lock:
            return json_response({"items": list(self.products.values())})

    def control_product(self, request: Request, remote_id: str) -> Response:
        with self.lock:
            product = self.products.get(remote_id)
        return json_response(product) if product else json_response({"error": "no such product"}, 404)

    def control_reset(self, request: Request) -> Response:
        with self.lock:
            self.products.clear()
            self.idempotency.clear()
            self.forced.clear()
            self.held.clear()
            self.orders.clear()
            self.requests = 0
        return json_response({"ok": True})

    def control_order(self, request: Request) -> Response:
        """Place an order for a product, as a buyer on the marketplace would, and notify choso."""
        body = request.get_json(force=True)
        with self.lock:
            product = self.products.get(str(body["remote_id"]))
            if product is None or not product.get("active", True):
                return json_response({"error": "no such product"}, 404)
        order = self.make_order(product, int(body.get("quantity", 1)), body)
        delivered = None
        if self.webhook_url:
            payload, headers = self.order_webhook(order)
            if self.hold_pushes:
                with self.lock:
                    self.held.append((payload, headers))
            else:
                delivered = httpx.post(self.webhook_url, content=payload, headers=headers, timeout=10).status_code
        return json_response({"order": order, "webhook_status": delivered}, 201)

    def control_release(self, request: Request) -> Response:
        """Hold notifications back (`{"hold": true}`), or deliver the ones held (`{"hold": false}`)."""
        self.hold_pushes = bool(request.get_json(force=True).get("hold"))
        delivered = []
        if not self.hold_pushes:
            with self.lock:
                held, self.held = self.held, []
            delivered = [httpx.post(self.webhook_url, content=p, headers=h, timeout=10).status_code for p, h in held]
        return json_response({"delivered": delivered})

    def control_webhook_sample(self, request: Request) -> Response:
        """A signed order notification for a product, returned instead of delivered (the contract kit checks
        the adapter's signature check and its replay handling with it)."""
        body = request.get_json(force=True)
        with self.lock:
            product = self.products.get(body["remote_id"])
        if product is None:
            return json_response({"error": "no such product"}, 404)
        payload, headers = self.order_webhook(self.make_order(product, int(body.get("quantity", 1)), body))
        return json_response({"body": payload.decode(), "headers": headers})

    def make_order(self, product: dict[str, Any], quantity: int, body: dict[str, Any]) -> dict[str, Any]:
        order = {"id": self.new_id("order-"), "product_id": product["id"], "quantity": quantity,
                 "buyer": body.get("buyer", "Khách sandbox"), "phone": body.get("phone", "0912345678"),
                 "address": body.get("address", ""), "state": "placed",
                 "placed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with self.lock:
            self.orders[order["id"]] = order
        return order

    def public_page(self, request: Request, remote_id: str) -> Response:
        with self.lock:
            product = self.products.get(remote_id)
        if product is None or not product.get("active", True):
            return Response("<h1>Không tìm thấy sản phẩm</h1>", 404, mimetype="text/html")
        title = escape(str(product.get("title") or product.get("name") or remote_id))
        return Response(f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{self.name}</p>",
                        mimetype="text/html")


class SandboxControl:
    """Drives a running sandbox's /_sandbox/ endpoints from tests and tools."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def fail(self, status: int = 503, *, times: int = 1, retry_after: float | None = None) -> None:
        self.http.post("/_sandbox/faults", json={"kind": "status", "status": status, "times": times,
                                                 "retry_after": retry_after}).raise_for_status()

    def drop(self, *, times: int = 1) -> None:
        self.http.post("/_sandbox/faults", json={"kind": "drop", "times": times}).raise_for_status()

    def slow(self, seconds: float, *, times: int = 1) -> None:
        """The next request(s) wait `seconds` before they are answered."""
        self.http.post("/_sandbox/faults", json={"kind": "slow", "seconds": seconds, "times": times}
                       ).raise_for_status()

    def configure(self, **settings: Any) -> None:
        self.http.post("/_sandbox/config", json=settings).raise_for_status()

    def products(self) -> list[dict[str, Any]]:
        return self.http.get("/_sandbox/products").json()["items"]

    def product(self, remote_id: str) -> dict[str, Any] | None:
        r = self.http.get(f"/_sandbox/products/{remote_id}")
        return r.json() if r.status_code == 200 else None

    def order(self, remote_id: str, quantity: int = 1, **buyer: Any) -> dict[str, Any]:
        r = self.http.post("/_sandbox/orders", json={"remote_id": remote_id, "quantity": quantity, **buyer})
        r.raise_for_status()
        return r.json()

    def webhook_sample(self, remote_id: str, quantity: int = 1) -> tuple[bytes, dict[str, str]]:
        """A signed order notification for `remote_id`, as the marketplace would send it, not delivered."""
        r = self.http.post("/_sandbox/webhook-sample", json={"remote_id": remote_id, "quantity": quantity})
        r.raise_for_status()
        return r.json()["body"].encode(), r.json()["headers"]

    def reset(self) -> None:
        self.http.post("/_sandbox/reset").raise_for_status()

    def revoke(self, shop_id: str) -> None:
        """Per-seller marketplaces (SDK 1.6): the seller withdraws the authorisation (the sandbox answers
        /_sandbox/revoke)."""
        self.http.post("/_sandbox/revoke", json={"shop_id": shop_id}).raise_for_status()

    def hold_notifications(self, hold: bool = True) -> list[int]:
        """Hold order notifications back, or (hold=False) deliver those held; returns their HTTP statuses."""
        r = self.http.post("/_sandbox/pushes", json={"hold": hold})
        r.raise_for_status()
        return r.json()["delivered"]

    def authorize(self, authorization_url: str, **seller: Any) -> str:
        """Per-seller marketplaces (SDK 1.6): the seller's consent on the marketplace's authorisation page,
        without a browser. Returns the address the seller's browser would be sent back to (the redirect URL
        with the marketplace's code). The sandbox answers /_sandbox/authorize."""
        r = self.http.post("/_sandbox/authorize", json={"url": authorization_url, **seller})
        r.raise_for_status()
        return r.json()["redirect"]
