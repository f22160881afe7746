from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from core.models.households import HOUSEHOLD_STATUSES
from core.schemas.common import BaseSchema, PageSchema, Phone, text
from payments.vietqr.banks import bank_by_bin

# Household business registration numbers mix the issuing office's letters and a serial.
_REGISTRATION = re.compile(r"^[0-9A-Z][0-9A-Z\-]{5,18}$")
# Enterprise/household tax code: 10 digits, optionally -3 digits for a branch; or a 12-digit personal ID,
# which replaced personal tax codes from 1 July 2025.
_TAX_CODE = re.compile(r"^(\d{10}(-\d{3})?|\d{12})$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{4,19}$")
_HOLDER = re.compile(r"^[A-Z ]{2,80}$")


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
    bank_bin = fields.String(required=True)
    bank_name = fields.Function(lambda a: (bank_by_bin(a.bank_bin) or {}).get("short_name"), dump_only=True)
    account_number = fields.String(required=True)
    account_name = fields.String(required=True)
    verified = fields.Boolean()

    @validates("bank_bin")
    def _bin(self, value: str, **_) -> None:
        if bank_by_bin(value) is None:
            raise ValidationError(_l("Unknown bank: choose a bank from the NAPAS list."))

    @validates("account_number")
    def _account(self, value: str, **_) -> None:
        if not _ACCOUNT.match(value):
            raise ValidationError(_l("An account number has 4 to 19 letters or digits, no spaces."))

    @validates("account_name")
    def _holder(self, value: str, **_) -> None:
        from core.text import fold

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
