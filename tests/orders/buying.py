"""What a buyer and a bank do in the order tests: place an order, transfer money with a reference."""

from tests.helpers import post_sepay, sepay_body

BUYER = {"name": "Chị Mai", "phone": "0912345678", "address": "Thôn 2, Xã Bát Tràng"}
SEPAY_KEY = "sepay-order-key-0001"


def place(client, *lines, buyer=BUYER):
    r = client.post("/api/v1/orders", json={"commune_code": "00583", **buyer, "lines": [
        {"product_id": p.id, "quantity": q, "price_vnd": p.price_vnd} for p, q in lines]})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def token_of(order) -> str:
    return order["link"].rsplit("/", 1)[1]


def sepay_transfer(client, txn_id: int, amount: int, content: str, account: str = "0011001234567"):
    return post_sepay(client, sepay_body(txn_id, amount, content, account=account), key=SEPAY_KEY)
