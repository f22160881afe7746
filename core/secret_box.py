"""Encryption at rest for secrets in plugin settings (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    key = current_app.config.get("SETTINGS_KEY")
    if not key:
        # Derived, so one secret suffices for a small install; set CHOSO_SETTINGS_KEY to rotate them apart.
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"choso settings").derive(
            current_app.config["SECRET_KEY"].encode())
        key = base64.urlsafe_b64encode(raw)
    return Fernet(key)


def seal(values: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def unseal(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise RuntimeError("stored plugin secrets cannot be decrypted: was the secret key changed? "
                           "Set CHOSO_SETTINGS_KEY to the key they were written with, or enter them again") from exc
