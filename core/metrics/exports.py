"""A view's table as CSV (UTF-8 with BOM, so spreadsheets read Vietnamese), XLSX, or a printable PDF report."""

from __future__ import annotations

from core.spreadsheets import csv_bytes, xlsx_bytes
from payments.fonts import font_file

# fpdf2 (and openpyxl, in core.spreadsheets) are imported where a file is written: together they take a second
# to import, which every web process, worker and `choso` command would otherwise pay at start-up.

Table = tuple[list[str], list[list[object]]]

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def download(data: bytes, fmt: str, name: str):
    """A file of one of these formats, offered for saving under `name`."""
    from flask import Response

    return Response(data, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def to_csv(table: Table) -> bytes:
    return csv_bytes(*table)


def to_xlsx(table: Table, sheet: str) -> bytes:
    return xlsx_bytes(*table, sheet)


def to_pdf(title: str, subtitle: str, table: Table, note: str = "") -> bytes:
    """An A4 report: the commune and month, then one line per indicator."""
    from fpdf import FPDF

    header, rows = table
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", font_file(False))
    pdf.add_font("DejaVu", "B", font_file(True))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = [70, 40, 40, 30][:len(header)]
    pdf.set_font("DejaVu", "B", 9)
    for width, text in zip(widths, header, strict=False):
        pdf.cell(width, 7, str(text), border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for row in rows:
        for width, value in zip(widths, row, strict=False):
            pdf.cell(width, 6, str(value if value is not None else "")[:48], border=1)
        pdf.ln()
    if note:
        pdf.ln(4)
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
