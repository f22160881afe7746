"""What the built-in sources share: Vietnam-time parsing, whole-đồng amounts, and listing-API calls."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from marshmallow import Schema, fields

from core.db import VIETNAM
from plugins.sdk import SourceAuthError, labelled


def vietnam_time(text: str) -> datetime:
    """ "2026-11-25 10:15:00" in Vietnam time (how these services write it) -> an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(UTC)


def whole_dong(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not an amount: {value!r}")
    number = float(value) if isinstance(value, str) else value
    if int(number) != number:
        raise ValueError(f"an amount in đồng has no fraction: {value!r}")
    return int(number)


def vietnam_text(moment: datetime) -> str:
    """An aware datetime as these services' query parameters take it: "YYYY-MM-DD HH:MM:SS", Vietnam time."""
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


# A poll is one of many; waiting longer than this for a rate limit is left to the next poll.
MOST_WAIT_SECONDS = 5.0


def get_json(http: httpx.Client, path: str, *, service: str, params: dict[str, Any],
             headers: dict[str, str]) -> Any:
    """One GET of a listing API. A refused key raises SourceAuthError (staff must enter a new one); a rate
    limit is waited out once or twice (Retry-After, at most a few seconds); anything else raises RuntimeError
    with the status, and the poll is tried again later."""
    for _attempt in range(3):
        with http.stream("GET", path, params=params, headers=headers) as response:
            if response.status_code in (401, 403):
                raise SourceAuthError(f"{service} refused the API key ({response.status_code})")
            if response.status_code == 200:
                body = _read_at_most(response, MOST_BYTES, service)
                break
            if response.status_code != 429:
                raise RuntimeError(f"{service} answered {response.status_code}")
            retry = response.headers.get("Retry-After", "1")
        time.sleep(min(MOST_WAIT_SECONDS, float(retry) if retry.replace(".", "", 1).isdigit() else 1.0))
    else:
        raise RuntimeError(f"{service} kept answering 429 (too many requests)")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RuntimeError(f"{service} answered something that is not JSON") from exc


# One answer of a listing API: 5,000 SePay rows are about 2.5 MB. More is not a bank's answer.
MOST_BYTES = 32 * 1024 * 1024


def _read_at_most(response: httpx.Response, limit: int, service: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise RuntimeError(f"{service} answered more than {limit // 1024 // 1024} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def http_client(base_url: str, timeout: float = 15.0) -> httpx.Client:
    return httpx.Client(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=5),
                        follow_redirects=False)


class ListingSettings(Schema):
    """What the sources that list transactions share: which account to list (empty: every linked one)."""

    account_number = fields.String(load_default="", metadata=labelled(
        "Chỉ lấy giao dịch của số tài khoản", "Fetch only this account number",
        help_vi="Để trống: mọi tài khoản đã liên kết với dịch vụ",
        help_en="Empty: every account linked to the service"))


def api_address(production: str) -> fields.Url:
    return fields.Url(load_default=production, require_tld=False, metadata=labelled("Địa chỉ API", "API address"))
