from dataclasses import dataclass

import pytest

from core.testing import bearer


@dataclass
class Billing:
    staff: object
    token: str
    fee_id: int
    households: list


@pytest.fixture
def billing(client, factory):
    """Commune staff with a collection account, a 30,000 đ waste fee, and three households."""
    staff = factory.user("staff")
    token = factory.token(staff)
    r = client.put("/api/v1/communes/00583/collection-account", headers=bearer(token),
                   json={"bank_bin": "970436", "account_number": "0011009999999", "account_name": "UBND xã Bát Tràng"})
    assert r.status_code == 200, r.get_json()
    fee = client.post("/api/v1/communes/00583/fee-types", headers=bearer(token), json={
        "code": "phi-rac", "name": "Phí thu gom rác", "default_amount_vnd": 30000,
        "legal_basis": "Nghị quyết HĐND"}).get_json()
    households = [factory.shop(name=f"Hộ kinh doanh {n}") for n in ("An", "Bình", "Cúc")]
    return Billing(staff, token, fee["id"], households)


def bill_for(client, billing, household, **extra):
    r = client.post("/api/v1/communes/00583/bills", headers=bearer(billing.token),
                    json={"fee_type_id": billing.fee_id, "household_id": household.id, "period": "11/2026", **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()
