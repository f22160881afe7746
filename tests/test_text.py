import pytest

from core.text import fold, normalize_phone, search_terms, slugify


@pytest.mark.parametrize(("raw", "folded"), [
    ("Nước mắm Đại Hải", "nuoc mam dai hai"),
    ("  GẠO   ST25 ", "gao st25"),
    ("Chè búp Thái Nguyên", "che bup thai nguyen"),
])
def test_fold_removes_vietnamese_marks_and_case(raw, folded):
    assert fold(raw) == folded


def test_slug_is_ascii_and_bounded():
    assert slugify("Mật ong hoa nhãn — loại 1!") == "mat-ong-hoa-nhan-loai-1"
    assert len(slugify("ạ" * 300)) <= 80
    assert slugify("!!!") == "item"


@pytest.mark.parametrize(("raw", "phone"), [
    ("0912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84-912-345-678", "0912345678"),
    ("091234567", None),
    ("hello", None),
])
def test_phone_numbers_take_their_national_form(raw, phone):
    assert normalize_phone(raw) == phone


def test_search_terms_fold_and_cap():
    assert search_terms("Nước-mắm, cá cơm") == ["nuoc", "mam", "ca", "com"]
    assert len(search_terms(" ".join(["x"] * 50))) == 8


@pytest.mark.parametrize(("written", "dong"), [
    ("12000", 12_000), ("12.000", 12_000), ("12,000", 12_000), ("12.000đ", 12_000), ("12.000 đ", 12_000),
    ("12 000 VND", 12_000), ("150.000 đồng", 150_000), ("12k", 12_000), ("12K", 12_000), ("12 nghìn", 12_000),
    ("1,5tr", 1_500_000), ("1.5 triệu", 1_500_000), ("2tr", 2_000_000), ("450.000₫", 450_000),
])
def test_prices_are_read_as_people_write_them(written, dong):
    from core.schemas.common import parse_dong

    assert parse_dong(written) == dong


@pytest.mark.parametrize("written", ["12.5", "12,5", "1,2345k", "mười nghìn", "12..000", "-12000", ""])
def test_what_is_not_a_whole_number_of_dong_is_refused(written):
    from core.schemas.common import parse_dong

    assert parse_dong(written) is None
