"""Bills on paper, for households without a smartphone (issue 16.7).

Staff print every open bill of a fee and period as one A4 PDF: six bills to a page with cut lines, each with
the household, fee, period, the amount still owed in figures and in Vietnamese words, the due date, the
reference and the QR code that pays it. A job makes the file and counts its progress, so a commune of
thousands of households is printed in the background; the file is kept in the instance folder (it names
people and amounts, so it is never under /uploads) and only the commune's staff download it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import Invalid, NotFound
from core.i18n import money
from core.jobs.queue import enqueue, handler
from core.models import Commune, User
from core.services import audit
from core.storage import LocalStorage
from payments.bills import states
from payments.bills.models import Bill, BillPrint, CollectionAccount
from payments.bills.references import grouped
from payments.bills.services import bill_qr, fee_type, require_staff
from payments.fonts import font_file
from payments.vietqr.banks import bank_by_bin
from payments.vietqr.render import matrix
from payments.words import amount_in_words

PRINT_JOB = "bills.print"
COLUMNS, ROWS = 2, 3  # six bills to an A4 page: 105 × 99 mm each, a QR of 38 mm scans from a phone or a desk
CELL_W, CELL_H = 105.0, 99.0
QR_MM = 38.0
PROGRESS_EVERY = 60


def store() -> LocalStorage:
    """The printed files, in the instance folder (never under /uploads, which anyone may read)."""
    return LocalStorage(Path(current_app.config["INSTANCE_PATH"]) / "prints")


def _open_bills(commune_code: str, fee_type_id: int, period: str):
    return select(Bill).where(Bill.commune_code == commune_code, Bill.fee_type_id == fee_type_id,
                              Bill.period == period, Bill.state.in_(states.PAYABLE))


def start(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> BillPrint:
    """Queue the PDF of every open bill of a fee and period; refused when there is none or no account."""
    require_staff(actor, commune_code)
    fee = fee_type(db, commune_code, data["fee_type_id"])
    if db.get(CollectionAccount, commune_code) is None:
        raise Invalid(_("Set the commune's collection account first: the bills' QR codes pay into it."))
    total = db.scalar(select(func.count()).select_from(
        _open_bills(commune_code, fee.id, data["period"]).subquery())) or 0
    if not total:
        msg = _("No open bill of this fee for %(period)s.", period=data["period"])
        raise Invalid(msg, {"period": [msg]})
    run = BillPrint(commune_code=commune_code, fee_type_id=fee.id, period=data["period"], total=total,
                    created_by_id=actor.id)
    db.add(run)
    db.flush()
    enqueue(db, PRINT_JOB, {"print_id": run.id}, key=f"print:{run.id}")
    audit.record(db, actor, "bills.print", "bill_print", run.id, commune_code=commune_code,
                 details={"fee": fee.code, "period": run.period, "bills": total})
    db.commit()
    return run


def file_for(db: Session, actor: User, commune_code: str, print_id: int) -> Path:
    """The finished PDF, for the commune's staff only."""
    require_staff(actor, commune_code)
    run = db.get(BillPrint, print_id)
    if run is None or run.commune_code != commune_code or run.state != "done" or not run.file_name:
        raise NotFound(_("Nothing here."))
    return store().local_path(run.file_name)


@handler(PRINT_JOB)
def run_print(db: Session, payload: dict[str, Any]) -> None:
    """Make the PDF (again, if a worker died half-way: the file is written whole or not at all)."""
    run = db.get(BillPrint, payload["print_id"])
    if run is None or run.state == "done":
        return
    bills = list(db.scalars(_open_bills(run.commune_code, run.fee_type_id, run.period)
                            .order_by(Bill.payer_name, Bill.id)))
    commune = db.get(Commune, run.commune_code)
    account = db.get(CollectionAccount, run.commune_code)
    rows = []
    for bill in bills:
        qr = bill_qr(db, bill)
        if qr is not None:
            rows.append((bill, qr.payload))

    def progress(done: int) -> None:
        run.done = done
        db.commit()

    data = render(rows, commune.name if commune else run.commune_code, account, progress)
    name = store().save(f"bills-{run.commune_code}-{run.id}.pdf", data)  # written whole or not at all
    run.file_name, run.total, run.done = name, len(rows), len(rows)
    run.state, run.finished_at = "done", utcnow()
    db.commit()


def render(rows: list[tuple[Bill, str]], commune_name: str, account: CollectionAccount | None,
           progress: Callable[[int], None] = lambda _n: None) -> bytes:
    """The PDF: six bills to an A4 page, dashed cut lines between them, each QR drawn as vector squares."""
    from fpdf import FPDF  # loaded when bills are printed, not at every start-up

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", font_file(False))
    pdf.add_font("DejaVu", "B", font_file(True))
    bank = (bank_by_bin(account.bank_bin) or {}).get("short_name", account.bank_bin) if account else ""
    per_page = COLUMNS * ROWS
    for n, (bill, payload) in enumerate(rows):
        if n % per_page == 0:
            pdf.add_page()
            _cut_lines(pdf)
        col, row = n % COLUMNS, (n % per_page) // COLUMNS
        _bill(pdf, col * CELL_W, row * CELL_H, bill, payload, commune_name, bank, account)
        if (n + 1) % PROGRESS_EVERY == 0:
            progress(n + 1)
    if not rows:
        pdf.add_page()
    return bytes(pdf.output())


def _cut_lines(pdf) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=2)
    for k in range(1, COLUMNS):
        pdf.line(k * CELL_W, 0, k * CELL_W, 297)
    for k in range(1, ROWS):
        pdf.line(0, k * CELL_H, 210, k * CELL_H)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0, 0, 0)


def _bill(pdf, x: float, y: float, bill: Bill, payload: str, commune: str, bank: str,
          account: CollectionAccount | None) -> None:
    left, width = x + 6, CELL_W - 12
    pdf.set_xy(left, y + 6)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.cell(width, 4, commune, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 5, f"{bill.fee_type.name} — {bill.period}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 4.5, _("Payer: %(name)s", name=bill.payer_name), new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 1
    _qr(pdf, payload, left, top, QR_MM)
    text_x, text_w = left + QR_MM + 3, width - QR_MM - 3
    due = format_date(bill.due_on, "dd/MM/yyyy") if bill.due_on else "—"
    lines = [
        ("B", 12, money(bill.outstanding_vnd)),
        ("", 7.5, amount_in_words(bill.outstanding_vnd)),
        ("", 8, _("Due: %(date)s", date=due)),
        ("", 8, _("Transfer text:")),
        ("B", 10, grouped(bill.reference)),
    ]
    pdf.set_xy(text_x, top)
    for style, size, text in lines:
        pdf.set_x(text_x)
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(text_w, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(left, top + QR_MM + 2)
    pdf.set_font("DejaVu", "", 7.5)
    if account is not None:
        pdf.multi_cell(width, 3.8, _("Scan with any banking app, or transfer to %(bank)s %(number)s (%(holder)s) "
                                     "with the transfer text above. You may also pay in cash at the commune "
                                     "office.", bank=bank, number=account.account_number,
                                     holder=account.account_name), new_x="LMARGIN", new_y="NEXT")


def _qr(pdf, payload: str, x: float, y: float, size: float) -> None:
    """The QR as filled squares (a run of dark modules in a row is one rectangle): sharp at any printer's
    resolution, and far faster than placing an image per bill. The matrix carries its own quiet zone."""
    modules = matrix(payload)
    unit = size / len(modules)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * unit, y + r * unit, (c - start) * unit, unit, style="F")
            else:
                c += 1
