"""Bank transfer by VietQR to the household's own verified account; reconciliation recognises it by reference."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from payments.vietqr import encode
from plugins.payment import PENDING, SHOW_QR, NextStep, PaymentProvider, PaymentRequest


class NoSettings(Schema):
    pass


class VietQRProvider(PaymentProvider):
    identifier = "vietqr"
    verbose_name = _l("Bank transfer (VietQR)")
    settings_schema = NoSettings

    def is_available(self, request: PaymentRequest) -> bool:
        return bool(request.payee.bank_bin and request.payee.account_number)

    def start(self, request: PaymentRequest, data: Mapping[str, str]) -> NextStep:
        # The reference comes first: banking apps cut long texts from the end.
        payload = encode(request.payee.bank_bin, request.payee.account_number, amount=request.amount_vnd,
                         purpose=f"{request.reference} DH{request.payment_id}")
        return NextStep(SHOW_QR, PENDING, qr_payload=payload,
                        message=_("Scan the code with any banking app; the amount and reference are filled in."))
