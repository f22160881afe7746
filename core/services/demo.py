"""Demo data for one commune: 20 households with bank accounts, 120 products in every OCOP group, photos.

Running it again adds nothing twice: households are keyed by registration number, products by SKU.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import BankAccount, Commune, HouseholdBusiness, Product
from core.services import helpers, images, users
from core.services.audit import record
from core.services.products import search_text_for
from core.storage import LocalStorage
from core.text import fold, slugify

DEMO_COMMUNE = "00583"  # Xã Bát Tràng, Hà Nội
DEMO_PASSWORD = "choso-demo"  # noqa: S105  (printed by `choso demo`; demo data only, never production)
STAFF_PHONE, HELPER_PHONE, ADMIN_PHONE = "0900000100", "0900000101", "0900000102"

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
_GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thị Hà", "Văn Hùng", "Thị Lan",
          "Quốc Minh", "Thị Nga"]
_PRODUCTS = {
    "food": ["Nước mắm cá cơm", "Mật ong hoa nhãn", "Gạo thơm ST25", "Bánh đa vừng", "Tương bần",
             "Cốm làng Vòng", "Miến dong", "Nhãn lồng sấy", "Ruốc tôm", "Lạc rang muối"],
    "beverage": ["Chè búp Thái Nguyên", "Cà phê Robusta rang mộc", "Rượu nếp cái hoa vàng", "Trà sen Tây Hồ",
                 "Nước cốt chanh leo", "Trà atiso", "Rượu mơ", "Cà phê Arabica", "Trà xạ đen", "Nước yến"],
    "herbal": ["Tinh dầu sả chanh", "Cao atiso", "Trà gừng", "Nghệ tinh bột", "Cao ích mẫu",
               "Xà phòng thảo dược", "Tinh dầu quế", "Trà túi lọc diệp hạ châu", "Mật ong nghệ", "Dầu gấc"],
    "handicraft": ["Bình gốm men lam", "Bát gốm Bát Tràng", "Ấm chén men rạn", "Lọ hoa gốm", "Giỏ mây tre",
                   "Nón lá", "Khăn thổ cẩm", "Tranh gốm", "Đĩa gốm vẽ tay", "Chum gốm"],
    "ornamental": ["Lan hồ điệp", "Bonsai sanh", "Cây vạn niên thanh", "Cá cảnh chép Koi", "Cây kim tiền",
                   "Đào thế", "Quất cảnh", "Cây sen đá", "Hoa giấy", "Cây lưỡi hổ"],
    "tourism": ["Tour làng gốm nửa ngày", "Trải nghiệm nặn gốm", "Homestay ven sông", "Tour xe đạp làng nghề",
                "Lớp vẽ gốm cho trẻ", "Tham quan vườn nhãn", "Tour ẩm thực làng", "Trải nghiệm làm nông",
                "Đạp xe đồng quê", "Đêm lửa trại"],
}
_COLOURS = [(178, 34, 34), (34, 139, 34), (30, 90, 160), (200, 140, 20), (120, 60, 150), (0, 128, 128)]


@dataclass(frozen=True)
class DemoSummary:
    commune: Commune
    household_phones: list[str]
    households_created: int
    products_created: int


def _photo(label: str, colour: tuple[int, int, int]) -> bytes:
    img = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(img)
    for i in range(0, 480, 24):
        shade = tuple(min(255, c + i // 6) for c in colour)
        draw.rectangle([0, i, 640, i + 12], fill=shade)
    draw.rectangle([40, 180, 600, 300], fill=(255, 255, 255))
    draw.text((60, 230), fold(label).upper()[:40], fill=colour)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def seed(db: Session, store: LocalStorage, commune_code: str = DEMO_COMMUNE,
         progress: Callable[[str], None] = lambda _msg: None) -> DemoSummary:
    commune = db.get(Commune, commune_code)
    if commune is None:
        raise LookupError(f"commune {commune_code} is not in the database; run `choso db upgrade` first")
    staff, _ = users.ensure_user(db, phone=STAFF_PHONE, name="Cán bộ xã (demo)")
    users.grant(db, staff, "staff", commune_code)
    users.grant_province(db, staff, commune.province_code)  # so the demo shows the province ranking too
    helper, _ = users.ensure_user(db, phone=HELPER_PHONE, name="Tổ công nghệ số (demo)")
    users.grant(db, helper, "helper", commune_code)
    admin, _ = users.ensure_user(db, phone=ADMIN_PHONE, name="Quản trị hệ thống (demo)")
    users.grant(db, admin, "admin", commune_code)
    for u in (staff, helper, admin):
        if u.password_hash is None:
            users.set_password(u, DEMO_PASSWORD)
    banks = ["970436", "970415", "970418", "970405", "970422"]  # VCB, VietinBank, BIDV, Agribank, MB
    groups = list(_PRODUCTS)
    phones, shops_made, products_made = [], 0, 0
    for n in range(20):
        phone = f"09000000{n + 1:02d}"
        phones.append(phone)
        owner_name = f"{_FAMILY[n % 10]} {_GIVEN[(n * 3) % 10]}"
        owner, _ = users.ensure_user(db, phone=phone, name=owner_name)
        if owner.password_hash is None:
            users.set_password(owner, DEMO_PASSWORD)
        users.grant(db, owner, "household", commune_code)
        reg = f"DEMO{commune_code}{n + 1:03d}"
        shop = db.scalar(select(HouseholdBusiness).where(HouseholdBusiness.registration_number == reg))
        if shop is None:
            name = f"Hộ kinh doanh {owner_name}"
            shop = HouseholdBusiness(commune_code=commune_code, owner_id=owner.id, name=name, slug=slugify(name),
                                     name_folded=fold(name), registration_number=reg,
                                     tax_code=f"{8000000000 + n:010d}", address=f"Thôn {n % 4 + 1}, {commune.name}",
                                     phone=phone, description="Sản phẩm làng nghề và nông sản địa phương.")
            shop.bank_accounts.append(BankAccount(bank_bin=banks[n % len(banks)],
                                                  account_number=f"10{n + 1:04d}{commune_code}",
                                                  account_name=fold(owner_name).upper(), verified=n % 2 == 0))
            db.add(shop)
            db.flush()
            if n < 8:  # the demo helper looks after the first eight households, as staff assigned it
                helpers.assign(db, staff, shop, helper)
                db.expire(helper, ["helper_assignments"])
            record(db, helper if n < 8 else owner, "shop.open", "household", shop.id, shop=shop,
                   details={"demo": True})
            shops_made += 1
        for k in range(6):
            group = groups[k]
            sku = f"DEMO-{n + 1:02d}-{k + 1}"
            if db.scalar(select(Product.id).where(Product.household_id == shop.id, Product.sku == sku)):
                continue
            base = _PRODUCTS[group][(n + k) % 10]
            name = f"{base} {'hộp quà' if n % 2 else 'loại 1'}"
            stars = (3, 4, 5, None)[(n + k) % 4]
            product = Product(
                household=shop, commune_code=commune_code, name=name, slug=slugify(name), product_group=group,
                description=f"{base} của {shop.name}, sản xuất tại {commune.name}.",
                ocop_stars=stars, ocop_certificate_no=f"{120 + n}/QĐ-UBND" if stars else None,
                origin=commune.name, unit="hộp" if n % 2 else "gói", net_weight_g=250 * (k + 1),
                shelf_life_days=180 if group in ("food", "beverage", "herbal") else None,
                season="Quanh năm", price_vnd=(35 + 15 * ((n * 7 + k * 3) % 20)) * 1000, stock=10 + (n * k) % 90,
                sku=sku, status="active")
            product.search_text = search_text_for(product, shop)
            db.add(product)
            db.flush()
            product.images.append(images.store_photo(store, f"products/{product.id}/demo",
                                                     _photo(base, _COLOURS[k])))
            products_made += 1
        db.commit()
        progress(f"household {n + 1}/20")
    _demo_fees(db, staff, commune_code)
    from core.services import demo_history  # a year of orders and figures, so the trends show

    demo_history.add(db, commune_code, progress)
    return DemoSummary(commune, phones, shops_made, products_made)


def _demo_fees(db: Session, staff, commune_code: str) -> None:
    """A collection account and a waste-collection fee, so staff can issue bills right away."""
    from payments.bills.models import CollectionAccount, FeeType

    if db.get(CollectionAccount, commune_code) is None:
        db.add(CollectionAccount(commune_code=commune_code, bank_bin="970405", account_number="1500201000583",
                                 account_name="UBND XA BAT TRANG"))
    if db.scalar(select(FeeType).where(FeeType.commune_code == commune_code, FeeType.code == "phi-rac")) is None:
        db.add(FeeType(commune_code=commune_code, code="phi-rac", name="Phí thu gom rác thải sinh hoạt",
                       default_amount_vnd=30_000, fixed_amount=True,
                       legal_basis="Nghị quyết của HĐND thành phố về giá dịch vụ thu gom rác (ví dụ)"))
    db.commit()
