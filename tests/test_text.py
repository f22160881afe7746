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
