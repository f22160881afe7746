"""What an attacker tries: uploading files that are not photos (guessing tokens and webhook keys:
tests/security/test_lockout.py)."""

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.testing import bearer


def _photo(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def _upload(client, product, token, data: bytes, name: str = "photo.jpg"):
    return client.post(f"/api/v1/products/{product.id}/images", headers=bearer(token),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_polyglots_and_disguised_files_are_refused_or_cleaned(client, factory, app):
    product = factory.product()
    token = factory.token(product.household.owner)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    refused = {
        "svg with a script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "html named .jpg": b"<html><script>alert(1)</script></html>",
        "pdf named .jpg": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "zip named .jpg": zipped.getvalue(),
        "truncated jpeg": _photo()[:200],
    }
    for label, data in refused.items():
        r = _upload(client, product, token, data)
        assert r.status_code == 422, label
    # a real JPEG with a ZIP (or HTML) glued to its end: accepted, but what is stored is a new JPEG without it
    polyglot = _photo() + zipped.getvalue() + b"<script>alert(1)</script>"
    r = _upload(client, product, token, polyglot)
    assert r.status_code == 201
    stored = client.get(r.get_json()["url"]).data
    assert stored.startswith(b"\xff\xd8") and b"<script>" not in stored and b"PK\x03\x04" not in stored


@pytest.fixture
def upload_target(factory):
    product = factory.product()
    return product, factory.token(product.household.owner)


# Function-scoped fixtures are made once for all examples here, which is what this test wants: one product.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=0, max_size=2048) | st.builds(lambda cut, junk: _photo("PNG")[:cut] + junk,
                                                        st.integers(0, 400), st.binary(max_size=64)))
def test_random_bytes_never_break_the_upload(client, upload_target, data):
    product, token = upload_target
    assert _upload(client, product, token, data).status_code in (201, 422)
