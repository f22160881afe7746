"""Helpers shared by the test modules: sandboxes of the built-in marketplaces, photos, a fake Stripe server,
the web process as deployed."""

import io
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from plugins.sandbox import SandboxControl

CREDENTIALS = {
    "postmart": {"partner_id": "xa-bat-trang", "partner_key": "pm-test-partner-key"},
    "voso": {"client_id": "xa-bat-trang", "client_secret": "vs-test-client-secret",
             "webhook_secret": "vs-test-webhook-secret"},
}


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 80, 30)).save(out, "JPEG")
    return out.getvalue()


def start_sandbox(name: str, **options):
    from marketplace_adapters.postmart.sandbox import PostmartSandbox
    from marketplace_adapters.voso.sandbox import VosoSandbox

    cls = {"postmart": PostmartSandbox, "voso": VosoSandbox}[name]
    sandbox = cls(**CREDENTIALS[name], **options).start()
    sandbox.control = SandboxControl(sandbox.url)
    return sandbox


@contextmanager
def localstripe():
    """A real localstripe process on 127.0.0.1 (see tests/localstripe_server.py); yields its base URL."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("localstripe_server.py"))],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(proc.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


STRIPE_SETTINGS = {"secret_key": "sk_test_choso_localstripe", "publishable_key": "pk_test_choso_localstripe",
                   "webhook_secret": "whsec_choso_localstripe"}


def card_token(base_url: str, number: str) -> str:
    """What Stripe.js does in the buyer's browser: the card goes to Stripe with the publishable key; choso
    only ever sees the token."""
    import httpx

    r = httpx.post(f"{base_url}/v1/tokens", data={
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2030", "card[cvc]": "123",
        "key": STRIPE_SETTINGS["publishable_key"]})
    r.raise_for_status()
    return r.json()["id"]


def free_port() -> int:
    """A port nobody listens on, on 127.0.0.1, for a server a test starts itself."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SEPAY_KEY = "sepay-secret-key"


def post_sepay(client, body: dict, key: str = SEPAY_KEY):
    """Deliver a SePay notification to the test commune's webhook, signed with the source's API key."""
    return client.post("/api/v1/webhooks/payments/sepay/00583", json=body, headers={"Authorization": f"Apikey {key}"})


def sepay_body(txn_id, amount: int, content: str, *, when: str = "2026-11-25 10:15:00",
               account: str = "0011009999999") -> dict:
    """A SePay-shaped bank notification (REFERENCES.md: its webhook fields), as the source would send it."""
    return {"id": txn_id, "gateway": "Vietcombank", "transactionDate": when, "accountNumber": account,
            "code": None, "content": content, "transferType": "in", "transferAmount": amount,
            "accumulated": 5_000_000, "subAccount": None, "referenceCode": f"MBVCB.{txn_id}"}


def deliver_webhook(url: str, body: dict, api_key: str = SEPAY_KEY, *, seconds: float = 20) -> int:
    """As SePay does: until a 2xx comes back, try again (it retries up to 7 times; here, for `seconds`)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            r = httpx.post(url, json=body, headers={"Authorization": f"Apikey {api_key}"}, timeout=5)
            if r.status_code < 300:
                return r.status_code
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the webhook was never accepted"
        time.sleep(0.05)


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def worker_pids(pid: int) -> list[int]:
    """gunicorn's worker processes (the children of ``pid``), from /proc (no extra package)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def gunicorn_env(app, database_url: str, instance, port: int, workers: int = 2) -> dict[str, str]:
    """The environment of a deployed web process against the test database, bound to 127.0.0.1:`port`."""
    import os

    return {**os.environ, "DATABASE_URL": database_url, "CHOSO_INSTANCE_PATH": str(instance),
            "CHOSO_SECRET_KEY": app.config["SECRET_KEY"], "CHOSO_BIND": f"127.0.0.1:{port}",
            "CHOSO_WEB_WORKERS": str(workers), "CHOSO_LOG_FORMAT": "text", "CHOSO_LOG_LEVEL": "WARNING"}


@contextmanager
def running_gunicorn(env: dict[str, str], *, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     seconds: float = 30) -> Iterator[subprocess.Popen]:
    """The web process as deployed — `gunicorn -c gunicorn.conf.py wsgi:app` from the checkout, bound where
    env's CHOSO_BIND says — yielded once /healthz answers, stopped with SIGTERM afterwards."""
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=Path(__file__).resolve().parent.parent, env=env, stdout=stdout,
                              stderr=stderr)
    try:
        wait_until(lambda: answers(f"http://{env['CHOSO_BIND']}/healthz"), seconds, "gunicorn to answer")
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def make_products(factory, app, db, n: int):
    """A shop with `n` honey products, each with a photo, ready for every marketplace; (shop, products)."""
    from core.services import images
    from core.storage import LocalStorage

    shop = factory.shop()
    made = []
    for i in range(n):
        product = factory.product(shop, name=f"Mật ong rừng số {i}", price_vnd=100_000 + i, net_weight_g=500,
                                  sku=f"MO-{i}")
        with app.app_context():
            images.add_image(db, LocalStorage(app.config["UPLOAD_DIR"]), shop.owner, product, photo_bytes())
        made.append(product)
    return shop, made


def publish_all(app, db, shop, names):
    """The seller taps "publish" on every product of the shop, for the marketplaces named."""
    from sqlalchemy import select

    from core.models import Product
    from core.publishing.services import request_publish

    with app.app_context():
        for product in db.scalars(select(Product).where(Product.household_id == shop.id)):
            assert request_publish(db, shop.owner, product, names) == {}
