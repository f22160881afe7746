"""Schemas of the payments API (fees, bills, transactions, receipts, QR check)."""

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from core.schemas.common import AccountNumber, BaseSchema, Dong, PageSchema, Period, Phone, RowId, WholeNumber, text
from core.schemas.households import bank_bin
from payments.bills.states import STATES


class CollectionAccountSchema(BaseSchema):
    bank_bin = bank_bin(required=True)
    account_number = AccountNumber(required=True)
    account_name = text(80, min_length=2, required=True)


class FeeTypeSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{1,39}$", error=_l("Use 2 to 40 lower-case letters, digits or dashes.")))
    name = text(150, min_length=2, required=True)
    default_amount_vnd = Dong(allow_none=True, metadata={
        "description": "needed (at least 1 đồng) when fixed_amount is true, the default; else 422"})
    fixed_amount = fields.Boolean(load_default=True)
    legal_basis = text(2000)
    active = fields.Boolean(dump_only=True)


class BillInputSchema(BaseSchema):
    fee_type_id = RowId(required=True)
    household_id = RowId(allow_none=True, metadata={"description": "a shop of this commune (else 422)"})
    payer_name = text(120, allow_none=True, metadata={"description": "needed when household_id is not given"})
    payer_phone = Phone(allow_none=True)
    amount_vnd = Dong(allow_none=True)
    period = Period(load_default="")
    due_on = fields.Date(allow_none=True)


class BatchInputSchema(BaseSchema):
    fee_type_id = RowId(required=True)
    amount_vnd = Dong(allow_none=True)
    period = Period(required=True)
    due_on = fields.Date(allow_none=True)


class ReminderSchema(BaseSchema):
    kind = fields.String(metadata={"description": "due_soon or overdue"})
    due_on = fields.Date()
    sent_at = fields.DateTime()
    emailed = fields.Boolean(metadata={"description": "whether it went to the household by e-mail"})


class BillSchema(BaseSchema):
    id = fields.Integer()
    reference = fields.String()
    fee_type_id = fields.Integer()
    fee_name = fields.Function(lambda b: b.fee_type.name)
    household_id = fields.Integer(allow_none=True)
    payer_name = fields.String()
    period = fields.String()
    amount_vnd = fields.Integer()
    paid_vnd = fields.Integer()
    outstanding_vnd = fields.Integer()
    due_on = fields.Date(allow_none=True)
    state = fields.String()
    link = fields.Function(lambda b: f"/b/{b.token}")
    issued_at = fields.DateTime()
    reminders = fields.List(fields.Nested(ReminderSchema))


class BillQuerySchema(PageSchema):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    household = RowId(load_default=None)


class BatchSchema(BaseSchema):
    id = fields.Integer()
    fee_type_id = fields.Integer()
    period = fields.String()
    amount_vnd = fields.Integer()
    total = fields.Integer()
    issued = fields.Integer()
    skipped = fields.Integer()
    state = fields.String()


class CancelSchema(BaseSchema):
    reason = text(300, required=True, min_length=3)


class TransactionSchema(BaseSchema):
    id = fields.Integer()
    source = fields.String()
    transaction_id = fields.String()
    amount_vnd = fields.Integer()
    content = fields.String()
    occurred_at = fields.DateTime()
    state = fields.String()
    note = fields.String(allow_none=True)
    account_number = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={
        "description": "why it waits for a person: no_reference, unknown_reference, wrong_account"})
    statement_import_id = fields.Integer(allow_none=True)


class StatementImportSchema(BaseSchema):
    id = fields.Integer()
    account_number = fields.String()
    file_sha256 = fields.String()
    rows = fields.Integer()
    state = fields.String(metadata={"description": "waiting (for a second staff member) or applied"})
    imported_by = fields.Function(lambda r: r.imported_by.label if r.imported_by else None)
    confirmed_by = fields.Function(lambda r: r.confirmed_by.label if r.confirmed_by else None)
    outcome = fields.Dict()
    created_at = fields.DateTime()
    applied_at = fields.DateTime(allow_none=True)


class MatchSchema(BaseSchema):
    bill_reference = fields.String(required=True)


class IgnoreSchema(BaseSchema):
    note = text(300, required=True, min_length=3)


class ReceiptSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    payer_name = fields.String()
    fee_name = fields.String()
    period = fields.String()
    amount_vnd = fields.Integer()
    amount_words = fields.String()
    reference = fields.String()
    method = fields.String()
    issued_at = fields.DateTime()
    cancels_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)


class CorrectSchema(BaseSchema):
    reason = text(300, required=True, min_length=3)
    payer_name = text(120, allow_none=True)


class QRCheckSchema(BaseSchema):
    payload = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    commune = fields.String(load_default=None)


class DeliverySchema(BaseSchema):
    id = fields.Integer()
    at = fields.DateTime()
    source = fields.String()
    channel = fields.String(metadata={"description": "webhook, poll, statement, or staff (matching run again)"})
    transaction_id = fields.String(allow_none=True, metadata={"description": "the source's own id"})
    bank_transaction_id = fields.Integer(allow_none=True)
    amount_vnd = fields.Integer(allow_none=True)
    account_number = fields.String(allow_none=True)
    content = fields.String()
    outcome = fields.String(metadata={
        "description": "matched, unmatched, ignored (money going out), duplicate, refused, rematched"})
    reason = fields.String(allow_none=True)


class DeliverySearchSchema(BaseSchema):
    q = fields.String(load_default="", validate=validate.Length(max=120), metadata={
        "description": "part of the transfer text, or the source's or bank's transaction id"})
    amount = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10**13))
    day = fields.Date(load_default=None, allow_none=True, metadata={"description": "the day it arrived, Vietnam time"})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        ("matched", "unmatched", "ignored", "duplicate", "refused", "rematched")))


class AccountSeenSchema(BaseSchema):
    source = fields.String()
    account_number = fields.String(allow_none=True)
    last_webhook_at = fields.DateTime(allow_none=True)
    last_found_at = fields.DateTime(allow_none=True, metadata={
        "description": "the last transfer a poll found that no webhook had brought"})


class SourceStatusSchema(BaseSchema):
    source = fields.String()
    display_name = fields.String()
    can_poll = fields.Boolean()
    last_poll_at = fields.DateTime(allow_none=True)
    last_ok_at = fields.DateTime(allow_none=True)
    found_last = fields.Integer()
    last_error = fields.String(allow_none=True)
    auth_failed = fields.Boolean()
    warning = fields.String(allow_none=True)
    accounts = fields.List(fields.Nested(AccountSeenSchema))


class CloseSignSchema(BaseSchema):
    note = fields.String(load_default="", validate=validate.Length(max=300))


class DailyCloseSchema(BaseSchema):
    day = fields.Date()
    figures = fields.Dict(metadata={"description": "accounts (per account number: in, bills, orders, unmatched, "
                                                   "ignored, out as [transfers, đồng]), cash, receipts, differences"})
    signed_by = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
    corrections = fields.List(fields.Dict(), metadata={
        "description": "figures that changed since the sign-off: key, signed, now"})
