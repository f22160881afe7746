"""Issue 18: the OpenAPI document is usable by a third party, not only valid. A typed client generated from
/api/openapi.json by openapi-python-client drives one whole journey over real HTTP: a household lists a
product with a photo and publishes it; a buyer orders and pays by VietQR; staff bill a household."""

import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

from core.testing import run_jobs
from core.testing_server import live_server
from payments.vietqr import decode
from tests.helpers import photo_bytes
from tests.orders.buying import sepay_transfer

GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))


def _generate(client, folder: Path):
    (folder / "openapi.json").write_text(json.dumps(client.get("/api/openapi.json").get_json()))
    (folder / "config.yaml").write_text("project_name_override: choso-client\npackage_name_override: choso_client\n"
                                        "post_hooks: []\n")
    done = subprocess.run([GENERATOR, "generate", "--path", "openapi.json", "--output-path", "out", "--config",
                           "config.yaml"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Warning" not in done.stdout, done.stdout[-3000:]  # every operation and schema understood
    sys.path.insert(0, str(folder / "out"))
    importlib.invalidate_caches()


def test_a_generated_client_lists_publishes_orders_pays_and_bills(app, client, market, sandboxes, factory,
                                                                   tmp_path, db):
    _generate(client, tmp_path)
    from choso_client import AuthenticatedClient, Client
    from choso_client.api.default import (
        create_fee_type,
        create_product,
        get_order,
        issue_bill,
        pay_part,
        place_order,
        product_listings,
        publish_product,
        set_collection_account,
        upload_image,
    )
    from choso_client.models import (
        BillInput,
        CollectionAccount,
        FeeType,
        PayBody,
        PlaceOrder,
        Product,
        Publish,
        UploadImageBody,
    )
    from choso_client.types import File

    try:
        with live_server(app) as base:
            household = AuthenticatedClient(base_url=base, token=factory.token(market.tea_shop.owner))
            made = create_product.sync(client=household, body=Product.from_dict({
                "household_id": market.tea_shop.id, "name": "Chè búp Tân Cương loại 1", "price_vnd": 150000,
                "stock": 12, "net_weight_g": 500, "product_group": "food", "unit": "gói", "status": "active"}))
            assert isinstance(made, Product) and made.id, made
            photo = upload_image.sync(client=household, product_id=made.id, body=UploadImageBody(
                file=File(payload=io.BytesIO(photo_bytes()), file_name="che.jpg", mime_type="image/jpeg")))
            assert getattr(photo, "id", None), photo
            queued = publish_product.sync_detailed(client=household, product_id=made.id,
                                                   body=Publish.from_dict({"marketplaces": ["postmart", "voso"]}))
            assert queued.status_code == 202, queued.content[:500]
            run_jobs(app)
            listings = product_listings.sync(client=household, product_id=made.id)
            assert {item.state for item in listings.items} == {"live"}, listings

            buyer = Client(base_url=base)
            order = place_order.sync(client=buyer, body=PlaceOrder.from_dict({
                "commune_code": "00583", "name": "Chị Mai", "phone": "0912345678", "address": "Thôn 2, Bát Tràng",
                "lines": [{"product_id": made.id, "quantity": 2, "price_vnd": 150000}]}))
            token, part = order.link.rsplit("/", 1)[1], order.parts[0]
            payment = pay_part.sync(client=buyer, token=token, part_id=part.id, body=PayBody(method="vietqr"))
            qr = decode(payment.next_step.qr_payload)
            assert (qr.account, qr.amount) == ("0011001234567", 300000)
            assert sepay_transfer(client, 7777, 300000, f"Mai chuyen tien {part.reference}").status_code == 200
            assert get_order.sync(client=buyer, token=token).parts[0].state == "paid"

            staff = AuthenticatedClient(base_url=base, token=factory.token(market.staff))
            set_collection_account.sync(client=staff, code="00583", body=CollectionAccount.from_dict({
                "bank_bin": "970436", "account_number": "0011009999999", "account_name": "UBND xã Bát Tràng"}))
            fee = create_fee_type.sync(client=staff, code="00583", body=FeeType.from_dict({
                "code": "phi-rac", "name": "Phí thu gom rác", "default_amount_vnd": 30000,
                "legal_basis": "Nghị quyết HĐND"}))
            bill = issue_bill.sync(client=staff, code="00583", body=BillInput.from_dict({
                "fee_type_id": fee.id, "household_id": market.honey_shop.id, "period": "12/2026"}))
            assert bill.amount_vnd == 30000 and bill.reference and bill.state == "open", bill
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [m for m in sys.modules if m == "choso_client" or m.startswith("choso_client.")]:
            del sys.modules[name]
