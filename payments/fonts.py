"""The DejaVu fonts every PDF choso prints uses (receipts, bills on paper, figure exports): Vietnamese in full."""

from __future__ import annotations

from payments.vietqr.render import FONT_DIRS


def font_file(bold: bool) -> str:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    raise RuntimeError("receipt PDFs need the DejaVu fonts: apt-get install fonts-dejavu-core")
