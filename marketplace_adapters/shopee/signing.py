"""Shopee Open Platform v2 signatures, as Shopee documents them (docs/marketplaces/shopee.md has the sources).

Every call carries `partner_id`, `timestamp` and `sign` in its query string; `sign` is the lower-case hex
HMAC-SHA256, keyed with the partner key, of a base string that concatenates, with no separator:
  public APIs (authorisation, tokens):  partner_id + api path + timestamp
  shop APIs:                            partner_id + api path + timestamp + access_token + shop_id
The timestamp is in seconds and valid for 5 minutes. Push notifications carry, in their Authorization
header, the hex HMAC-SHA256 of  url + "|" + body  with the same key.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_WINDOW = 300  # seconds either side, as Shopee allows


def base_string(partner_id: int | str, path: str, timestamp: int, access_token: str = "",
                shop_id: int | str = "") -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def sign(partner_key: str, partner_id: int | str, path: str, timestamp: int, access_token: str = "",
         shop_id: int | str = "") -> str:
    message = base_string(partner_id, path, timestamp, access_token, shop_id).encode()
    return hmac.new(partner_key.encode(), message, hashlib.sha256).hexdigest()


def push_signature(partner_key: str, url: str, body: bytes) -> str:
    return hmac.new(partner_key.encode(), url.encode() + b"|" + body, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode(), (given or "").encode())
