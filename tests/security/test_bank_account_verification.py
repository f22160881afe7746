"""A verified bank account stays verified only while nobody but the commune's staff changes it (issue 13.1)."""

from sqlalchemy import select

from core.models import AuditLog, BankAccount
from core.testing import bearer, run_jobs

ACCOUNT = {"bank_bin": "970436", "account_number": "0011004567890", "account_name": "Trần Văn Ba"}


def _verified_account(client, factory):
    shop = factory.shop()
    owner = factory.token(shop.owner)
    staff = factory.token(factory.user("staff"))
    r = client.post(f"/api/v1/households/{shop.id}/bank-accounts", json=ACCOUNT, headers=bearer(owner))
    account = r.get_json()
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", json={"verified": True}, headers=bearer(staff))
    assert r.get_json()["verified"] is True
    return shop, account, owner, staff


def test_the_owner_changing_the_number_drops_verification_even_when_claiming_it(client, factory, db):
    shop, account, owner, _staff = _verified_account(client, factory)
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(owner),
                     json={"account_number": "0011009999999", "verified": True})
    assert r.status_code == 200
    assert r.get_json()["verified"] is False and r.get_json()["account_number"] == "0011009999999"
    # the account pays nothing any more: no QR, no poster, not "registered" in the QR check
    assert client.get(f"/qr/accounts/{account['id']}.png").status_code == 404
    assert client.get(f"/qr/accounts/{account['id']}/poster-a5.pdf").status_code == 404
    page = client.get(f"/s/{shop.id}").get_data(as_text=True)
    assert f"/qr/accounts/{account['id']}" not in page


def test_a_helper_cannot_keep_an_account_verified_by_changing_holder_and_bank(client, factory):
    shop, account, _owner, _staff = _verified_account(client, factory)
    helper_user = factory.user("helper")
    factory.assign_helper(helper_user, shop)
    helper = factory.token(helper_user)
    for change in ({"account_name": "Nguyen Van Lua"}, {"bank_bin": "970415"}):
        client.patch(f"/api/v1/bank-accounts/{account['id']}", json={"verified": True}, headers=bearer(
            factory.token(factory.user("staff"))))
        r = client.patch(f"/api/v1/bank-accounts/{account['id']}", json={**change, "verified": True},
                         headers=bearer(helper))
        assert r.status_code == 200 and r.get_json()["verified"] is False
        assert client.get(f"/qr/accounts/{account['id']}.png").status_code == 404, change


def test_staff_changing_the_number_themselves_verify_it_in_the_same_act(client, factory):
    _shop, account, _owner, staff = _verified_account(client, factory)
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(staff),
                     json={"account_number": "0011001111111", "verified": True})
    assert r.get_json()["verified"] is True
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(staff),
                     json={"account_number": "0011002222222"})
    assert r.get_json()["verified"] is False  # a change without saying "verified" is not a verification


def test_staff_of_another_commune_cannot_verify(client, factory):
    shop = factory.shop()
    owner = factory.token(shop.owner)
    account = client.post(f"/api/v1/households/{shop.id}/bank-accounts", json=ACCOUNT,
                          headers=bearer(owner)).get_json()
    far = factory.token(factory.user("staff", "02392"))
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", json={"verified": True}, headers=bearer(far))
    assert r.status_code == 404  # another commune's staff do not even see the account


def test_changes_are_audited_before_and_after(app, client, factory, db):
    _shop, account, owner, _staff = _verified_account(client, factory)
    client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(owner),
                 json={"account_number": "0011009999999"})
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "bank_account.update")
                       .order_by(AuditLog.id.desc())).first()
    assert entry.details["before"]["account_number"] == "0011004567890"
    assert entry.details["before"]["verified"] is True
    assert entry.details["after"] == {**entry.details["before"], "account_number": "0011009999999",
                                      "verified": False}
    assert db.get(BankAccount, account["id"]).verified is False


def test_the_owner_is_told_by_mail_in_their_language(app, client, factory, db, mailbox):
    shop, account, owner, _staff = _verified_account(client, factory)
    shop_row = db.get(BankAccount, account["id"]).household
    shop_row.owner.email, shop_row.owner.locale = "ba@example.vn", "vi"
    db.commit()
    helper_user = factory.user("helper")
    factory.assign_helper(helper_user, shop)
    helper = factory.token(helper_user)
    client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(helper),
                 json={"account_number": "0011009999999"})
    run_jobs(app)
    notices = [m for m in mailbox if m["To"] == "ba@example.vn"]
    assert notices, "the owner heard nothing of the change"
    text = notices[-1].get_content()
    assert "…9999" in text and "Người dùng" in text  # which account, and who changed it
    assert "Nếu bạn không yêu cầu" in text
