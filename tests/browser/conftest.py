import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright; never a browser Playwright downloads."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing at /usr/bin/chromium; scripts/test installs it")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def sign_in(page, base: str, phone: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", phone)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button.primary")
    # the page signed in to, with its stylesheet applied: a check right after must not see it half-loaded
    page.wait_for_load_state("load")


@pytest.fixture
def background_worker(app):
    """The embedded job worker running beside the live server, as `choso run` starts it."""
    from core.jobs.worker import work

    stop = threading.Event()
    worker = threading.Thread(target=work, args=(app,), kwargs={"stop": stop, "poll": 0.1}, daemon=True)
    worker.start()
    yield worker
    stop.set()
    app.extensions["choso.jobs"].wake.set()
    worker.join(10)
