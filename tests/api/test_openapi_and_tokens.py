"""The OpenAPI document covers every endpoint; tokens authenticate until revoked."""

from core.testing import bearer, login, post_form


def test_every_api_route_is_in_the_openapi_document(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    product = spec["components"]["schemas"]["Product"]["properties"]
    assert {"price_vnd", "ocop_stars", "product_group"} <= set(product)
    assert spec["paths"]["/api/v1/products"]["post"]["security"] == [{"bearer": []}]


def test_the_docs_page_lists_the_endpoints(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/products" in html and "POST" in html


def test_a_token_made_on_the_account_page_works_until_revoked(client, factory, db):
    user = factory.user(password="mat-khau-tot")
    login(client, user, "mat-khau-tot")
    page = post_form(client, "/account/tokens", "/account/tokens", {"name": "máy tính bảng"})
    html = page.get_data(as_text=True)
    token = html.split('id="new-token"><code>')[1].split("</code>")[0]
    anon = client.application.test_client()
    assert anon.get("/api/v1/me", headers=bearer(token)).get_json()["id"] == user.id
    from core.models import ApiToken

    row = db.query(ApiToken).filter_by(user_id=user.id).one()
    assert row.token_hash != token and token.startswith(row.prefix)
    post_form(client, "/account/tokens", f"/account/tokens/{row.id}/revoke", {})
    assert anon.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_what_the_document_says_of_a_bank_account_is_what_choso_checks():
    """The holder's name pattern and the bank list in the document are the rules the check applies: any name
    the pattern allows is accepted, the documented banks are exactly the NAPAS list choso knows."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from core.schemas.households import HOLDER_PATTERN, BankAccountSchema
    from payments.vietqr.banks import all_banks

    schema = BankAccountSchema()
    assert schema.fields["bank_bin"].validate.choices == [b["bin"] for b in all_banks()]

    @given(st.from_regex(HOLDER_PATTERN, fullmatch=True).filter(lambda name: len(name) <= 80))
    @settings(max_examples=300, deadline=None, database=None)
    def accepted(name):
        assert "account_name" not in schema.validate(
            {"bank_bin": "970436", "account_number": "0011001234567", "account_name": name})

    accepted()
    for name in ("Nguyễn Văn Ánh", "TRAN THI DUNG", "Lê Đức"):
        assert re.fullmatch(HOLDER_PATTERN, name) and "account_name" not in schema.validate(
            {"bank_bin": "970436", "account_number": "0011001234567", "account_name": name})
    for refused in ("A", "Lê 3", "Ø Ø", "ß ss"):
        assert not re.fullmatch(HOLDER_PATTERN, refused)
