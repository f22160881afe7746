"""Helpers shared by the test modules: sandboxes of the built-in marketplaces and photos."""

import io

from PIL import Image

from plugins.sandbox import SandboxControl

CREDENTIALS = {
    "postmart": {"partner_id": "xa-bat-trang", "partner_key": "pm-test-key"},
    "voso": {"client_id": "xa-bat-trang", "client_secret": "vs-test-secret", "webhook_secret": "vs-webhook"},
}


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 80, 30)).save(out, "JPEG")
    return out.getvalue()


def start_sandbox(name: str, **options):
    from marketplace_adapters.postmart.sandbox import PostmartSandbox
    from marketplace_adapters.voso.sandbox import VosoSandbox

    cls = {"postmart": PostmartSandbox, "voso": VosoSandbox}[name]
    sandbox = cls(**CREDENTIALS[name], **options).start()
    sandbox.control = SandboxControl(sandbox.url)
    return sandbox
