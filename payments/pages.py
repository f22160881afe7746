"""Payment pages: a bill's public page with its QR, receipts, the QR check, QR images and posters, staff desks."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import labels
from core.auth import policy
from core.auth.current import page_user
from core.db import session, vietnam_today
from core.errors import ChosoError
from core.i18n import money
from core.limits import image_limit
from core.metrics import exports
from core.models import BankAccount, Commune
from core.schemas.common import MAX_ID, load_checked
from core.web.forms import staff_commune
from payments import qrcheck, schemas
from payments.bills import printing
from payments.bills import services as bills
from payments.bills.models import Bill, BillBatch, BillPrint, CollectionAccount, FeeType
from payments.receipts import method_label, pdf
from payments.receipts.models import Receipt
from payments.reconcile import closing, deliveries, polling, statements
from payments.reconcile import services as reconcile
from payments.reconcile.models import BankTransaction, Payment, StatementImport
from payments.vietqr import encode, render
from payments.vietqr.banks import all_banks, bank_by_bin

bp = Blueprint("payments", __name__)
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Transfer:
    """What a buyer types into a banking app when the QR is on the phone that would scan it."""

    bank: str
    account_number: str
    holder: str
    amount_vnd: int
    reference: str


def _image(data: bytes, mimetype: str, key: str, download_as: str = "") -> Response:
    """Images are named by what they encode: a long max-age, and an ETag for revalidation. With ?download=1
    the image comes as a file to save (a banking app then reads the QR from the photo library)."""
    response = Response(data, mimetype=mimetype)
    if download_as and request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{download_as}.{mimetype.split("/")[1][:3]}"'
        key += "download"
    response.set_etag(hashlib.blake2b(key.encode(), digest_size=12).hexdigest())
    response.cache_control.public = True
    response.cache_control.max_age = YEAR if request.args.get("v") else 3600
    return response.make_conditional(request)


def _bank_name(bin_: str) -> str:
    bank = bank_by_bin(bin_)
    return bank["short_name"] if bank else bin_


# --- bills ---------------------------------------------------------------------------------------------

def _bill(token: str) -> Bill:
    try:
        return bills.by_token(session(), token)
    except ChosoError:
        abort(404)


@bp.get("/b/<token>")
def bill_page(token: str):
    db = session()
    bill = _bill(token)
    qr = bills.bill_qr(db, bill)
    paid = db.scalars(select(Receipt).where(Receipt.bill_id == bill.id).order_by(Receipt.number)).all()
    transfer = Transfer(_bank_name(qr.bank_bin), qr.account_number, qr.account_name, bill.outstanding_vnd,
                        bill.reference) if qr else None
    return render_template("payments/bill.html", bill=bill, qr=qr, receipts=paid, transfer=transfer,
                           commune=db.get(Commune, bill.commune_code))


@bp.get("/b/<token>/qr.<fmt>")
@image_limit("render")
def bill_qr_image(token: str, fmt: str):
    bill = _bill(token)
    qr = bills.bill_qr(session(), bill)
    if qr is None or fmt not in ("png", "svg"):
        abort(404)
    caption = render.Caption((_bank_name(qr.bank_bin), qr.account_name, money(bill.outstanding_vnd), bill.reference))
    name = f"vietqr-{bill.reference}"
    if fmt == "svg":
        return _image(render.svg(qr.payload, caption=caption), "image/svg+xml", qr.payload + "svg", name)
    return _image(render.png(qr.payload, caption=caption), "image/png", qr.payload + "png", name)


def _receipt_for(token: str, receipt_id: int) -> tuple[None, Receipt]:
    """A receipt, reached through the link of the bill or the order it belongs to."""
    from core.orders.models import Order, OrderPart

    db = session()
    receipt = db.get(Receipt, receipt_id)
    if receipt is None:
        abort(404)
    if receipt.bill_id is not None:
        owner_token = db.scalar(select(Bill.token).where(Bill.id == receipt.bill_id))
    else:
        owner_token = db.scalar(select(Order.token).join(OrderPart, OrderPart.order_id == Order.id)
                                .where(OrderPart.id == receipt.order_part_id))
    if not owner_token or not hmac.compare_digest(owner_token, token):
        abort(404)
    return None, receipt


def _receipt_context(receipt: Receipt) -> dict:
    db = session()
    return {"receipt": receipt, "commune": db.get(Commune, receipt.commune_code),
            "cancelled_by": db.scalar(select(Receipt).where(Receipt.cancels_id == receipt.id)),
            "cancels": db.get(Receipt, receipt.cancels_id) if receipt.cancels_id else None}


@bp.get("/b/<token>/receipts/<int:receipt_id>")
def receipt_page(token: str, receipt_id: int):
    _bill, receipt = _receipt_for(token, receipt_id)
    return render_template("payments/receipt.html", token=token, method=method_label(receipt.method),
                           **_receipt_context(receipt))


@bp.get("/b/<token>/receipts/<int:receipt_id>.pdf")
@image_limit("render")
def receipt_pdf(token: str, receipt_id: int):
    _bill, receipt = _receipt_for(token, receipt_id)
    context = _receipt_context(receipt)
    rows = [
        (_("Receipt number"), receipt.code),
        (_("Payer"), receipt.payer_name),
        (_("Fee"), receipt.fee_name + (f" ({receipt.period})" if receipt.period else "")),
        (_("Amount"), money(receipt.amount_vnd)),
        (_("In words"), receipt.amount_words),
        (_("Reference"), receipt.reference),
        (_("Paid by"), method_label(receipt.method)),
        (_("Date"), current_app.jinja_env.filters["when"](receipt.issued_at)),
    ]
    note = None
    if context["cancels"]:
        note = _("This receipt corrects and cancels receipt %(code)s: %(reason)s", code=context["cancels"].code,
                 reason=receipt.reason or "")
    if context["cancelled_by"]:
        note = _("Cancelled by receipt %(code)s.", code=context["cancelled_by"].code)
    data = pdf.render(_("RECEIPT"), context["commune"].name, rows, note)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bien-lai-{receipt.year}-{receipt.number}.pdf"'})


# --- a household's static QR, posters, and the anti-fraud check -------------------------------------------

def _public_account(account_id: int) -> BankAccount:
    account = session().get(BankAccount, account_id)
    if account is None or not account.verified or not policy.is_public(account.household):
        abort(404)
    return account


def account_payload(account: BankAccount) -> str:
    return encode(account.bank_bin, account.account_number)


@bp.get("/qr/accounts/<int:account_id>.<fmt>")
@image_limit("render")
def account_qr(account_id: int, fmt: str):
    account = _public_account(account_id)
    payload = account_payload(account)
    caption = render.Caption((_bank_name(account.bank_bin), account.account_name, account.account_number))
    if fmt == "svg":
        return _image(render.svg(payload, caption=caption), "image/svg+xml", payload + "svg")
    if fmt == "png":
        return _image(render.png(payload, caption=caption), "image/png", payload + "png")
    abort(404)


@bp.get("/qr/accounts/<int:account_id>/poster-<paper>.<fmt>")
@image_limit("render")
def account_poster(account_id: int, paper: str, fmt: str):
    account = _public_account(account_id)
    if paper not in ("a6", "a5") or fmt not in ("png", "pdf"):
        abort(404)
    payload = account_payload(account)
    bank = bank_by_bin(account.bank_bin)
    data = render.poster(payload, shop_name=account.household.name, paper=paper.upper(), fmt=fmt,
                         footer=_("Scan with any banking app"),
                         lines=[bank["short_name"] if bank else account.bank_bin, account.account_name,
                                _("Account %(number)s", number=account.account_number)])
    return _image(data, "application/pdf" if fmt == "pdf" else "image/png", f"{payload}{paper}{fmt}")


@bp.route("/qr/check", methods=["GET", "POST"])
@image_limit("decode", methods=["POST"])
def qr_check_page():
    verdict, error = None, None
    if request.method == "POST":
        try:
            photo = request.files.get("photo")
            payload = qrcheck.payload_from_photo(photo.read()) if photo and photo.filename else \
                request.form.get("payload", "").strip()
            if not payload:
                raise ChosoError(_("Paste the text of a QR code or choose a photo of it."))
            verdict = qrcheck.check(session(), payload, request.form.get("commune") or None)
        except ChosoError as exc:
            error = str(exc.message)
    return render_template("payments/qr_check.html", verdict=verdict, error=error), 422 if error else 200


# --- staff desks -----------------------------------------------------------------------------------------

def _staff_commune(code: str) -> Commune:
    return staff_commune(code, bills.may_bill)


@bp.route("/staff/<code>/bills", methods=["GET", "POST"])
@login_required
def staff_bills(code: str):
    commune = _staff_commune(code)
    db = session()
    form, errors, confirm = dict(request.form), {}, None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "account":
                data = load_checked(schemas.CollectionAccountSchema(),
                                    _fields("bank_bin", "account_number", "account_name"))
                bills.set_collection_account(db, current_user, code, data)
                flash(_("Saved."), "info")
            elif action == "fee":
                data = load_checked(schemas.FeeTypeSchema(), {
                    **_fields("code", "name", "legal_basis"),
                    "default_amount_vnd": form.get("default_amount_vnd") or None,
                    "fixed_amount": bool(form.get("fixed_amount"))})
                bills.create_fee_type(db, current_user, code, data)
                flash(_("Saved."), "info")
            elif action == "batch":
                data = load_checked(schemas.BatchInputSchema(), {
                    **_fields("fee_type_id", "period"), "amount_vnd": form.get("amount_vnd") or None})
                # Billing every household is not undone with a click: say how many and how much, then ask.
                plan = bills.batch_plan(db, current_user, code, data)
                if form.get("confirmed") != f"{plan.households}:{plan.total_vnd}":
                    confirm = plan
                else:
                    batch = bills.start_batch(db, current_user, code, data)
                    flash(_("Issuing %(n)d bills; this page shows the progress.", n=batch.total), "info")
            elif action == "print":
                data = load_checked(schemas.BatchInputSchema(only=("fee_type_id", "period")),
                                    _fields("fee_type_id", "period"))
                printing.start(db, current_user, code, data)
                flash(_("Printing the open bills; the file appears below when it is ready."), "info")
            if confirm is None:
                return redirect(url_for("payments.staff_bills", code=code))
        except ChosoError as exc:
            errors = {"action": action, **(exc.fields or {})}
            if not exc.fields:
                flash(str(exc.message), "error")
    status = 422 if errors else 200
    return render_template(
        "payments/staff_bills.html", commune=commune, banks=all_banks(), form=form, errors=errors, confirm=confirm,
        account=db.get(CollectionAccount, code), bank_name=_bank_name,
        fees=db.scalars(select(FeeType).where(FeeType.commune_code == code)).all(),
        batches=db.scalars(select(BillBatch).where(BillBatch.commune_code == code).order_by(BillBatch.id.desc())
                           .limit(5)).all(),
        prints=db.scalars(select(BillPrint).where(BillPrint.commune_code == code).order_by(BillPrint.id.desc())
                          .limit(5)).all(),
        bills=db.scalars(select(Bill).where(Bill.commune_code == code).order_by(Bill.id.desc()).limit(50)).all()
    ), status


@bp.get("/staff/<code>/bills/prints/<int:print_id>.pdf")
@login_required
def bill_print_file(code: str, print_id: int):
    _staff_commune(code)
    try:
        path = printing.file_for(session(), current_user, code, print_id)
    except ChosoError:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"hoa-don-{code}-{print_id}.pdf", max_age=0)


def _fields(*names: str) -> dict[str, str]:
    """The named form fields, stripped; a field left out of the form is left out here (the schema says so)."""
    return {name: request.form[name].strip() for name in names if name in request.form}


# The staff queue says in words why a transfer did not match by itself (the same words as the figures).
REASON_WORDS = labels.WAITED_REASONS


@bp.route("/staff/<code>/transactions", methods=["GET", "POST"])
@login_required
def staff_transactions(code: str):
    commune = _staff_commune(code)
    db = session()
    if request.method == "POST":
        try:
            flash(_staff_action(db, code) or _("Saved."), "info")
        except ChosoError as exc:
            flash(str(exc.message), "error")
        return redirect(url_for("payments.staff_transactions", code=code))
    unmatched = db.scalars(select(BankTransaction).where(BankTransaction.commune_code == code,
                                                         BankTransaction.state == "unmatched")
                           .order_by(BankTransaction.occurred_at)).all()
    return render_template("payments/staff_transactions.html", commune=commune, unmatched=unmatched,
                           reasons=REASON_WORDS, imports=statements.past(db, code),
                           collection=db.get(CollectionAccount, code),
                           sources=polling.overview(db, code, _warnings_of(code)),
                           poll_minutes=current_app.config.get("BANK_POLL_MINUTES", 15))


@bp.get("/staff/<code>/transactions/log")
@login_required
def staff_deliveries(code: str):
    commune = _staff_commune(code)
    db = session()
    form, errors, rows = request.args.to_dict(), {}, []
    try:
        wanted = load_checked(schemas.DeliverySearchSchema(), {k: v.strip() for k, v in form.items()
                                                                if k in ("q", "amount", "day") and v.strip()})
        rows = deliveries.search(db, code, **wanted)
    except ChosoError as exc:
        errors = exc.fields or {}
    waiting = set(db.scalars(select(BankTransaction.id).where(
        BankTransaction.id.in_([d.bank_transaction_id for d in rows if d.bank_transaction_id]),
        BankTransaction.state == "unmatched"))) if rows else set()
    return render_template("payments/staff_deliveries.html", commune=commune, rows=rows, form=form, errors=errors,
                           waiting=waiting, reasons=REASON_WORDS, channels=labels.DELIVERY_CHANNELS,
                           outcomes=labels.DELIVERY_OUTCOMES, refusals=labels.DELIVERY_REFUSALS), 422 if errors else 200


@dataclass(frozen=True)
class ShownCorrection:
    label: str
    signed: str
    now: str


def _shown_corrections(found: list[closing.Correction]) -> list[ShownCorrection]:
    words = labels.CLOSE_WORDS

    def value(key: str, v) -> str:
        if isinstance(v, list):  # (transfers, đồng)
            return f"{v[0]} · {money(v[1])}"
        if v is None:
            return "–"
        return money(v) if key.endswith("amount_vnd") else str(v)
    shown = []
    for c in found:
        kind, _dot, rest = c.key.partition(".")
        if kind == "accounts":
            account, _dot, part = rest.rpartition(".")
            label = f"{words[part]} ({account})"
        elif kind == "cash":
            label = str(words[f"cash_{rest}"])
        else:
            label = f"{words['receipts']}: {rest}"
        shown.append(ShownCorrection(label, value(c.key, c.signed), value(c.key, c.now)))
    return shown


@bp.route("/staff/<code>/close", methods=["GET", "POST"])
@login_required
def staff_close(code: str):
    commune = _staff_commune(code)
    db = session()
    errors: dict = {}
    try:
        day = closing.parse_day(request.values.get("day"))
    except ChosoError as exc:
        day, errors = vietnam_today(), exc.fields or {}
    if request.method == "POST" and not errors:
        try:
            closing.sign(db, current_user, code, day, request.form.get("note", ""))
            flash(_("The day is signed off."), "info")
            return redirect(url_for("payments.staff_close", code=code, day=day.isoformat()))
        except ChosoError as exc:
            flash(str(exc.message), "error")
    found = closing.day_as_it_stands(db, code, day)
    return render_template("payments/staff_close.html", commune=commune, day=day, data=found.figures,
                           signed=found.signed, corrections=_shown_corrections(found.corrections),
                           words=labels.CLOSE_WORDS,
                           close_parts=closing.PARTS, reasons=REASON_WORDS, errors=errors,
                           can_sign=day <= vietnam_today()), 422 if errors else 200


@bp.get("/staff/<code>/close/<day>.<fmt>")
@login_required
def staff_close_file(code: str, day: str, fmt: str):
    commune = _staff_commune(code)
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    try:
        when = closing.parse_day(day)
    except ChosoError:
        abort(404)
    found = closing.day_as_it_stands(session(), code, when)
    return exports.download(closing.report(found, code, commune.name, when, fmt), fmt,
                            f"doi-soat-{code}-{when.isoformat()}.{fmt}")


@bp.app_context_processor
def _source_warnings() -> dict:
    """Staff pages of a commune say when a bank service needs a person (payments.reconcile.polling)."""
    def source_warnings(code: str) -> list:
        try:
            return _warnings_of(code) if policy.is_commune_staff(current_user, code) else []
        except Exception:  # a warning banner must never take a staff page down with it
            current_app.logger.exception("could not work out the bank-service warnings for %s", code)
            return []
    return {"source_warnings": source_warnings}


def _warnings_of(code: str) -> list:
    """The commune's bank-service warnings, worked out once per request (the banner and the transfers page)."""
    known = g.setdefault("choso_source_warnings", {})
    if code not in known:
        known[code] = polling.warnings(session(), code)
    return known[code]


def _form_id(name: str) -> int:
    """A row id from a form: anything that is not one (or is beyond what a database holds) finds nothing."""
    text = request.form.get(name, "").strip()
    if not text.isdigit() or int(text) > MAX_ID:
        abort(404)
    return int(text)


def _staff_action(db, code: str) -> str | None:
    action = request.form.get("action")
    if action == "import":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ChosoError(_("Attach a CSV file."))
        statements.start(db, current_user, code, upload.read(), request.form.get("account_number"))
        return
    if action == "confirm":
        row = db.get(StatementImport, _form_id("import_id"))
        if row is None or row.commune_code != code:
            abort(404)
        statements.confirm(db, current_user, row)
        return
    if action == "poll":
        polling.request_poll(db, current_user, code, request.form.get("source", ""))
        return _("Asking the service for missed transfers; this page shows the result in a minute.")
    txn = db.get(BankTransaction, _form_id("transaction_id"))
    if txn is None or txn.commune_code != code:
        abort(404)
    if action == "rematch":
        txn = reconcile.rematch(db, current_user, txn)
        if txn.state != "matched":
            raise ChosoError(_("It still does not match by itself: %(why)s", why=REASON_WORDS.get(txn.reason, "")))
        return
    if action == "ignore":
        reconcile.ignore(db, current_user, txn, request.form.get("note", ""))
        return
    bill = db.scalar(select(Bill).where(Bill.reference == request.form.get("reference", "").strip().upper(),
                                        Bill.commune_code == code))
    if bill is None:
        raise ChosoError(_("No bill of this commune has this reference."))
    reconcile.match_by_hand(db, current_user, txn, bill)


@bp.get("/dashboard/bills")
@login_required
def my_bills():
    from core.models import HouseholdBusiness

    rows = session().scalars(select(Bill).join(HouseholdBusiness, Bill.household_id == HouseholdBusiness.id).where(
        HouseholdBusiness.owner_id == current_user.id).order_by(Bill.id.desc())).all()
    payments = session().scalars(select(Payment).where(Payment.bill_id.in_([b.id for b in rows]))).all() if rows else []
    return render_template("payments/my_bills.html", bills=rows, payments=payments, viewer_user=page_user())
