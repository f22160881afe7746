"""Cash paid at the commune office and recorded there by staff, so the cashless share in the figures is honest."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from payments.providers.vietqr import NoSettings
from plugins.payment import PAY_AT_OFFICE, PENDING, NextStep, PaymentProvider, PaymentRequest, RefundNotSupported


class CashProvider(PaymentProvider):
    identifier = "cash"
    verbose_name = _l("Cash at the commune office")
    settings_schema = NoSettings
    cashless = False
    recorded_by_staff = True

    def start(self, request: PaymentRequest, data: Mapping[str, str]) -> NextStep:
        return NextStep(PAY_AT_OFFICE, PENDING, message=_("Pay at the commune office; staff record it."))

    def refund(self, remote_id: str | None, amount_vnd: int):
        raise RefundNotSupported("cash is handed back at the office")
