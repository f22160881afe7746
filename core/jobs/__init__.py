"""Durable jobs: a table of work, leased by workers; optional Redis (RQ) fan-out for many processes."""
