"""Firing plugin event hooks from services, after their change is committed."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context


def plugins():
    return current_app.extensions["choso.plugins"]


def fire(hook: str, **kwargs: Any) -> None:
    # Services also run in scripts without an app (the benchmark's bulk loader); there is nobody to tell.
    if has_app_context():
        plugins().fire(hook, **kwargs)
