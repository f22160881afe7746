"""VietQR (NAPAS EMVCo) support. For now: the NAPAS member bank directory."""
