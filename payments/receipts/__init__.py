"""Receipts (biên lai): numbered per commune and year without gaps, never changed once issued."""
