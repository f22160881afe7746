"""The built-in notification sources and payment providers pass the SDK's contract kits, as a third party's
would (plugins.testing: PaymentSourceContract, PaymentProviderContract)."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from payments.providers.cash import CashProvider
from payments.providers.vietqr import VietQRProvider
from payments.sources import casso, payos
from payments.sources.casso import CassoSource
from payments.sources.payos import PayOSSource
from payments.sources.sandbox import CassoSandbox, SePaySandbox
from payments.sources.sepay import SePaySource
from plugins.testing import PaymentProviderContract, PaymentSourceContract
from tests.helpers import sepay_body

KEY = "contract-kit-key-0001"
LIST_KEY = "contract-kit-listing-key-0001"


def _listing(sandbox_class, source_class, settings):
    """A sandbox with one transfer whose webhook was held back; the source listing it; the id its webhook has."""
    with sandbox_class(webhook_key=KEY, api_key=LIST_KEY).running() as sandbox:
        txn = sandbox.transfer(30000, "HD0A7K phi rac", hold=True)
        source = source_class({**settings, "api_url": sandbox.url})
        ids = [n.transaction_id for n in source.parse(sandbox.webhook(txn)[0])]
        now = datetime.now(UTC)
        yield source, now - timedelta(hours=1), now + timedelta(minutes=1), ids


class TestSePay(PaymentSourceContract):
    @pytest.fixture
    def source(self):
        return SePaySource({"api_key": KEY})

    def notification(self):
        return {"Authorization": f"Apikey {KEY}"}, json.dumps(sepay_body(90210, 30000, "HD0A7K phi rac")).encode()

    @pytest.fixture
    def listing(self):
        yield from _listing(SePaySandbox, SePaySource, {"api_key": KEY, "api_token": LIST_KEY})

    def test_a_changed_body_is_refused(self, source):
        pytest.skip("SePay authenticates the sender with a key, not the body with a signature")


class TestCasso(PaymentSourceContract):
    @pytest.fixture
    def source(self):
        return CassoSource({"checksum_key": KEY})

    @pytest.fixture
    def listing(self):
        yield from _listing(CassoSandbox, CassoSource, {"checksum_key": KEY, "api_key": LIST_KEY})

    def notification(self):
        data = {"error": 0, "data": {"id": 8812, "reference": "FT2633", "description": "HD0A7K phi rac",
                                     "amount": 30000, "transactionDateTime": "2026-11-25 10:00:00",
                                     "accountNumber": "0011009999999", "bankAbbreviation": "VCB"}}
        now = str(int(time.time() * 1000))
        return ({"X-Casso-Signature": f"t={now},v1={casso.signature(KEY, now, data)}"},
                json.dumps(data, ensure_ascii=False).encode())


class TestPayOS(PaymentSourceContract):
    @pytest.fixture
    def source(self):
        return PayOSSource({"checksum_key": KEY})

    def notification(self):
        data = {"orderCode": 123, "amount": 30000, "description": "HD0A7K", "accountNumber": "0011009999999",
                "reference": "TF230204212323", "transactionDateTime": "2026-11-25 18:25:00", "currency": "VND",
                "paymentLinkId": "abc", "code": "00", "desc": "Thành công", "counterAccountBankId": None}
        body = {"code": "00", "desc": "success", "success": True, "data": data, "signature": payos.signature(KEY, data)}
        return {}, json.dumps(body, ensure_ascii=False).encode()

    def test_no_credentials_are_refused(self, source):
        pytest.skip("payOS signs the body itself: there is no header to leave out")


class TestVietQR(PaymentProviderContract):
    @pytest.fixture
    def provider(self):
        return VietQRProvider({})


class TestCash(PaymentProviderContract):
    @pytest.fixture
    def provider(self):
        return CashProvider({})
