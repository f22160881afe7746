"""VietQR images that scan: PNG and SVG codes with an optional caption, and printable stall posters.

Error correction M by default and a 4-module quiet zone, as scanners expect. Posters are drawn at 300 dpi
(A6 or A5) and saved as PNG or PDF; every kind is decoded back by a real decoder in the tests.

The modules come from zxing-cpp's QR writer (C++; choso already depends on zxing-cpp to read codes): it
renders about ten times as many codes per second as `qrcode` or `segno`, which spend most of their time
choosing the mask pattern in Python (bench/vietqr.py measures all three side by side).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFont, ImageOps

LEVELS = ("L", "M", "Q", "H")
QUIET_ZONE = 4
DPI = 300
PAPER_MM = {"A6": (105, 148), "A5": (148, 210)}
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
VIETQR_RED, NAPAS_BLUE = (218, 37, 29), (0, 84, 166)


@dataclass(frozen=True)
class Caption:
    lines: tuple[str, ...]


def _modules(payload: str, level: str) -> Image.Image:
    """The code as a greyscale image, one pixel per module (0 dark, 255 light), quiet zone included."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    try:
        code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
        pixels = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    except (AttributeError, ValueError, RuntimeError):  # a zxing-cpp without the writer (before 2.3)
        return _modules_by_qrcode(payload, level)
    height, width = pixels.shape
    bare = Image.frombuffer("L", (width, height), pixels.tobytes(), "raw", "L", 0, 1)
    return ImageOps.expand(bare, border=QUIET_ZONE, fill=255)


def _modules_by_qrcode(payload: str, level: str) -> Image.Image:
    """The same with the pure-Python `qrcode`, its mask fixed (choosing one is most of its time)."""
    import qrcode

    qr = qrcode.QRCode(error_correction=getattr(qrcode.constants, f"ERROR_CORRECT_{level}"), border=QUIET_ZONE,
                       box_size=1, mask_pattern=0)
    qr.add_data(payload, optimize=0)
    qr.make(fit=True)
    rows = qr.get_matrix()
    image = Image.new("L", (len(rows), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image


def matrix(payload: str, level: str = "M") -> list[list[bool]]:
    """Rows of modules, True for dark, with the quiet zone."""
    image = _modules(payload, level)
    n, data = image.width, image.tobytes()
    return [[data[y * n + x] < 128 for x in range(n)] for y in range(n)]


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    """DejaVu Sans (Vietnamese glyphs, Debian's fonts-dejavu-core), else Pillow's own font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)


def code_image(payload: str, *, scale: int = 8, level: str = "M") -> Image.Image:
    modules = _modules(payload, level).convert("1")
    return modules.resize((modules.width * scale, modules.height * scale), Image.NEAREST)


def _with_caption(code: Image.Image, caption: Caption | None) -> Image.Image:
    if not caption or not caption.lines:
        return code
    size = max(14, code.width // 22)
    line_height = int(size * 1.5)
    out = Image.new("RGB", (code.width, code.height + line_height * len(caption.lines) + size), "white")
    out.paste(code.convert("RGB"), (0, 0))
    draw = ImageDraw.Draw(out)
    for i, line in enumerate(caption.lines):
        draw.text((code.width // 2, code.height + i * line_height), line, fill="black", anchor="ma",
                  font=font(size, bold=i == 0))
    return out


def png(payload: str, *, scale: int = 8, level: str = "M", caption: Caption | None = None) -> bytes:
    out = io.BytesIO()
    # zlib's default level, not optimize=True: that would make each code 11% smaller and three times slower
    _with_caption(code_image(payload, scale=scale, level=level), caption).save(out, "PNG")
    return out.getvalue()


def svg(payload: str, *, level: str = "M", caption: Caption | None = None) -> bytes:
    cells = matrix(payload, level)
    n = len(cells)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(cells) for x, dark in enumerate(row) if dark)
    lines = caption.lines if caption else ()
    height = n + (len(lines) * 3 + 1 if lines else 0)
    bold = ' font-weight="bold"'
    texts = "".join(
        f'<text x="{n / 2}" y="{n + 2.2 + i * 3}" font-size="2" text-anchor="middle" '
        f'font-family="DejaVu Sans, sans-serif"{bold if i == 0 else ""}>{_xml(line)}</text>'
        for i, line in enumerate(lines))
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {height}" width="{n * 8}" '
           f'height="{height * 8}" shape-rendering="crispEdges" role="img" aria-label="VietQR">'
           f'<rect width="{n}" height="{height}" fill="#fff"/><path d="{path}" fill="#000"/>{texts}</svg>')
    return doc.encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def poster(payload: str, *, shop_name: str, lines: Sequence[str], footer: str, paper: str = "A6",
           fmt: str = "png") -> bytes:
    """A stall poster in the VietQR/NAPAS colours: the shop's name, the code, and who gets the money."""
    if paper not in PAPER_MM:
        raise ValueError(f"paper must be one of {', '.join(PAPER_MM)}")
    if fmt not in ("png", "pdf"):
        raise ValueError("fmt must be png or pdf")
    width, height = (round(mm / 25.4 * DPI) for mm in PAPER_MM[paper])
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    band = height // 9
    draw.rectangle([0, 0, width, band], fill=VIETQR_RED)
    draw.text((width // 2, band // 2), "VietQR", fill="white", anchor="mm", font=font(band // 2, bold=True))
    draw.text((width // 2, band + band // 2), _fit(draw, shop_name, width * 0.9, band // 3),
              fill="black", anchor="mm", font=font(band // 3, bold=True))
    scale = int(min(width * 0.78, height * 0.5) // _modules(payload, "M").width)
    code = code_image(payload, scale=scale).convert("RGB")
    top = band * 2
    page.paste(code, ((width - code.width) // 2, top))
    y = top + code.height + band // 6
    for i, line in enumerate(lines):
        size = band // 4 if i == 0 else band // 5
        draw.text((width // 2, y), _fit(draw, line, width * 0.9, size), fill="black", anchor="ma",
                  font=font(size, bold=i == 0))
        y += int(size * 1.45)
    draw.rectangle([0, height - band // 2, width, height], fill=NAPAS_BLUE)
    draw.text((width // 2, height - band // 4), f"NAPAS 247 · {footer}", fill="white", anchor="mm",
              font=font(band // 7))
    out = io.BytesIO()
    if fmt == "pdf":
        page.save(out, "PDF", resolution=DPI)
    else:
        page.save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, max_width: float, size: int) -> str:
    """Shorten `text` with an ellipsis until it fits on one line."""
    while text and draw.textlength(text, font=font(size, bold=True)) > max_width:
        text = text[:-2].rstrip() + "…" if len(text) > 2 else ""
    return text
