"""VietQR payloads: NAPAS's profile of the EMVCo merchant-presented QR, encoded and decoded.

A payload is a run of `ID(2) LENGTH(2, decimal) VALUE` fields ending in a CRC-16/CCITT-FALSE (tag 63).
Tag 38 carries the beneficiary: GUID A000000727, the bank's BIN and the account or card number, and the
service (QRIBFTTA to an account, QRIBFTTC to a card). Banking apps mangle diacritics and refuse long
fields, so everything choso writes is plain printable ASCII within the field limits.

Other encoders are read as they are (issue 16.6): widely used ones (vietnam-qr-pay, for one) put Vietnamese
text in the purpose as UTF-8, counting field lengths in characters and the CRC over the UTF-8 bytes, and some
write an amount of 0 for "no amount". Such a payload decodes, with a warning saying what a banking app may do
with it; a broken one (CRC, lengths, GUID, currency) is still refused.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from core.text import fold_ascii

GUID = "A000000727"
SERVICES = {"account": "QRIBFTTA", "card": "QRIBFTTC"}
SERVICE_NAMES = {v: k for k, v in SERVICES.items()}
CURRENCY_VND = "704"
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_CARD = re.compile(r"^[0-9]{12,19}$")
_BIN = re.compile(r"^[0-9]{6}$")
_DIGITS = re.compile(r"[0-9]+")  # fullmatch: "$" would let a trailing newline through
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


class VietQRError(ValueError):
    """A payload that is not a valid VietQR, or a value that cannot be put in one; the message says why."""


# What a banking app may do with a payload that decodes but was not written as choso writes it.
WARN_TEXT = "text_not_ascii"  # Vietnamese letters: some apps show them garbled or drop them
WARN_ZERO_AMOUNT = "zero_amount"  # an amount of 0, read as no amount: the payer types the amount


@dataclass(frozen=True)
class VietQR:
    bank_bin: str
    account: str
    service: str = "account"
    amount: int | None = None
    purpose: str | None = None
    bill_number: str | None = None
    reference: str | None = None
    merchant_name: str | None = None
    merchant_city: str | None = None
    static: bool = True
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)


def crc16(data: str) -> str:
    """Over the UTF-8 bytes: the same as over ASCII for choso's own payloads, and what other encoders use."""
    return f"{binascii.crc_hqx(data.encode('utf-8'), 0xFFFF):04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is {len(value)} characters long; a VietQR field holds at most 99")
    return f"{tag}{len(value):02d}{value}"


def _ascii(name: str, value: str | None, limit: int) -> str | None:
    if value is None or value == "":
        return None
    text = fold_ascii(value)
    if not _PRINTABLE.match(text):
        raise VietQRError(f"{name} has characters banking apps cannot show")
    if len(text) > limit:
        raise VietQRError(f"{name} is {len(text)} characters long; at most {limit} fit in a VietQR")
    return text


def encode(bank_bin: str, account: str, *, amount: int | None = None, purpose: str | None = None,
           service: str = "account", bill_number: str | None = None, reference: str | None = None,
           merchant_name: str | None = None, merchant_city: str | None = None) -> str:
    """The VietQR payload to pay `account` at the bank `bank_bin`; with an amount it is a dynamic QR."""
    if not (isinstance(bank_bin, str) and _BIN.fullmatch(bank_bin)):
        raise VietQRError(f"the bank BIN must be 6 digits, not {bank_bin!r}")
    if service not in SERVICES:
        raise VietQRError(f"service must be 'account' or 'card', not {service!r}")
    pattern = _CARD if service == "card" else _ACCOUNT
    if not isinstance(account, str) or not pattern.match(account):
        kind = "a card number has 12 to 19 digits" if service == "card" else \
            "an account number has 1 to 19 letters or digits, without spaces or signs"
        raise VietQRError(f"{account!r} is not accepted by banks: {kind}")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise VietQRError(f"the amount must be a positive whole number of đồng, not {amount!r}")
        if len(str(amount)) > 13:
            raise VietQRError("the amount has more than 13 digits")
    additional = "".join(_tlv(tag, value) for tag, value in (
        ("01", _ascii("bill number", bill_number, 25)),
        ("05", _ascii("reference", reference, 25)),
        ("08", _ascii("purpose", purpose, 95)),
    ) if value)
    if len(additional) > 99:
        raise VietQRError("purpose, bill number and reference together are too long for a VietQR "
                          f"({len(additional)} of 99 characters)")
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICES[service])
    parts = [
        _tlv("00", "01"),
        _tlv("01", "11" if amount is None else "12"),
        _tlv("38", merchant),
        _tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_tlv("54", str(amount)))
    parts.append(_tlv("58", "VN"))
    if name := _ascii("merchant name", merchant_name, 25):
        parts.append(_tlv("59", name))
    if city := _ascii("merchant city", merchant_city, 15):
        parts.append(_tlv("60", city))
    if additional:
        parts.append(_tlv("62", additional))
    body = "".join(parts) + "6304"
    return body + crc16(body)


def parse_tlv(data: str, where: str = "payload") -> dict[str, str]:
    """Split ID-length-value fields. Lengths count characters (as the encoders that write UTF-8 count them);
    tags and lengths are ASCII digits only (str.isdigit alone would take other scripts' digits)."""
    fields: dict[str, str] = {}
    i, end_of_data = 0, len(data)
    while i < end_of_data:
        tag, size = data[i:i + 2], data[i + 2:i + 4]
        if len(size) < 2 or not (_DIGITS.fullmatch(tag) and _DIGITS.fullmatch(size)):
            raise VietQRError(f"bad field header {data[i:i + 4]!r} at position {i} of the {where}")
        end = i + 4 + int(size)
        if end > end_of_data:
            raise VietQRError(f"field {tag} of the {where} says {size} characters but only "
                              f"{end_of_data - i - 4} follow")
        if tag in fields:
            raise VietQRError(f"field {tag} appears twice in the {where}")
        fields[tag] = data[i + 4:end]
        i = end
    return fields


def decode(payload: str) -> VietQR:
    """Read a VietQR payload from any encoder; raises VietQRError saying exactly what is wrong."""
    if not isinstance(payload, str):
        raise VietQRError("a payload is text")
    payload = payload.strip()
    warnings: list[str] = []
    if not payload.isascii():
        if not payload.isprintable():
            raise VietQRError("the payload holds control characters")
        warnings.append(WARN_TEXT)
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("the payload does not end with a CRC field (6304 and 4 hex digits)")
    expected, given = crc16(payload[:-4]), payload[-4:]
    if given.upper() != expected:
        raise VietQRError(f"wrong CRC: the payload says {given}, its content gives {expected}")
    tags = parse_tlv(payload)
    if tags.get("00") != "01":
        raise VietQRError("field 00 (payload format) must be 01")
    if "38" not in tags:
        if "26" in tags and "A000000775" in tags["26"]:
            raise VietQRError("this is a VNPAY-QR merchant code, not a VietQR transfer")
        raise VietQRError("no field 38: not a VietQR (no NAPAS beneficiary)")
    merchant = parse_tlv(tags["38"], "field 38")
    if merchant.get("00") != GUID:
        raise VietQRError(f"field 38 has GUID {merchant.get('00')!r}, not NAPAS's {GUID}")
    beneficiary = parse_tlv(merchant.get("01", ""), "beneficiary")
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if not _BIN.fullmatch(bank_bin):
        raise VietQRError(f"the bank BIN {bank_bin!r} is not 6 digits")
    if not account:
        raise VietQRError("no account or card number")
    service_code = merchant.get("02", "QRIBFTTA")
    if service_code not in SERVICE_NAMES:
        raise VietQRError(f"unknown VietQR service {service_code!r}")
    if tags.get("53", CURRENCY_VND) != CURRENCY_VND:
        raise VietQRError(f"currency {tags['53']} is not the Vietnamese đồng (704)")
    if "58" in tags and tags["58"] != "VN":
        raise VietQRError(f"country {tags['58']!r} is not VN")
    amount = None
    if "54" in tags:
        if not _DIGITS.fullmatch(tags["54"]):
            raise VietQRError(f"the amount {tags['54']!r} is not a whole number of đồng")
        amount = int(tags["54"]) or None
        if amount is None:
            warnings.append(WARN_ZERO_AMOUNT)
    extra = parse_tlv(tags["62"], "field 62") if "62" in tags else {}
    return VietQR(
        bank_bin=bank_bin, account=account, service=SERVICE_NAMES[service_code], amount=amount,
        purpose=extra.get("08"), bill_number=extra.get("01"), reference=extra.get("05"),
        merchant_name=tags.get("59"), merchant_city=tags.get("60"), static=tags.get("01") != "12",
        tags=MappingProxyType(tags), warnings=tuple(warnings),
    )
