from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from core.models.households import HOUSEHOLD_STATUSES
from core.schemas.common import BaseSchema, PageSchema, Phone, text
from core.text import fold
from payments.vietqr.banks import all_banks, bank_by_bin

# Household business registration numbers mix the issuing office's letters and a serial.
_REGISTRATION = re.compile(r"^[0-9A-Z][0-9A-Z\-]{5,18}$")
# Enterprise/household tax code: 10 digits, optionally -3 digits for a branch; or a 12-digit personal ID,
# which replaced personal tax codes from 1 July 2025.
_TAX_CODE = re.compile(r"^(\d{10}(-\d{3})?|\d{12})$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{4,19}$")
_HOLDER = re.compile(r"^[A-Z ]{2,80}$")


def _holder_letters() -> str:
    """The characters a holder's name may use, as a regular-expression class: those that the check below
    (accents off, upper case) reads as one letter A-Z: Vietnamese letters with their marks, đ and Đ."""
    letters = [chr(cp) for cp in range(0x41, 0x1EFA) if re.fullmatch("[A-Z]", fold(chr(cp)).upper())]
    ranges, start = [], letters[0]
    for before, after in zip(letters, [*letters[1:], None], strict=True):
        if after is None or ord(after) != ord(before) + 1:
            ranges.append(start if start == before else f"{start}-{before}")
            start = after
    return "".join(ranges)


# The same rule for the API document: at least two such letters, single spaces between words.
_LETTER = f"[{_holder_letters()}]"
HOLDER_PATTERN = f"^ *{_LETTER}( ?{_LETTER})+ *$"


def bank_bin(**kw) -> fields.String:
    """A NAPAS member bank by its BIN (six digits), one of the banks choso knows (the document lists them)."""
    return fields.String(validate=validate.OneOf([b["bin"] for b in all_banks()],
                                                 error=_l("Unknown bank: choose a bank from the NAPAS list.")), **kw)


class OwnerSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class HouseholdSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    commune_code = fields.String(required=True, metadata={
        "pattern": r"^[0-9]{5}$", "description": "the official code of a commune choso serves (GET /api/v1/communes)"})
    owner = fields.Nested(OwnerSchema, dump_only=True)
    owner_phone = Phone(load_only=True, metadata={
        "description": "helpers: the phone of the household the shop is opened for"})
    name = text(120, min_length=2, required=True)
    slug = fields.String(dump_only=True)
    description = text(2000)
    registration_number = fields.String(allow_none=True, metadata={"pattern": _REGISTRATION.pattern})
    tax_code = fields.String(allow_none=True, metadata={"pattern": _TAX_CODE.pattern})
    address = text(250)
    phone = Phone(allow_none=True)
    status = fields.String(validate=validate.OneOf(HOUSEHOLD_STATUSES, error=_l("Choose one of: {choices}.")))
    created_at = fields.DateTime(dump_only=True)

    @validates("registration_number")
    def _registration(self, value: str | None, **_) -> None:
        if value and not _REGISTRATION.match(value.strip().upper()):
            raise ValidationError(_l("A business registration number has 6 to 19 letters and digits."))

    @validates("tax_code")
    def _tax(self, value: str | None, **_) -> None:
        if value and not _TAX_CODE.match(value.strip()):
            raise ValidationError(_l("A tax code has 10 digits (or 10-3 for a branch), or 12 digits."))


class HouseholdQuerySchema(PageSchema):
    commune = fields.String(load_default=None)
    q = fields.String(load_default="")
    mine = fields.Boolean(load_default=False)


class BankAccountSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    household_id = fields.Integer(dump_only=True)
    bank_bin = bank_bin(required=True)
    bank_name = fields.Function(lambda a: (bank_by_bin(a.bank_bin) or {}).get("short_name"), dump_only=True)
    account_number = fields.String(required=True, validate=validate.Regexp(
        _ACCOUNT, error=_l("An account number has 4 to 19 letters or digits, no spaces.")))
    account_name = fields.String(required=True, validate=validate.Length(max=80), metadata={
        "pattern": HOLDER_PATTERN, "description": "as the bank shows it: letters (accents allowed) and spaces"})
    verified = fields.Boolean()

    @validates("account_name")
    def _holder(self, value: str, **_) -> None:
        if not _HOLDER.match(fold(value).upper()):
            raise ValidationError(_l("Write the holder's name as the bank shows it, letters only."))


class NewHouseholdSchema(HouseholdSchema):
    """A shop being opened: it starts active; its status is staff's to change later (PATCH)."""

    class Meta(BaseSchema.Meta):
        exclude = ("status",)


class HelperAssignmentSchema(BaseSchema):
    """A helper allowed to act for a household business (staff assign; the household may withdraw)."""

    id = fields.Integer(dump_only=True)
    household_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    household_name = fields.Function(lambda a: a.household.name, dump_only=True)
    helper_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    helper_name = fields.Function(lambda a: a.helper.label, dump_only=True)
    helper_phone = fields.Function(lambda a: a.helper.phone, dump_only=True)
    commune_code = fields.String(dump_only=True)
    assigned_at = fields.DateTime(dump_only=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)
    end_reason = fields.String(dump_only=True, allow_none=True)
