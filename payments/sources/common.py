"""What the built-in sources share: Vietnam-time parsing and whole-đồng amounts."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import VIETNAM


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
