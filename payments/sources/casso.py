"""Casso-style (v2) webhooks: `X-Casso-Signature: t=…,v1=…`, HMAC-SHA512 over `t.` + key-sorted compact JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from marshmallow import Schema

from payments.sources.common import vietnam_time, whole_dong
from plugins import BankNotification, PaymentSource, labelled, secret_field

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), f"{timestamp}.{canonical}".encode(), hashlib.sha512).hexdigest()


class CassoSettings(Schema):
    checksum_key = secret_field(**labelled("Khóa checksum (Secure Token)", "Checksum key"))


class CassoSource(PaymentSource):
    name = "casso"
    display_name = "Casso"
    settings_schema = CassoSettings

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        parts = dict(p.split("=", 1) for p in headers.get("X-Casso-Signature", "").split(",") if "=" in p)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit():
            raise PermissionError("no Casso signature")
        # Casso's t is in milliseconds; allow seconds too.
        sent = int(timestamp) / (1000 if len(timestamp) > 11 else 1)
        if abs(time.time() - sent) > TOLERANCE_SECONDS:
            raise PermissionError("stale Casso signature")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PermissionError("unreadable Casso body") from exc
        if not hmac.compare_digest(signature(self.settings["checksum_key"], timestamp, data), given):
            raise PermissionError("bad Casso signature")

    def parse(self, body: bytes) -> list[BankNotification]:
        data = json.loads(body)["data"]
        items = data if isinstance(data, list) else [data]
        return [BankNotification(
            transaction_id=str(item["id"]), amount_vnd=abs(whole_dong(item["amount"])),
            content=item.get("description") or "", occurred_at=vietnam_time(item["transactionDateTime"]),
            incoming=whole_dong(item["amount"]) > 0, account_number=item.get("accountNumber"),
            bank=item.get("bankAbbreviation") or item.get("bankName"), bank_reference=item.get("reference"),
            raw=item) for item in items]
