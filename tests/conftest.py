"""Fixtures shared across the suite (choso's own pytest plugin, core.testing, provides the basics)."""

import pytest
from choso_example_marketplace.sandbox import ChoQueSandbox

from plugins.sandbox import SandboxControl
from tests.helpers import CREDENTIALS, photo_bytes, start_sandbox


@pytest.fixture
def choque(factory):
    """A running Chợ Quê sandbox, switched on for the test commune."""
    with ChoQueSandbox(api_key="cq-secret-key").running() as sandbox:
        factory.enable_marketplace("choque", {"base_url": sandbox.url, "api_key": "cq-secret-key"})
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
