"""Photos: re-encoded, stripped of EXIF/GPS, size-limited, and unreadable files refused."""

import io

from PIL import Image

from core.testing import bearer


def jpeg_with_gps(size=(1200, 900)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (21.0, 0.0, 0.0), 3: "E", 4: (105.0, 50.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(client, product, token, data: bytes, name="photo.jpg"):
    return client.post(f"/api/v1/products/{product.id}/images", headers=bearer(token),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_photo_is_reencoded_without_exif_or_gps_and_thumbnailed(client, factory, app):
    product = factory.product()
    token = factory.token(product.household.owner)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    r = upload(client, product, token, original)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    stored = client.get(body["url"])
    assert stored.status_code == 200 and stored.headers["Content-Type"] == "image/jpeg"
    img = Image.open(io.BytesIO(stored.data))
    assert len(img.getexif()) == 0
    assert max(img.size) <= 1600
    thumb = Image.open(io.BytesIO(client.get(body["thumb_url"]).data))
    assert max(thumb.size) <= 400
    listed = client.get(f"/api/v1/products/{product.id}").get_json()["images"]
    assert [i["id"] for i in listed] == [body["id"]]


def test_files_that_are_not_photos_are_refused(client, factory):
    product = factory.product()
    token = factory.token(product.household.owner)
    for data in (b"%PDF-1.4 not an image", b"GIF89a" + b"\x00" * 20, b""):
        r = upload(client, product, token, data)
        assert r.status_code == 422, data[:10]
    polyglot = jpeg_with_gps((50, 50)) + b"<script>alert(1)</script>"
    r = upload(client, product, token, polyglot)
    assert r.status_code == 201
    assert b"<script>" not in client.get(r.get_json()["url"]).data


def test_decompression_bombs_are_refused_before_decoding(client, factory):
    product = factory.product()
    token = factory.token(product.household.owner)
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 50 KB on disk, 400 megapixels decoded
    assert len(bomb.getvalue()) < 200_000
    r = upload(client, product, token, bomb.getvalue(), "bomb.png")
    assert r.status_code == 422


def test_uploads_over_the_limit_get_413(client, factory, app):
    product = factory.product()
    token = factory.token(product.household.owner)
    r = upload(client, product, token, b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert r.status_code == 413
    assert r.get_json()["error"]["status"] == 413


def test_only_the_shop_may_add_or_remove_photos(client, factory, app):
    product = factory.product()
    owner = factory.token(product.household.owner)
    stranger = factory.token(factory.user())
    assert upload(client, product, stranger, jpeg_with_gps((40, 40))).status_code == 403
    image = upload(client, product, owner, jpeg_with_gps((40, 40))).get_json()
    assert client.delete(f"/api/v1/images/{image['id']}", headers=bearer(stranger)).status_code == 403
    assert client.delete(f"/api/v1/images/{image['id']}", headers=bearer(owner)).status_code == 204
    assert client.get(image["url"]).status_code == 404
