"""Every image choso decodes goes through one guarded path, and anonymous image work is rate limited (issue 13.6).

The bomb is the one from review: a small PNG declaring 12000×12000 pixels (432 MB once decoded, more once
converted), posted to the anonymous "is this QR genuine?" check of a real gunicorn process."""

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

from core.models import BankAccount
from payments.vietqr import encode, render
from tests.helpers import free_port, gunicorn_env, running_gunicorn, worker_pids


def _png_bomb(side: int = 12000) -> bytes:
    """An RGB PNG of side×side black pixels, written by hand so the test itself never holds the pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * side)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def _check(base: str, data: bytes, name: str):
    import httpx

    return httpx.post(f"{base}/api/v1/qr/check", files={"photo": (name, data, "image/png")}, timeout=60)


def test_a_png_bomb_is_refused_before_decoding_and_the_server_stays_small(app, choso_database_url, tmp_path):
    bomb = _png_bomb()
    assert len(bomb) < 1_000_000  # small on the wire, well under the upload limit
    port = free_port()
    env = gunicorn_env(app, choso_database_url, tmp_path, port, workers=1)
    base = f"http://127.0.0.1:{port}"
    with running_gunicorn(env) as server:
        # a genuine photo first, so the QR reader and everything else it needs are loaded before measuring
        genuine = _check(base, render.png(encode("970436", "0011004567890")), "qr.png")
        assert genuine.status_code == 200 and genuine.json()["valid"] is True
        (worker,) = worker_pids(server.pid)
        before = _peak_rss_mb(worker)
        r = _check(base, bomb, "bomb.png")
        after = _peak_rss_mb(worker)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "Ảnh quá lớn: tối đa 40 megapixel."
    # without the guard this worker peaks above 600 MB; decoding nothing, it grows by the upload's few hundred KB
    assert after - before < 50, f"the worker's peak memory grew by {after - before:.0f} MB"


def test_a_large_phone_photo_of_a_qr_is_still_read(client, factory):
    """Downscaling before the QR reader must not lose real codes: a 24-megapixel JPEG with the code in it."""
    payload = encode("970436", "0011004567890", amount=45_000)
    code = Image.open(io.BytesIO(render.png(payload))).convert("RGB")
    photo = Image.new("RGB", (6000, 4000), (235, 230, 220))
    photo.paste(code.resize((code.width * 4, code.height * 4), Image.NEAREST), (2200, 900))
    data = io.BytesIO()
    photo.save(data, "JPEG", quality=88)
    r = client.post("/api/v1/qr/check?lang=en", data={"photo": (io.BytesIO(data.getvalue()), "IMG_2041.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["valid"] is True and r.get_json()["amount_vnd"] == 45_000


def test_the_qr_check_page_refuses_the_bomb_in_words(client):
    from core.testing import csrf_from

    token = csrf_from(client.get("/qr/check").get_data(as_text=True))
    r = client.post("/qr/check", data={"photo": (io.BytesIO(_png_bomb(9000)), "anh.png"), "csrf_token": token},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Ảnh quá lớn" in r.get_data(as_text=True)


def test_anonymous_image_work_is_rate_limited_per_address(app, client, factory):
    app.config["IMAGE_DECODE_LIMIT"] = "3 per minute"
    app.config["IMAGE_RENDER_LIMIT"] = "4 per minute"
    png = render.png(encode("970436", "0011004567890"))
    codes = [client.post("/api/v1/qr/check", data={"photo": (io.BytesIO(png), "qr.png")},
                         content_type="multipart/form-data").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    shop = factory.shop()
    account = BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011004567890",
                          account_name="TRAN VAN BA", verified=True)
    factory.db.add(account)
    factory.db.commit()
    drawn = [client.get(f"/qr/accounts/{account.id}.png").status_code for _ in range(5)]
    assert drawn == [200] * 4 + [429]
    # the catalog and other pages are not counted with them
    assert client.get("/").status_code == 200
