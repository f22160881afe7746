"""Helpers both built-in adapters share: HTTP calls that sort failures into transient and refused."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx

from plugins import Problem, RejectedError, TransientError


def send(http: httpx.Client, method: str, path: str, *, marketplace: str, **kwargs) -> httpx.Response:
    """One request; no answer in time, a dropped connection, 429 and 5xx raise TransientError (with the
    marketplace's Retry-After when it gives one). Any other answer is the caller's to read."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise TransientError(f"{marketplace} did not answer: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        retry = response.headers.get("Retry-After")
        raise TransientError(f"{marketplace} answered {response.status_code}",
                             retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)
    return response


def call(http: httpx.Client, method: str, path: str, *, marketplace: str,
         problems: Callable[[httpx.Response], list[Problem]], **kwargs) -> httpx.Response:
    """One request; 429/5xx/network trouble raise TransientError, 4xx raise RejectedError with problems."""
    response = send(http, method, path, marketplace=marketplace, **kwargs)
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


def fold(text: str) -> str:
    """Lower case without accents, for matching names as households and marketplaces write them."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


Category = TypeVar("Category")


def best_category(candidates: Iterable[Category], product_text: str,
                  words_of: Callable[[Category], str]) -> Category | None:
    """The candidate whose words (its names and hints, from `words_of`) share most words with the product's
    name and description, accents and case ignored; the first candidate when none share any."""
    wanted = set(fold(product_text).replace(",", " ").split())
    best, best_score = None, -1
    for candidate in candidates:
        score = len(wanted & set(fold(words_of(candidate)).replace(",", " ").replace("&", " ").split()))
        if score > best_score:
            best, best_score = candidate, score
    return best


def lineage(categories: list[dict[str, Any]], category: dict[str, Any], *, id_key: str,
            parent_key: str) -> list[dict[str, Any]]:
    """The category and its parents in a marketplace's category tree, the top one first."""
    by_id = {c[id_key]: c for c in categories}
    chain = [category]
    while chain[0].get(parent_key) in by_id and len(chain) <= len(by_id):  # a looped tree ends, not hangs
        chain.insert(0, by_id[chain[0][parent_key]])
    return chain
