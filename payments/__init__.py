"""Payments: VietQR payloads and the NAPAS bank directory (bills, reconciliation and cards come later)."""
