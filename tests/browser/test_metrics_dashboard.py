"""Commune staff read their figures in Chromium on a phone: cards, charts, the records behind a number."""

import pytest

from core.services.users import set_password
from core.testing_server import live_server
from tests.browser.conftest import sign_in
from tests.metrics.conftest import MONTH, village  # noqa: F401 (the fixture, used below)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("village")]


def test_staff_read_the_dashboard_and_open_the_records(app, browser, factory, db):
    staff = factory.user("staff")
    with app.app_context():
        set_password(db.merge(staff), "mat-khau-can-bo")
        db.commit()
    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sign_in(page, base, staff.phone, "mat-khau-can-bo")
        # every click below opens a page: wait for it, or the check reads the page being left
        with page.expect_navigation():
            page.get_by_role("link", name="Kinh tế số").click()
        page.select_option("#month-form select[name=month]", MONTH)
        with page.expect_navigation():
            page.click("#month-form button")
        card = page.locator("#m-ecommerce_household_share")
        assert card.locator(".big").inner_text() == "50%"
        assert "đạt" in card.locator(".level").inner_text()
        chart = card.locator("svg[role=img]").first
        assert chart.is_visible() and "2026-10: 50%" in chart.locator("desc").text_content()
        assert page.locator("#m-choque_product_share").is_visible()
        with page.expect_navigation():
            card.locator(".big a").click()
        assert page.locator("#records tbody tr").count() == 4
        page.go_back(wait_until="load")
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        assert download.value.suggested_filename == f"chi-so-00583-{MONTH}.csv"
