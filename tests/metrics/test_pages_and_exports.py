"""The staff dashboard, the records behind a figure, the province ranking and every export kind."""

import csv
import io
import subprocess

from openpyxl import load_workbook

from core.services.users import grant_province, set_password
from core.testing import OTHER_COMMUNE, login
from tests.metrics.conftest import MONTH

PASSWORD = "mat-khau-can-bo-xa"


def staff_client(client, factory, db, commune="00583"):
    staff = factory.user("staff", commune)
    with client.application.app_context():
        set_password(db.merge(staff), PASSWORD)
        db.commit()
    login(client, staff, PASSWORD)
    return staff


def test_the_dashboard_shows_every_indicator_with_level_trend_and_links(client, factory, db, village):
    staff_client(client, factory, db)
    page = client.get(f"/staff/00583/metrics?month={MONTH}").get_data(as_text=True)
    assert "Hộ bán hàng trực tuyến" in page and "50%" in page and "2 / 4" in page
    assert "Sản phẩm trên Chợ Quê" in page  # the example plugin's indicator, no change to core
    assert page.count('<svg class="chart"') >= 11 and "<desc>" in page
    assert "không áp dụng" not in page.split('id="m-ecommerce_household_share"')[1].split("</li>")[0]
    records = client.get(f"/staff/00583/metrics/ecommerce_household_share/records?month={MONTH}")
    text = records.get_data(as_text=True)
    assert records.status_code == 200 and text.count("<tr>") == 5  # header + 4 active households
    assert client.get(f"/staff/00583/metrics/choque_product_share/records?month={MONTH}").status_code == 404
    sellers = client.get(f"/staff/00583/metrics/active_sellers_30d/records?month={MONTH}").get_data(as_text=True)
    assert sellers.count("<tr>") == 1 + 2  # the same two households the figure counts
    english = client.get(f"/staff/00583/metrics?month={MONTH}&lang=en").get_data(as_text=True)
    assert "Households selling online" in english and "target met" in english


def test_staff_of_another_commune_get_nothing(client, factory, db, village):
    staff_client(client, factory, db, commune=OTHER_COMMUNE)
    assert client.get(f"/staff/00583/metrics?month={MONTH}").status_code == 404
    assert client.get(f"/staff/00583/metrics.csv?month={MONTH}").status_code == 404
    assert client.get("/province/01/metrics").status_code == 404


def test_exports_carry_the_same_figures(client, factory, db, village, tmp_path):
    staff_client(client, factory, db)
    rows = list(csv.reader(io.StringIO(client.get(f"/staff/00583/metrics.csv?month={MONTH}").data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Chỉ số", "Giá trị"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["Hộ bán hàng trực tuyến"][1:4] == ["50%", "2", "4"] and by_label["Hộ kinh doanh"][1] == "4"
    assert by_label["Sản phẩm trên Chợ Quê"][3] == "5"  # the plugin's indicator is exported too
    listed = client.get(f"/staff/00583/metrics/ocop_online_share/records.xlsx?month={MONTH}")
    ocop = load_workbook(io.BytesIO(listed.data)).active
    assert ocop.max_row == 4 and {ocop.cell(r, 4).value for r in range(2, 5)} == {"Postmart", "–"}
    xlsx = client.get(f"/staff/00583/metrics.xlsx?month={MONTH}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "Chỉ số" and sheet.max_row == len(rows)
    pdf = client.get(f"/staff/00583/metrics.pdf?month={MONTH}")
    assert pdf.mimetype == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Xã Bát Tràng" in text and MONTH in text and "Hộ bán hàng trực tuyến" in text and "đạt" in text


def test_staff_set_a_target_as_a_percentage_on_its_own_page(client, factory, db, village):
    staff_client(client, factory, db)
    figures = client.get(f"/staff/00583/metrics?month={MONTH}").get_data(as_text=True)
    assert 'name="target"' not in figures and 'href="/staff/00583/metrics/targets"' in figures
    from core.testing import csrf_from

    page = client.get("/staff/00583/metrics/targets").get_data(as_text=True)
    r = client.post("/staff/00583/metrics/targets", data={
        "indicator": "ecommerce_household_share", "target": "9O", "near": "60", "csrf_token": csrf_from(page)})
    refused = r.get_data(as_text=True)
    assert r.status_code == 422 and "Chỉ tiêu là một con số" in refused and 'value="9O"' in refused
    nan = client.post("/staff/00583/metrics/targets", data={
        "indicator": "ecommerce_household_share", "target": "nan", "csrf_token": csrf_from(page)})
    assert nan.status_code == 422  # not a number a target can be
    r = client.post("/staff/00583/metrics/targets", data={
        "indicator": "ecommerce_household_share", "target": "90 %", "near": "60", "csrf_token": csrf_from(page)},
        follow_redirects=True)
    assert "Đã lưu mục tiêu" in r.get_data(as_text=True)
    card = client.get(f"/staff/00583/metrics?month={MONTH}").get_data(as_text=True).split(
        'id="m-ecommerce_household_share"')[1].split("</li>")[0]
    assert "chưa đạt" in card and "mục tiêu 90%" in card


def test_province_staff_rank_their_communes(client, factory, db, village):
    person = factory.user("household")
    with client.application.app_context():
        grant_province(db, db.merge(person), "01")
        set_password(db.merge(person), PASSWORD)
        db.commit()
    login(client, person, PASSWORD)
    page = client.get(f"/province/01/metrics?month={MONTH}&sort=ocop_online_share").get_data(as_text=True)
    assert 'data-commune="00583"' in page and "66,7%" in page
    data = client.get(f"/province/01/metrics.csv?month={MONTH}").data.decode("utf-8-sig")
    assert "00583" in data.splitlines()[1]
    page = client.get(f"/staff/00583/metrics?month={MONTH}")
    assert page.status_code == 200  # they see each commune's figures too
    # ... but not the households and payments behind them: those stay with the commune's own staff
    assert "/metrics/households_total/records" not in page.get_data(as_text=True)
    for url in (f"/staff/00583/metrics/bills_cashless_share_count/records?month={MONTH}",
                f"/staff/00583/metrics/bills_cashless_share_count/records.csv?month={MONTH}",
                f"/staff/00583/metrics/households_total/records.xlsx?month={MONTH}"):
        assert client.get(url).status_code == 404, url


def test_figures_are_written_as_each_language_writes_numbers(app):
    from flask_babel import force_locale

    from core.metrics.pages import show

    with app.test_request_context():
        with force_locale("vi"):
            assert (show(12_345, "count"), show(1_500_000, "vnd")) == ("12.345", "1.500.000 ₫")
            assert show(0.5, "share") == "50%"
        with force_locale("en"):
            assert (show(12_345, "count"), show(1_500_000, "vnd")) == ("12,345", "1,500,000 ₫")
            assert show(None, "count") == "no data yet"
