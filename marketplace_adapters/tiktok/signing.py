"""TikTok Shop Partner API signatures (versioned endpoints such as 202309), as TikTok Shop documents them
(docs/marketplaces/tiktok.md has the sources).

Every call carries `app_key`, `timestamp` (seconds) and `sign` in its query string, and the seller's token in
the `x-tts-access-token` header. `sign` is the lower-case hex HMAC-SHA256, keyed with the app secret, of:
  app_secret + path + every query parameter but `sign` and `access_token`, sorted by name, as name + value
  + the raw body (unless the request is multipart/form-data) + app_secret
Webhooks carry, in their Authorization header, the hex HMAC-SHA256 of app_key + raw body, keyed with the app
secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

TIMESTAMP_WINDOW = 300
_LEFT_OUT = {"sign", "access_token"}


def string_to_sign(app_secret: str, path: str, query: Iterable[tuple[str, str]], body: bytes = b"",
                   multipart: bool = False) -> str:
    pairs = sorted((k, v) for k, v in query if k not in _LEFT_OUT)
    middle = "".join(f"{k}{v}" for k, v in pairs)
    tail = "" if multipart else body.decode()
    return f"{app_secret}{path}{middle}{tail}{app_secret}"


def sign(app_secret: str, path: str, query: Iterable[tuple[str, str]], body: bytes = b"",
         multipart: bool = False) -> str:
    message = string_to_sign(app_secret, path, query, body, multipart).encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode())
