"""Reconciliation: bank-transfer notifications stored first, then matched to bills by reference and amount."""
