"""Issue 18.1: an id no database row can have is "not found" on every route, pages and API, for every method,
on SQLite and PostgreSQL alike; never a server error: beyond 64 bits (SQLite cannot even bind it) and beyond
32 (PostgreSQL's integer columns refuse it)."""

import re

import pytest

from core.testing import bearer, csrf_from, login

PASSWORD = "mat-khau-quan-tri-01"

HUGE = "999999999999999999999999999999"
SAMPLE = {"code": "00583", "token": "x" * 32, "fmt": "png", "slug": "a", "paper": "A6", "source": "sepay",
          "commune": "00583", "name": "postmart", "identifier": "vietqr", "day": "2026-12-01",
          "indicator_id": "households_total", "kind": "marketplace", "filename": "x", "path": "x"}


def _routes(app, huge: str):
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:\w+>", huge, rule.rule)
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "x"), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


@pytest.mark.parametrize("huge", [HUGE, str(2**40)])
def test_every_route_with_an_integer_id_answers_not_found_beyond_its_range(app, client, factory, huge):
    admin = factory.user("admin", password=PASSWORD)
    token = bearer(factory.token(admin))
    login(client, admin, PASSWORD)  # pages: signed in, with the form's CSRF token, so the id is what is judged
    csrf = csrf_from(client.get("/dashboard/").get_data(as_text=True))
    routes = list(_routes(app, huge))
    assert len(routes) > 40  # the walk reaches the routes, not an empty map
    wrong = {}
    for method, url in routes:
        if url.startswith("/api/"):
            r = client.open(url, method=method, headers=token, json={} if method != "GET" else None)
        else:
            r = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
        if r.status_code != 404:
            wrong[f"{method} {url}"] = r.status_code
    assert wrong == {}


@pytest.mark.parametrize("field", ["fee_type_id", "household_id"])
@pytest.mark.parametrize("huge", [HUGE, str(2**40)])
def test_a_body_id_beyond_its_range_is_a_field_error(client, factory, field, huge):
    staff = bearer(factory.token(factory.user("staff")))
    body = {"fee_type_id": 1, "household_id": 1, "period": "11/2026", field: int(huge)}
    r = client.post("/api/v1/communes/00583/bills", headers=staff, json=body)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"]
