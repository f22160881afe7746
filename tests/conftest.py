"""Fixtures shared across the suite (choso's own pytest plugin, core.testing, provides the basics)."""

import os
import subprocess
import sys
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from choso_example_marketplace.sandbox import ChoQueSandbox

from core.models import BankAccount
from plugins.sandbox import SandboxControl
from tests.helpers import CREDENTIALS, STRIPE_SETTINGS, free_port, localstripe, photo_bytes, start_sandbox
from tests.orders.buying import SEPAY_KEY


def pytest_configure(config):
    """Each pytest-xdist worker gets a Redis database of its own (gw0 → /15, gw1 → /14, …): the Redis tests
    flush it and count its queue, so two workers sharing one would see each other's jobs. Done here, before
    the test modules are imported, because they read TEST_REDIS_URL at import."""
    # The suite's marketplaces, localstripe and mail servers listen on 127.0.0.1; the processes it starts
    # (gunicorn, workers, choso commands) inherit this.
    os.environ["CHOSO_ALLOW_PRIVATE_ADDRESSES"] = "1"
    url, worker = os.environ.get("TEST_REDIS_URL"), os.environ.get("PYTEST_XDIST_WORKER", "")
    if url and worker.startswith("gw"):
        base, _, _db = url.rpartition("/")
        os.environ["TEST_REDIS_URL"] = f"{base}/{15 - int(worker[2:]) % 8}"


@pytest.fixture
def choque(factory):
    """A running Chợ Quê sandbox, switched on for the test commune."""
    with ChoQueSandbox(api_key="cq-secret-key-0001").running() as sandbox:
        factory.enable_marketplace("choque", {"base_url": sandbox.url, "api_key": "cq-secret-key-0001"})
        sandbox.control = SandboxControl(sandbox.url)
        yield sandbox


def _with_photo(app, db, product):
    from core.services import images
    from core.storage import LocalStorage

    with app.app_context():
        images.add_image(db, LocalStorage(app.config["UPLOAD_DIR"]), product.household.owner, product, photo_bytes())
    return product


@pytest.fixture
def product_with_photo(factory, app, db):
    """An active product with one photo, owned by a household; returns (product, owner token)."""
    product = factory.product(name="Bình gốm men lam", price_vnd=450_000, product_group="handicraft")
    return _with_photo(app, db, product), factory.token(product.household.owner)


@pytest.fixture
def sandboxes(factory):
    """Both built-in marketplaces' sandboxes, running and switched on for the test commune."""
    running = {name: start_sandbox(name) for name in CREDENTIALS}
    try:
        for name, sandbox in running.items():
            factory.enable_marketplace(name, {"base_url": sandbox.url, **CREDENTIALS[name]})
        yield running
    finally:
        for sandbox in running.values():
            sandbox.stop()


@pytest.fixture
def farm_product(factory, app, db):
    """An active food product with weight and a photo, acceptable to every marketplace; (product, token)."""
    product = factory.product(name="Mật ong hoa nhãn Hưng Yên", price_vnd=180_000, stock=20, net_weight_g=500,
                              product_group="food")
    return _with_photo(app, db, product), factory.token(product.household.owner)


@dataclass
class Market:
    tea_shop: object
    honey_shop: object
    tea: object
    honey: object
    staff: object


@pytest.fixture
def market(factory, db):
    """Two households of the test commune, each with a verified bank account and one product;
    VietQR transfers, cash and a SePay-style notification source switched on."""
    shops = []
    accounts = (("Hộ chè Thái", "970436", "0011001234567"), ("Hộ mật ong", "970415", "10987654321"))
    for name, bank_bin, account in accounts:
        owner = factory.user("household", name=f"Chủ {name}")
        owner.email = f"{account}@example.test"
        shop = factory.shop(owner, name=name)
        db.add(BankAccount(household_id=shop.id, bank_bin=bank_bin, account_number=account,
                           account_name=name.upper(), verified=True))
        shops.append(shop)
    db.commit()
    tea = factory.product(shops[0], name="Chè Tân Cương", price_vnd=120_000, stock=10)
    honey = factory.product(shops[1], name="Mật ong hoa nhãn", price_vnd=180_000, stock=6)
    for identifier in ("vietqr", "cash"):
        factory.enable_payment_provider(identifier)
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    return Market(shops[0], shops[1], tea, honey, factory.user("staff"))


@pytest.fixture(scope="session")
def stripe_url():
    """localstripe, a stateful fake Stripe server from PyPI, as a real process on 127.0.0.1 (stopped after)."""
    with localstripe() as url:
        yield url


@pytest.fixture
def card(app, factory, stripe_url):
    """Stripe switched on for the test commune, pointed at the localstripe process."""
    app.config["STRIPE_JS_URL"] = f"{stripe_url}/js.stripe.com/v3/"  # localstripe's stand-in for Stripe.js
    factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": stripe_url})
    return stripe_url


CHOSO = str(Path(sys.executable).with_name("choso"))


@pytest.fixture
def choso(app, choso_database_url, tmp_path):
    """The `choso` command as an operator runs it: a real process against the test database."""
    env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_INSTANCE_PATH": str(tmp_path / "inst"),
           "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"]}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([CHOSO, *args], env=env, capture_output=True, text=True, timeout=240)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


@pytest.fixture
def mailbox(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, stopped after the test; collects what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()  # aiosmtpd checks readiness by connecting, so it needs a real port number
    controller = Controller(Keep(message_class=lambda: message_from_bytes(b"", policy=policy.default)),
                            hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield received
    controller.stop()
