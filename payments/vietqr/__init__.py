"""VietQR: payloads (NAPAS EMVCo profile), the NAPAS bank directory, and images that scan.

    from payments.vietqr import encode, decode, VietQR, VietQRError

    payload = encode("970436", "0011004567890", amount=150000, purpose="Phi rac thang 11")
    decode(payload).amount == 150000
"""

from payments.vietqr.codec import VietQR, VietQRError, crc16, decode, encode

__all__ = ["VietQR", "VietQRError", "crc16", "decode", "encode"]
