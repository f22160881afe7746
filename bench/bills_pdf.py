"""Bills on paper at commune scale: one PDF of N open bills (six to an A4 page, each with its VietQR drawn as
vector squares), as the print job makes it.

    .venv/bin/python bench/bills_pdf.py [--bills 2000]

Prints the seconds for the whole PDF and the pages per second, against the target of issue 16.8 (2,000 bills
within 60 s on 2 cores), and, side by side, the same PDF with each QR placed as a PNG image rendered by segno
(the peer writer; what printing would cost without choso's own drawing). A sample of the PDF's QR codes is
rasterised (pdftoppm, Debian poppler-utils) and decoded back with zxing-cpp when pdftoppm is installed.
Reference figures on a 2-core machine of this kind (2026-12-04): see CHANGELOG.md, "Measured".
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bills(n: int) -> list[tuple[SimpleNamespace, str]]:
    from payments.bills.references import new_reference
    from payments.vietqr import encode

    fee = SimpleNamespace(name="Phí thu gom rác sinh hoạt")
    rows = []
    for i in range(n):
        reference = new_reference("00583")
        bill = SimpleNamespace(fee_type=fee, period="12/2026", payer_name=f"Hộ kinh doanh Nguyễn Văn {i}",
                               outstanding_vnd=30000 + (i % 7) * 5000, due_on=date(2026, 12, 31),
                               reference=reference)
        rows.append((bill, encode("970436", "0011009999999", amount=bill.outstanding_vnd, purpose=reference)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=2000)
    args = parser.parse_args()

    from flask import Flask
    from flask_babel import Babel

    from payments.bills import printing

    app = Flask(__name__)  # gettext and date formats need an app; choso's own is not needed for drawing
    Babel(app, default_locale="vi")
    account = SimpleNamespace(bank_bin="970436", account_number="0011009999999", account_name="UBND xã Bát Tràng")
    rows = bills(args.bills)
    with app.app_context():
        start = time.perf_counter()
        data = printing.render(rows, "Xã Bát Tràng", account, lambda n: print(f"  {n} bills drawn", end="\r"))
        ours = time.perf_counter() - start
        print()
        peer = peer_seconds(rows[:min(300, len(rows))]) * len(rows) / min(300, len(rows))
    pages = -(-len(rows) // (printing.COLUMNS * printing.ROWS))
    verdict = "meets" if ours <= 60 * len(rows) / 2000 else "misses"
    print(f"choso: {len(rows):,} bills, {pages:,} pages, {len(data) / 1e6:.1f} MB in {ours:.1f} s "
          f"({pages / ours:.0f} pages/s) — {verdict} the target (2,000 bills within 60 s)")
    print(f"peer (each QR a segno PNG placed as an image, timed on 300 bills and scaled): {peer:.1f} s "
          f"for {len(rows):,} bills, {peer / ours:.1f}x choso's time")
    check_scans(data, rows)


def peer_seconds(rows) -> float:
    import segno
    from fpdf import FPDF

    from payments.fonts import font_file

    start = time.perf_counter()
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", font_file(False))
    pdf.set_font("DejaVu", "", 9)
    for n, (bill, payload) in enumerate(rows):
        if n % 6 == 0:
            pdf.add_page()
        out = io.BytesIO()
        segno.make(payload, error="m", micro=False).save(out, kind="png", scale=8, border=4)
        x, y = (n % 2) * 105 + 6, ((n % 6) // 2) * 99 + 20
        pdf.image(io.BytesIO(out.getvalue()), x, y, 38, 38)
        pdf.set_xy(x + 41, y)
        pdf.multi_cell(55, 4, f"{bill.payer_name}\n{bill.outstanding_vnd} đ\n{bill.reference}")
    pdf.output()
    return time.perf_counter() - start


def check_scans(data: bytes, rows) -> None:
    import zxingcpp
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bills.pdf"
        path.write_bytes(data)
        try:
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "2", str(path), f"{folder}/page"],
                           check=True, capture_output=True)
        except FileNotFoundError:
            print("scans: not checked (install poppler-utils for pdftoppm)")
            return
        found = [r.text for page in sorted(Path(folder).glob("page*.png"))
                 for r in zxingcpp.read_barcodes(Image.open(page))]
    wanted = [payload for _bill, payload in rows[:12]]
    print(f"scans: {len(set(found) & set(wanted))} of the first {len(wanted)} QR codes decode back from 150-dpi pages")


if __name__ == "__main__":
    main()
