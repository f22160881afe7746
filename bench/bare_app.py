"""The reference peer: a bare Flask endpoint returning a constant JSON body of 20 small records."""

from flask import Flask

app = Flask(__name__)
RECORDS = [{"id": i, "name": f"Sản phẩm {i}", "price_vnd": 1000 * i} for i in range(20)]


@app.get("/bare")
def bare():
    return {"items": RECORDS}
