"""Receipts as PDF (fpdf2, with DejaVu Sans for Vietnamese text)."""

from __future__ import annotations

from payments.fonts import font_file


def render(title: str, commune: str, rows: list[tuple[str, str]], note: str | None = None) -> bytes:
    """One A5 page: the commune, the receipt's title and number, then label/value rows."""
    from fpdf import FPDF  # imported when a receipt is printed, not at every start-up (see core/metrics/exports.py)

    pdf = FPDF(format=(148, 210))  # A5 in millimetres
    pdf.add_font("DejaVu", "", font_file(False))
    pdf.add_font("DejaVu", "B", font_file(True))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, commune, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for label, value in rows:
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(45, 7, label)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    if note:
        pdf.ln(3)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

