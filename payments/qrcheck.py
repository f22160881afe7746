"""Is this QR the real one? Decode a payload (or a photo of a code) and look the account up."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import imaging
from core.errors import Invalid
from core.models import BankAccount, HouseholdBusiness
from payments.vietqr import VietQRError, decode
from payments.vietqr.banks import bank_by_bin
from payments.vietqr.codec import WARN_TEXT, WARN_ZERO_AMOUNT


@dataclass(frozen=True)
class Verdict:
    valid: bool
    registered: bool
    message: str
    bank: str | None = None
    account_number: str | None = None
    amount_vnd: int | None = None
    shop_id: int | None = None
    shop_name: str | None = None
    commune_code: str | None = None
    warnings: list[str] = field(default_factory=list)  # what a banking app may do with this code, in words


# A QR code in a phone photo or a screenshot is read reliably at this size, and zxing's time and memory stay
# small whatever the photo's own size.
READ_SIDE = 1600


def payload_from_photo(data: bytes) -> str:
    import zxingcpp

    found = zxingcpp.read_barcodes(imaging.decode(data, max_side=READ_SIDE, mode="L"))
    codes = [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
    if not codes:
        raise Invalid(_("No QR code could be read in this photo; take it straight on, in good light."))
    return codes[0]


def check(db: Session, payload: str, commune_code: str | None = None) -> Verdict:
    try:
        qr = decode(payload)
    except VietQRError as exc:
        return Verdict(False, False, _("This is not a valid VietQR code: %(reason)s", reason=str(exc)))
    bank = bank_by_bin(qr.bank_bin)
    bank_name = bank["short_name"] if bank else qr.bank_bin
    warnings = [_warning(w) for w in qr.warnings]
    stmt = select(BankAccount).join(BankAccount.household).where(
        BankAccount.bank_bin == qr.bank_bin, BankAccount.account_number == qr.account,
        BankAccount.verified.is_(True), HouseholdBusiness.status == "active")
    if commune_code:
        stmt = stmt.where(HouseholdBusiness.commune_code == commune_code)
    account = db.scalars(stmt).first()
    if account is None:
        return Verdict(True, False, _("Warning: this code pays %(bank)s account %(account)s, which is not the "
                                      "verified account of any shop registered here. Do not pay before checking "
                                      "with the seller.", bank=bank_name, account=qr.account),
                       bank_name, qr.account, qr.amount, warnings=warnings)
    shop = account.household
    return Verdict(True, True, _("This code pays the verified account of %(shop)s (%(bank)s, %(holder)s).",
                                 shop=shop.name, bank=bank_name, holder=account.account_name),
                   bank_name, qr.account, qr.amount, shop.id, shop.name, shop.commune_code, warnings)


def _warning(code: str) -> str:
    if code == WARN_TEXT:
        return _("The transfer text holds Vietnamese letters with their marks; some banking apps show them "
                 "garbled or drop them. Check the text before you confirm.")
    if code == WARN_ZERO_AMOUNT:
        return _("The code says an amount of 0, read as no amount: you type the amount in your banking app.")
    return code
