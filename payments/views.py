"""The payments API: collection account, fees, bills and batches, bank webhooks, reconciliation, receipts."""

from __future__ import annotations

from dataclasses import asdict

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import contained_plugins
from core.api.base import Unauthorized, bp, json_body, load, page, query, require_user
from core.api.spec import operation
from core.db import session
from core.errors import ChosoError, Conflict, Invalid, NotFound
from core.events import plugins
from core.limits import image_limit, refusals_left
from core.models import HouseholdBusiness
from core.services import integrations
from payments import qrcheck, schemas
from payments.bills import reminders  # noqa: F401  (registers the reminder jobs with the queue)
from payments.bills import services as bills
from payments.bills.models import Bill, BillBatch, FeeType
from payments.receipts import services as receipt_services
from payments.receipts.models import Receipt
from payments.reconcile import closing, deliveries, polling, statements
from payments.reconcile import services as reconcile
from payments.reconcile.models import BankTransaction, StatementImport


def _staff(code: str):
    user = require_user()
    bills.require_staff(user, code)
    return user


@bp.put("/communes/<code>/collection-account")
@operation("Set the bank account the commune collects fees into; staff only",
           body=schemas.CollectionAccountSchema, auth=True)
def set_collection_account(code: str):
    user = _staff(code)  # the role first: nobody else learns what the body should hold
    data = load(schemas.CollectionAccountSchema(), json_body())
    account = bills.set_collection_account(session(), user, code, data)
    return jsonify(schemas.CollectionAccountSchema().dump(account))


@bp.get("/communes/<code>/fee-types")
@operation("Fee types of a commune", response=schemas.FeeTypeSchema, many=True, auth=True)
def list_fee_types(code: str):
    _staff(code)
    rows = session().scalars(select(FeeType).where(FeeType.commune_code == code).order_by(FeeType.name))
    return jsonify({"items": schemas.FeeTypeSchema(many=True).dump(rows)})


@bp.post("/communes/<code>/fee-types")
@operation("Define a fee type; staff only", body=schemas.FeeTypeSchema, response=schemas.FeeTypeSchema,
           auth=True, status=201)
def create_fee_type(code: str):
    user = _staff(code)  # the role first: nobody else learns what the body should hold
    data = load(schemas.FeeTypeSchema(), json_body())
    fee = bills.create_fee_type(session(), user, code, data)
    return jsonify(schemas.FeeTypeSchema().dump(fee)), 201


@bp.post("/communes/<code>/bills")
@operation("Issue a bill to a household or a named payer; staff only", body=schemas.BillInputSchema,
           response=schemas.BillSchema, auth=True, status=201)
def issue_bill(code: str):
    user = _staff(code)  # the role first: nobody else learns what the body should hold
    data = load(schemas.BillInputSchema(), json_body())
    bill = bills.issue_bill(session(), user, code, data)
    return jsonify(schemas.BillSchema().dump(bill)), 201


@bp.get("/communes/<code>/bills")
@operation("Bills of a commune; staff only", query=schemas.BillQuerySchema, response=schemas.BillSchema, many=True,
           auth=True)
def list_bills(code: str):
    _staff(code)
    args = query(schemas.BillQuerySchema())
    stmt = select(Bill).where(Bill.commune_code == code).order_by(Bill.id.desc()).options(selectinload(Bill.reminders))
    if args["state"]:
        stmt = stmt.where(Bill.state == args["state"])
    if args["household"]:
        stmt = stmt.where(Bill.household_id == args["household"])
    return page(stmt, schemas.BillSchema(), args["page"], args["per_page"])


@bp.get("/me/bills")
@operation("Bills of the caller's own shops", response=schemas.BillSchema, many=True, auth=True)
def my_bills():
    user = require_user()
    stmt = select(Bill).join(HouseholdBusiness, Bill.household_id == HouseholdBusiness.id).where(
        HouseholdBusiness.owner_id == user.id).order_by(Bill.id.desc()).options(selectinload(Bill.reminders))
    return jsonify({"items": schemas.BillSchema(many=True).dump(session().scalars(stmt))})


@bp.post("/communes/<code>/bill-batches")
@operation("Bill every active household of the commune at once (runs in the background); staff only",
           body=schemas.BatchInputSchema, response=schemas.BatchSchema, auth=True, status=202)
def start_batch(code: str):
    user = _staff(code)  # the role first: nobody else learns what the body should hold
    data = load(schemas.BatchInputSchema(), json_body())
    batch = bills.start_batch(session(), user, code, data)
    return jsonify(schemas.BatchSchema().dump(batch)), 202


@bp.get("/bill-batches/<int:batch_id>")
@operation("Progress and summary of a batch of bills", response=schemas.BatchSchema, auth=True)
def get_batch(batch_id: int):
    batch = session().get(BillBatch, batch_id)
    if batch is None:
        raise NotFound(_("Nothing here."))
    _staff(batch.commune_code)
    return jsonify(schemas.BatchSchema().dump(batch))


def _bill(bill_id: int) -> Bill:
    bill = session().get(Bill, bill_id)
    if bill is None:
        raise NotFound(_("This bill does not exist."))
    _staff(bill.commune_code)
    return bill


@bp.post("/bills/<int:bill_id>/cancel")
@operation("Cancel a bill nobody has paid (bills are never deleted)", body=schemas.CancelSchema,
           response=schemas.BillSchema, auth=True)
def cancel_bill(bill_id: int):
    bill = _bill(bill_id)
    data = load(schemas.CancelSchema(), json_body())
    return jsonify(schemas.BillSchema().dump(bills.cancel_bill(session(), require_user(), bill, data["reason"])))


@bp.get("/bills/by-token/<token>")
@operation("A bill by its public link: amount, status and the QR payload that pays it", response=schemas.BillSchema)
def public_bill(token: str):
    db = session()
    bill = bills.by_token(db, token)
    qr = bills.bill_qr(db, bill)
    return jsonify({**schemas.BillSchema().dump(bill), "qr_payload": qr.payload if qr else None})


@bp.post("/webhooks/payments/<source>/<commune>")
@operation("Bank-transfer notification from a payment source (SePay, Casso, payOS style)", signed=True)
def payment_webhook(source: str, commune: str):
    cls = plugins().payment_sources.get(source)
    db = session()
    settings = integrations.settings_for(db, commune, "payment_source", source) if cls else None
    if settings is None:
        raise NotFound(_("Nothing here."))
    owner = plugins().owners.get(("payment source", source), source)
    handler = contained_plugins.source(cls, settings, owner, commune)
    body = request.get_data()
    try:
        handler.verify(request.headers, body)
    except PermissionError as exc:
        if refusals_left("payment-source", source, commune):
            deliveries.refused(db, commune, source, "webhook", "signature")
        raise Unauthorized(_("The signature of this notification is not valid."),
                           counted_as=("payment-source", source, commune)) from exc
    try:
        notes = handler.parse(body)
    except (ValueError, KeyError, TypeError) as exc:
        if refusals_left("payment-source", source, commune):
            deliveries.refused(db, commune, source, "webhook", "unreadable")
        raise ChosoError(_("The notification could not be read.")) from exc
    reconcile.ingest(db, commune, source, notes)
    answer, status = handler.acknowledge()
    return jsonify(answer), status


@bp.get("/communes/<code>/transactions")
@operation("Bank transfers received; ?state=unmatched is the queue to resolve by hand",
           response=schemas.TransactionSchema, many=True, auth=True)
def list_transactions(code: str):
    _staff(code)
    state = request.args.get("state")
    stmt = select(BankTransaction).where(BankTransaction.commune_code == code).order_by(BankTransaction.id.desc())
    if state:
        stmt = stmt.where(BankTransaction.state == state)
    return jsonify({"items": schemas.TransactionSchema(many=True).dump(session().scalars(stmt.limit(500)))})


def _transaction(txn_id: int) -> BankTransaction:
    txn = session().get(BankTransaction, txn_id)
    if txn is None:
        raise NotFound(_("Nothing here."))
    _staff(txn.commune_code)
    return txn


@bp.post("/transactions/<int:txn_id>/match")
@operation("Match an unmatched transfer to a bill by hand (audit-logged)", body=schemas.MatchSchema, auth=True)
def match_transaction(txn_id: int):
    txn = _transaction(txn_id)
    data = load(schemas.MatchSchema(), json_body())
    bill = session().scalar(select(Bill).where(Bill.reference == data["bill_reference"].strip().upper(),
                                               Bill.commune_code == txn.commune_code))
    if bill is None:
        msg = _("No bill of this commune has this reference.")
        raise Invalid(msg, {"bill_reference": [msg]})
    reconcile.match_by_hand(session(), require_user(), txn, bill)
    return jsonify({"transaction": schemas.TransactionSchema().dump(txn), "bill": schemas.BillSchema().dump(bill)})


@bp.post("/transactions/<int:txn_id>/ignore")
@operation("Set an unmatched transfer aside with a note (audit-logged)", body=schemas.IgnoreSchema, auth=True)
def ignore_transaction(txn_id: int):
    txn = _transaction(txn_id)
    data = load(schemas.IgnoreSchema(), json_body())
    return jsonify(schemas.TransactionSchema().dump(reconcile.ignore(session(), require_user(), txn, data["note"])))


@bp.post("/transactions/<int:txn_id>/rematch")
@operation("Run automatic matching again for a waiting transfer, after fixing its cause (audit-logged)",
           response=schemas.TransactionSchema, auth=True)
def rematch_transaction(txn_id: int):
    txn = _transaction(txn_id)
    return jsonify(schemas.TransactionSchema().dump(reconcile.rematch(session(), require_user(), txn)))


@bp.get("/communes/<code>/deliveries")
@operation("The delivery log: every bank notification and fetched transaction, what became of it and why; "
           "newest first, at most 200", query=schemas.DeliverySearchSchema, response=schemas.DeliverySchema,
           many=True, auth=True)
def list_deliveries(code: str):
    _staff(code)
    wanted = load(schemas.DeliverySearchSchema(), request.args.to_dict())
    rows = deliveries.search(session(), code, **wanted)
    return jsonify({"items": schemas.DeliverySchema(many=True).dump(rows)})


@bp.get("/communes/<code>/payment-sources")
@operation("Bank services switched on: last notification per account, last poll, last error, warning",
           response=schemas.SourceStatusSchema, many=True, auth=True)
def list_payment_sources(code: str):
    _staff(code)
    return jsonify({"items": schemas.SourceStatusSchema(many=True).dump(polling.overview(session(), code))})


@bp.post("/communes/<code>/payment-sources/<source>/poll")
@operation("Ask a bank service now for the transfers its webhooks missed (runs as a job; audited)", auth=True,
           status=202)
def poll_payment_source(code: str, source: str):
    polling.request_poll(session(), _staff(code), code, source)
    return jsonify({"queued": True}), 202


def _close_answer(code: str, day) -> dict:
    found = closing.day_as_it_stands(session(), code, day)
    signed = found.signed
    return schemas.DailyCloseSchema().dump({
        "day": day, "figures": found.figures,
        "signed_by": signed.signed_by.label if signed and signed.signed_by else None,
        "signed_at": signed.signed_at if signed else None, "note": signed.note if signed else None,
        "corrections": [{"key": c.key, "signed": c.signed, "now": c.now} for c in found.corrections]})


@bp.get("/communes/<code>/closes/<day>")
@operation("The daily close of a day (YYYY-MM-DD, Vietnam time): money in per account and what it paid, cash, "
           "receipts, differences; and, once signed off, who signed and what changed since",
           response=schemas.DailyCloseSchema, auth=True)
def get_daily_close(code: str, day: str):
    _staff(code)
    return jsonify(_close_answer(code, closing.parse_day(day)))


@bp.post("/communes/<code>/closes/<day>/sign")
@operation("Sign a day off with its figures as they stand (once per day; audited)", body=schemas.CloseSignSchema,
           response=schemas.DailyCloseSchema, auth=True, status=201)
def sign_daily_close(code: str, day: str):
    user = _staff(code)
    when = closing.parse_day(day)
    data = load(schemas.CloseSignSchema(), json_body())
    closing.sign(session(), user, code, when, data["note"])
    return jsonify(_close_answer(code, when)), 201


@bp.post("/communes/<code>/statements")
@operation("Import a bank statement (CSV: transaction_id, date, amount, content) of `account_number` (default: "
           "the collection account); audited; one that would pay many bills waits for a second staff member",
           response=schemas.StatementImportSchema, auth=True, content="multipart/form-data", status=201)
def import_statement(code: str):
    _staff(code)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(_("Attach a CSV file."), {"file": [_("Attach a CSV file.")]})
    row = statements.start(session(), require_user(), code, upload.read(), request.form.get("account_number"))
    return jsonify(schemas.StatementImportSchema().dump(row)), 201


@bp.get("/communes/<code>/statements")
@operation("Statements imported: who, when, which account and file, what they paid",
           response=schemas.StatementImportSchema, many=True, auth=True)
def list_statements(code: str):
    _staff(code)
    return jsonify({"items": schemas.StatementImportSchema(many=True).dump(statements.past(session(), code))})


@bp.post("/statements/<int:import_id>/confirm")
@operation("Confirm a large statement import (a staff member other than its importer)",
           response=schemas.StatementImportSchema, auth=True)
def confirm_statement(import_id: int):
    row = session().get(StatementImport, import_id)
    if row is None:
        raise NotFound(_("Nothing here."))
    _staff(row.commune_code)
    return jsonify(schemas.StatementImportSchema().dump(statements.confirm(session(), require_user(), row)))


@bp.get("/communes/<code>/receipts")
@operation("Receipts of a commune; staff only", response=schemas.ReceiptSchema, many=True, auth=True)
def list_receipts(code: str):
    _staff(code)
    rows = session().scalars(select(Receipt).where(Receipt.commune_code == code).order_by(
        Receipt.year.desc(), Receipt.number.desc()).limit(500))
    return jsonify({"items": schemas.ReceiptSchema(many=True).dump(rows)})


@bp.post("/receipts/<int:receipt_id>/correct")
@operation("Correct a receipt: a new receipt cancels it; the old one is never changed",
           body=schemas.CorrectSchema, response=schemas.ReceiptSchema, auth=True, status=201)
def correct_receipt(receipt_id: int):
    old = session().get(Receipt, receipt_id)
    if old is None:
        raise NotFound(_("Nothing here."))
    user = _staff(old.commune_code)
    if session().scalar(select(Receipt.id).where(Receipt.cancels_id == old.id)):
        raise Conflict(_("This receipt was already corrected."))
    data = load(schemas.CorrectSchema(), json_body())
    new = receipt_services.correct(session(), old, issued_by_id=user.id, reason=data["reason"],
                                   payer_name=data.get("payer_name"))
    session().commit()
    return jsonify(schemas.ReceiptSchema().dump(new)), 201


@bp.post("/qr/check")
@image_limit("decode")
@operation("Check a VietQR (payload, or a photo in the field 'photo'): does it pay a verified shop account?",
           body=schemas.QRCheckSchema)
def check_qr():
    if request.files.get("photo"):
        payload = qrcheck.payload_from_photo(request.files["photo"].read())
        commune = request.form.get("commune")
    else:
        data = load(schemas.QRCheckSchema(), json_body())
        payload, commune = data["payload"], data["commune"]
    return jsonify(asdict(qrcheck.check(session(), payload, commune)))
