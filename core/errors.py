"""Domain errors raised by services; the API turns them into JSON, the pages into flashed messages."""

from __future__ import annotations

from typing import Any


class ChosoError(Exception):
    status = 400

    def __init__(self, message: Any, fields: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class Invalid(ChosoError):
    status = 422


class Forbidden(ChosoError):
    status = 403


class NotFound(ChosoError):
    status = 404


class Conflict(ChosoError):
    status = 409


class Unavailable(ChosoError):
    """A service choso depends on (a payment gateway) did not answer; nothing was changed, try again."""

    status = 503
