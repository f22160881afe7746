import io

import pytest
from choso_example_marketplace.sandbox import ChoQueSandbox
from PIL import Image

from plugins.sandbox import SandboxControl


@pytest.fixture
def choque(factory):
    """A running Chợ Quê sandbox, switched on for the test commune."""
    with ChoQueSandbox(api_key="cq-secret-key").running() as sandbox:
        factory.enable_marketplace("choque", {"base_url": sandbox.url, "api_key": "cq-secret-key"})
        sandbox.control = SandboxControl(sandbox.url)
        yield sandbox


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 80, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def product_with_photo(factory, app, db):
    """An active product with one photo, owned by a household; returns (product, owner token)."""
    from core.services import images
    from core.storage import LocalStorage

    product = factory.product(name="Bình gốm men lam", price_vnd=450_000, product_group="handicraft")
    with app.app_context():
        images.add_image(db, LocalStorage(app.config["UPLOAD_DIR"]), product.household.owner, product, photo_bytes())
    return product, factory.token(product.household.owner)


CREDENTIALS = {
    "postmart": {"partner_id": "xa-bat-trang", "partner_key": "pm-test-key"},
    "voso": {"client_id": "xa-bat-trang", "client_secret": "vs-test-secret", "webhook_secret": "vs-webhook"},
}


def start_sandbox(name: str, **options):
    from marketplace_adapters.postmart.sandbox import PostmartSandbox
    from marketplace_adapters.voso.sandbox import VosoSandbox

    cls = {"postmart": PostmartSandbox, "voso": VosoSandbox}[name]
    sandbox = cls(**CREDENTIALS[name], **options).start()
    sandbox.control = SandboxControl(sandbox.url)
    return sandbox


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
    from core.services import images
    from core.storage import LocalStorage

    product = factory.product(name="Mật ong hoa nhãn Hưng Yên", price_vnd=180_000, stock=20, net_weight_g=500,
                              product_group="food")
    with app.app_context():
        images.add_image(db, LocalStorage(app.config["UPLOAD_DIR"]), product.household.owner, product, photo_bytes())
    return product, factory.token(product.household.owner)
