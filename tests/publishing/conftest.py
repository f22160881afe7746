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
