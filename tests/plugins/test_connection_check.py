"""Staff saving a marketplace's settings learn at once whether they work (issue 14.9): a wrong key or an
address that does not answer is refused before anything is saved, in words."""

from core.models import IntegrationSetting
from core.testing import bearer, login, post_form
from tests.helpers import CREDENTIALS, start_sandbox

URL = "/api/v1/communes/00583/integrations/marketplace/postmart"


def test_a_wrong_key_is_caught_when_staff_save_not_at_the_first_publish(client, factory, db):
    sandbox = start_sandbox("postmart")
    try:
        staff = bearer(factory.token(factory.user("staff")))
        wrong = {"base_url": sandbox.url, "partner_id": CREDENTIALS["postmart"]["partner_id"],
                 "partner_key": "not-the-partner-key-0"}
        r = client.put(URL, headers=staff, json={"enabled": True, "settings": wrong})
        assert r.status_code == 422
        assert "Postmart did not accept these settings" in client.put(
            URL + "?lang=en", headers=staff, json={"enabled": True, "settings": wrong}).get_json()["error"]["message"]
        assert db.query(IntegrationSetting).filter_by(name="postmart").first() is None  # nothing saved
        right = {"base_url": sandbox.url, **CREDENTIALS["postmart"]}
        assert client.put(URL, headers=staff, json={"enabled": True, "settings": right}).status_code == 200
    finally:
        sandbox.stop()


def test_the_staff_form_shows_labels_in_the_readers_language_and_refuses_a_dead_address(client, factory):
    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    page = client.get("/staff/00583/integrations").get_data(as_text=True)
    assert "Khóa đối tác" in page and "Mã đối tác" in page  # not partner_key / partner_id
    r = post_form(client, "/staff/00583/integrations", "/staff/00583/integrations", {
        "kind": "marketplace", "name": "postmart", "enabled": "1", "setting-base_url": "http://127.0.0.1:9",
        "setting-partner_id": "xa-bat-trang", "setting-partner_key": "pm-test-partner-key"})
    assert r.status_code == 422 and "Postmart không chấp nhận các thiết lập này" in r.get_data(as_text=True)
    assert "Partner key" in client.get("/staff/00583/integrations?lang=en").get_data(as_text=True)
