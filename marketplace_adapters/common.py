"""Helpers both built-in adapters share: HTTP calls that sort failures into transient and refused."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from plugins import Problem, RejectedError, TransientError


def call(http: httpx.Client, method: str, path: str, *, marketplace: str,
         problems: Callable[[httpx.Response], list[Problem]], **kwargs) -> httpx.Response:
    """One request; 429/5xx/network trouble raise TransientError, 4xx raise RejectedError with problems."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise TransientError(f"{marketplace} did not answer: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        retry = response.headers.get("Retry-After")
        raise TransientError(f"{marketplace} answered {response.status_code}",
                             retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)
    if response.status_code >= 400:
        try:
            found = problems(response)
        except ValueError:
            found = []
        raise RejectedError(f"{marketplace} refused ({response.status_code})",
                            found or [Problem("marketplace", f"{marketplace}: {response.text[:300]}")])
    return response


def http_client(settings: dict) -> httpx.Client:
    """The client an adapter talks through: its base URL and the commune's chosen timeout."""
    timeout = float(settings.get("timeout_seconds", 10.0))
    return httpx.Client(base_url=settings["base_url"], timeout=httpx.Timeout(timeout, connect=5))
