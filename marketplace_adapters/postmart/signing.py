"""Postmart request signatures: HMAC-SHA256 over method, path, timestamp and the body's SHA-256."""

from __future__ import annotations

import hashlib
import hmac

MAX_SKEW_SECONDS = 300


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign(partner_key: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    return hmac.new(partner_key.encode(), string_to_sign(method, path, timestamp, body), hashlib.sha256).hexdigest()


def webhook_signature(partner_key: str, body: bytes) -> str:
    return hmac.new(partner_key.encode(), body, hashlib.sha256).hexdigest()


def valid(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected, given)
