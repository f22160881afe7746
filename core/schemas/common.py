"""Shared schema pieces: strict base schema, money and phone fields, pagination."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.errors import ChosoError, Invalid
from core.i18n import translate_errors
from core.text import normalize_phone

_GROUPED = re.compile(r"^\d{1,3}(?:[.,  ]\d{3})+$")
MAX_VND = 10**12  # a trillion đồng; VietQR amounts allow 13 digits


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


def load_checked(schema: Schema, data: dict[str, Any], *, status_cls: type[ChosoError] = Invalid,
                 **kw: Any) -> dict[str, Any]:
    """Validate with a schema; errors become a field-level ChosoError in the caller's language. The API and the
    staff pages load through this, so a page refuses exactly what the API refuses."""
    try:
        return schema.load(data, **kw)
    except ValidationError as err:
        raise status_cls(_("Some fields are not valid."), translate_errors(err.messages)) from err


_CURRENCY = re.compile(r"\s*(?:đồng|dong|vnđ|vnd|đ|₫|d)\s*$", re.IGNORECASE)
_SCALED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(k|nghìn|nghin|ngàn|ngan|tr|triệu|trieu)$", re.IGNORECASE)
_THOUSANDS = {"k", "nghìn", "nghin", "ngàn", "ngan"}


def parse_dong(text: str) -> int | None:
    """Money as people write it: "12000", "12.000", "12,000", "12.000đ", "12.000 đ", "12 000 VND", "12k",
    "12 nghìn", "1,5tr", "1.5 triệu". None when it is not a whole number of đồng ("12.5", "1,2345k")."""
    from decimal import Decimal, InvalidOperation

    text = _CURRENCY.sub("", text.strip())
    if text.isdigit():
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(r"\D", "", text))
    scaled = _SCALED.match(text)
    if scaled is None:
        return None
    try:
        number = Decimal(scaled.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    amount = number * (1000 if scaled.group(2).lower() in _THOUSANDS else 1_000_000)
    return int(amount) if amount == amount.to_integral_value() else None


def _documented(kwargs: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """`kwargs` with OpenAPI properties (pattern, type, limits) added to the field's metadata, which apispec
    copies into /api/openapi.json: the document then says what the field's own check accepts, so a client
    generated from it sends what is accepted. A schema's own metadata wins."""
    return {**kwargs, "metadata": {**properties, **kwargs.get("metadata", {})}}


class Dong(fields.Field):
    """A whole number of đồng, as `parse_dong` reads it; never a fraction."""

    default_error_messages = {"invalid": _l("Enter a whole number of đồng, without decimals.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_documented(kwargs, type="integer", minimum=0, maximum=MAX_VND))

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            amount = value
        elif isinstance(value, str) and (parsed := parse_dong(value)) is not None:
            amount = parsed
        else:
            raise self.make_error("invalid")
        if not 0 <= amount <= MAX_VND:
            raise ValidationError(_l("Must be between 0 and 1,000,000,000,000 đồng."))
        return amount

    def _serialize(self, value: Any, attr, obj, **kwargs) -> int | None:
        return None if value is None else int(value)


class WholeNumber(fields.Integer):
    """An integer that refuses 1.5 instead of truncating it, and accepts "12" from forms and CSV."""

    default_error_messages = {"invalid": _l("Enter a whole number.")}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


# The largest id a row can have on both databases: ids are INTEGER columns, 32 bits on PostgreSQL (which
# refuses a larger number outright) and 64 on SQLite. A larger one finds nothing.
MAX_ID = 2**31 - 1


def RowId(**kwargs: Any) -> WholeNumber:  # noqa: N802  (reads as a field class in schemas)
    """A reference to a row by its id: a whole number from 1 to MAX_ID, documented as such."""
    return WholeNumber(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Phone(fields.String):
    default_error_messages = {"invalid": _l("Enter a Vietnamese phone number, e.g. 0912345678.")}

    def __init__(self, **kwargs: Any) -> None:  # spaces, dots and dashes are dropped before this is checked
        super().__init__(**_documented(kwargs, pattern=r"^(\+?84|0)[0-9]{9}$", example="0912345678"))

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        phone = normalize_phone(super()._deserialize(value, attr, data, **kwargs))
        if phone is None:
            raise self.make_error("invalid")
        return phone


class AccountNumber(fields.String):
    """A bank account number as people copy it from a card or a statement: spaces, dots and dashes are
    dropped, then 6 to 19 digits. Banks differ (Agribank 13 digits, others 9 to 16, and many now sell chosen
    numbers such as a phone number), so choso checks what every bank shares (digits only, at most the 19
    that NAPAS and VietQR carry) rather than one bank's length, which would refuse real accounts."""

    default_error_messages = {"invalid": _l("An account number has 6 to 19 digits, nothing else.")}

    def __init__(self, **kwargs: Any) -> None:  # spaces, dots and dashes are dropped before this is checked
        super().__init__(**_documented(kwargs, pattern=r"^[0-9]{6,19}$"))
    _SEPARATORS = re.compile(r"[\s.\-]")
    _DIGITS = re.compile(r"^\d{6,19}$")

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        number = self._SEPARATORS.sub("", super()._deserialize(value, attr, data, **kwargs))
        if not self._DIGITS.match(number):
            raise self.make_error("invalid")
        return number


class Period(fields.String):
    """What a bill is for, in time: a month "11/2026" (or "2026-11"), a quarter "Q4/2026" or a year "2026".
    Stored as written in the first form ("MM/YYYY", "Qn/YYYY", "YYYY"), so "month 13" never reaches a bill."""

    default_error_messages = {
        "invalid": _l("Write the period as a month (11/2026), a quarter (Q4/2026) or a year (2026)."),
        "month": _l("A month is 1 to 12."),
        "year": _l("The year must be between 2000 and 2100."),
    }
    _DOCUMENTED = (r"(0?[1-9]|1[0-2])/(20[0-9]{2}|2100)|(20[0-9]{2}|2100)-(0?[1-9]|1[0-2])|Q[1-4]/(20[0-9]{2}|2100)"
                   r"|20[0-9]{2}|2100")  # the written forms; the check also reads "tháng 11/2026", "quý 4 2026"

    def __init__(self, **kwargs: Any) -> None:
        optional = "" if kwargs.get("required") else "?"
        super().__init__(**_documented(kwargs, pattern=f"^({self._DOCUMENTED}){optional}$", example="11/2026"))

    _MONTH = re.compile(r"^(?:(?:tháng|thang|t)\s*)?(\d{1,2})\s*[/.-]\s*(\d{4})$", re.IGNORECASE)
    _ISO = re.compile(r"^(\d{4})-(\d{1,2})$")
    _QUARTER = re.compile(r"^(?:q|quý|quy)\s*([1-4])\s*[/.-]\s*(\d{4})$", re.IGNORECASE)
    _YEAR = re.compile(r"^(?:năm|nam)?\s*(\d{4})$", re.IGNORECASE)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs).strip()
        if not raw and not self.required:
            return ""
        if found := self._ISO.match(raw):
            year, month = found.groups()
        elif found := self._MONTH.match(raw):
            month, year = found.groups()
        elif found := self._QUARTER.match(raw):
            return f"Q{found.group(1)}/{self._year(found.group(2))}"
        elif found := self._YEAR.match(raw):
            return str(self._year(found.group(1)))
        else:
            raise self.make_error("invalid")
        if not 1 <= int(month) <= 12:
            raise self.make_error("month")
        return f"{int(month):02d}/{self._year(year)}"

    def _year(self, text: str) -> int:
        if not 2000 <= int(text) <= 2100:
            raise self.make_error("year")
        return int(text)


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kw) -> fields.String:
    msg = _l("Enter between {min} and {max} characters.") if min_length else _l(
        "Enter at most {max} characters.")
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length, error=msg),
                         **kw)


def bounded(low: int, high: int, **kw) -> WholeNumber:
    return WholeNumber(validate=validate.Range(min=low, max=high, error=_l("Must be between {min} and {max}.")),
                       **kw)


class PageSchema(BaseSchema):
    page = bounded(1, 100_000, load_default=1)
    per_page = bounded(1, 100, load_default=20)


def page_meta(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}
