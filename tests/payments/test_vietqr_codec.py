"""VietQR payloads: the specification's structure, other encoders' payloads, and properties over all inputs."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vietnam_qr_pay import QRPay

from payments.vietqr import VietQRError, crc16, decode, encode

# A payload built by hand from the NAPAS/EMVCo field layout (static, to Vietcombank account 0011004567890).
HAND_BUILT = ("000201" "010211" "3857" "0010A000000727" "0127" "0006970436" "01130011004567890"
              "0208QRIBFTTA" "5303704" "5802VN" "6304")


def test_a_hand_built_payload_from_the_field_layout_decodes():
    payload = HAND_BUILT + crc16(HAND_BUILT)
    qr = decode(payload)
    assert (qr.bank_bin, qr.account, qr.service, qr.amount, qr.static) == (
        "970436", "0011004567890", "account", None, True)
    assert encode("970436", "0011004567890") == payload


def test_crc_is_ccitt_false_upper_case_and_lower_case_is_accepted():
    assert crc16("123456789") == "29B1"  # the CRC-16/CCITT-FALSE check value
    payload = encode("970415", "123456789", amount=50000)
    assert payload[-4:] == payload[-4:].upper()
    assert decode(payload[:-4] + payload[-4:].lower()).amount == 50000


def test_a_dynamic_qr_carries_amount_purpose_bill_and_reference():
    payload = encode("970418", "2141000123", amount=150000, purpose="Phí thu gom rác tháng 11",
                     bill_number="HD001", reference="CS0J7ABCDEFX", merchant_name="Hộ bà Lan", merchant_city="Hà Nội")
    qr = decode(payload)
    assert qr.static is False and qr.amount == 150000
    assert qr.purpose == "Phi thu gom rac thang 11"  # diacritics become plain ASCII
    assert (qr.bill_number, qr.reference, qr.merchant_name, qr.merchant_city) == (
        "HD001", "CS0J7ABCDEFX", "Ho ba Lan", "Ha Noi")
    assert qr.tags["53"] == "704" and qr.tags["58"] == "VN"


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"amount": 0}, "positive whole number"),
    ({"amount": -5}, "positive whole number"),
    ({"amount": 1.5}, "positive whole number"),
    ({"amount": True}, "positive whole number"),
    ({"amount": 10**13}, "more than 13 digits"),
    ({"purpose": "x" * 96}, "at most 95"),
    ({"purpose": "x" * 60, "bill_number": "y" * 20, "reference": "z" * 20}, "too long"),
    ({"purpose": "☃ snow"}, "cannot show"),
])
def test_encoding_refuses_what_banking_apps_refuse(kwargs, reason):
    with pytest.raises(VietQRError, match=reason):
        encode("970436", "0011004567890", **kwargs)


@pytest.mark.parametrize(("bank_bin", "account", "service", "reason"), [
    ("97043", "1", "account", "6 digits"),
    ("970436", "0011 0045", "account", "not accepted by banks"),
    ("970436", "001-100", "account", "not accepted by banks"),
    ("970436", "12345", "card", "12 to 19 digits"),
    ("970436", "1", "wallet", "service"),
])
def test_encoding_refuses_bad_beneficiaries(bank_bin, account, service, reason):
    with pytest.raises(VietQRError, match=reason):
        encode(bank_bin, account, service=service)


def test_a_card_service_payload():
    qr = decode(encode("970436", "9704360000123456", service="card"))
    assert qr.service == "card" and qr.tags["38"].endswith("0208QRIBFTTC")


@pytest.mark.parametrize(("mangle", "reason"), [
    (lambda p: p[:-4] + "0000", "wrong CRC"),
    (lambda p: p[:-8], "does not end with a CRC"),
    (lambda p: "000202" + p[6:], "field 00"),
])
def test_decoding_says_precisely_what_is_wrong(mangle, reason):
    payload = encode("970436", "0011004567890", amount=10000)
    bad = mangle(payload)
    if reason != "wrong CRC" and reason != "does not end with a CRC":
        bad = bad[:-4] + crc16(bad[:-4])
    with pytest.raises(VietQRError, match=reason):
        decode(bad)


def _with_crc(body: str) -> str:
    return body + "6304" + crc16(body + "6304")


def test_non_vnd_non_vietqr_and_bad_lengths_are_refused():
    usd = "000201010211" "3857" "0010A000000727" "0127" "0006970436" "01130011004567890" "0208QRIBFTTA" "5303840"
    with pytest.raises(VietQRError, match="not the Vietnamese đồng"):
        decode(_with_crc(usd))
    vnpay = "000201010211" "2632" "0010A000000775" "0114vnpay-merchant" "5303704"
    with pytest.raises(VietQRError, match="VNPAY-QR"):
        decode(_with_crc(vnpay))
    other_guid = "000201010211" "3857" "0010A000000999" "0127" "0006970436" "01130011004567890" "0208QRIBFTTA"
    with pytest.raises(VietQRError, match="GUID"):
        decode(_with_crc(other_guid))
    with pytest.raises(VietQRError, match="says 99 characters"):
        decode(_with_crc("000201" "5899VN"))


def test_extra_tags_and_other_field_orders_from_other_encoders_are_read():
    body = ("000201" "010212" "5303704" "540550000" "5802VN" "52045812" "5906HO LAN"
            "3857" "0010A000000727" "0127" "0006970436" "01130011004567890" "0208QRIBFTTA")
    qr = decode(_with_crc(body))
    assert (qr.amount, qr.merchant_name, qr.tags["52"]) == (50000, "HO LAN", "5812")


def test_payloads_interoperate_with_vietnam_qr_pay_both_ways():
    ours = encode("970422", "0123456789", amount=275000, purpose="Hoc phi thang 11")
    theirs = QRPay(ours)
    assert theirs.is_valid and theirs.consumer.bank_bin == "970422" and theirs.amount == "275000"
    assert theirs.additional_data.purpose == "Hoc phi thang 11"
    built = QRPay.init_viet_qr(bank_bin="970405", bank_number="1500201234567", amount="99000",
                               purpose="Tien dien").build()
    qr = decode(built)
    assert (qr.bank_bin, qr.account, qr.amount, qr.purpose) == ("970405", "1500201234567", 99000, "Tien dien")


ascii_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(bank_bin=st.from_regex(r"\A[0-9]{6}\Z"), account=st.from_regex(r"\A[0-9A-Za-z]{1,19}\Z"),
       amount=st.none() | st.integers(min_value=1, max_value=10**13 - 1),
       purpose=st.none() | ascii_text, bill=st.none() | ascii_text, reference=st.none() | ascii_text)
def test_decode_of_encode_gives_back_every_valid_input(bank_bin, account, amount, purpose, bill, reference):
    purpose, bill, reference = (None if v is None or not v.strip() else v for v in (purpose, bill, reference))
    qr = decode(encode(bank_bin, account, amount=amount, purpose=purpose, bill_number=bill, reference=reference))
    assert (qr.bank_bin, qr.account, qr.amount, qr.purpose, qr.bill_number, qr.reference) == (
        bank_bin, account, amount, purpose, bill, reference)
    assert qr.static == (amount is None)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_decode_fails_only_with_its_own_error(junk):
    with contextlib.suppress(VietQRError):
        decode(junk)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=6))
def test_corrupting_a_valid_payload_fails_only_with_its_own_error(position, junk):
    payload = encode("970436", "0011004567890", amount=150000, purpose="Phi rac")
    corrupted = payload[:position] + junk + payload[position + len(junk):]
    with contextlib.suppress(VietQRError):
        decode(corrupted)


def test_vietnamese_text_from_other_encoders_is_read_with_a_warning():
    """vietnam-qr-pay writes the purpose as UTF-8 (lengths in characters, CRC over the bytes): a real sticker,
    not a fake, so it decodes, with a warning that some banking apps garble such text (issue 16.6)."""
    from payments.vietqr.codec import WARN_TEXT

    built = QRPay.init_viet_qr(bank_bin="970405", bank_number="1500201234567", amount="99000",
                               purpose="Tiền điện tháng 11").build()
    assert not built.isascii()
    qr = decode(built)
    assert (qr.account, qr.amount, qr.purpose) == ("1500201234567", 99000, "Tiền điện tháng 11")
    assert qr.warnings == (WARN_TEXT,)
    # broken ones are still refused: the text changed after the CRC was computed, or a length counted in bytes
    with pytest.raises(VietQRError, match="wrong CRC"):
        decode(built.replace("Tiền", "Tien"))
    by_bytes = built.replace("0818Tiền", f"08{len('Tiền điện tháng 11'.encode()):02d}Tiền")
    with pytest.raises(VietQRError):
        decode(by_bytes[:-4] + crc16(by_bytes[:-4]))
    with pytest.raises(VietQRError, match="control characters"):
        decode(_with_crc("000201" "5802VN" "62060802\u0085é"))
    # choso's own encoder keeps writing plain ASCII
    assert encode("970405", "1500201234567", amount=99000, purpose="Tiền điện tháng 11").isascii()


def test_an_amount_of_zero_is_read_as_no_amount_with_a_warning():
    from payments.vietqr.codec import WARN_ZERO_AMOUNT

    body = "000201" "010212" "3857" "0010A000000727" "0127" "0006970436" "01130011004567890" "0208QRIBFTTA" \
           "5303704" "54010" "5802VN"
    qr = decode(_with_crc(body))
    assert qr.amount is None and qr.warnings == (WARN_ZERO_AMOUNT,)
    with pytest.raises(VietQRError, match="not a whole number"):
        decode(_with_crc(body.replace("54010", "5402-1")))
