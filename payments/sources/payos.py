"""payOS-style webhooks: the body's `data` is signed with HMAC-SHA256 over its sorted `key=value&…` pairs."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema

from payments.sources.common import vietnam_time, whole_dong
from plugins import BankNotification, PaymentSource, labelled, secret_field


def _value(value: Any) -> str:
    """How payOS writes one value in the signed string (as its official SDK does)."""
    if value is None or value in ("undefined", "null"):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [dict(sorted(item.items())) if isinstance(item, dict) else item for item in value]
        return json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def signature(checksum_key: str, data: dict) -> str:
    query = "&".join(f"{key}={_value(data[key])}" for key in sorted(data))
    return hmac.new(checksum_key.encode(), query.encode(), hashlib.sha256).hexdigest()


class PayOSSettings(Schema):
    checksum_key = secret_field(**labelled("Khóa checksum", "Checksum key"))


class PayOSSource(PaymentSource):
    name = "payos"
    display_name = "payOS"
    settings_schema = PayOSSettings

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        try:
            payload = json.loads(body)
            data, given = payload["data"], str(payload.get("signature", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise PermissionError("unreadable payOS body") from exc
        if not hmac.compare_digest(signature(self.settings["checksum_key"], data), given):
            raise PermissionError("bad payOS signature")

    def parse(self, body: bytes) -> list[BankNotification]:
        data = json.loads(body)["data"]
        return [BankNotification(
            transaction_id=str(data.get("reference") or data["orderCode"]), amount_vnd=whole_dong(data["amount"]),
            content=data.get("description") or "", occurred_at=vietnam_time(data["transactionDateTime"]),
            account_number=data.get("accountNumber"), bank_reference=data.get("reference"), raw=data)]

    def acknowledge(self) -> tuple[dict[str, Any], int]:
        return {"error": 0, "message": "ok"}, 200
