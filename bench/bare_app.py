"""The reference peers: bare Flask endpoints returning a constant JSON body of 20 records.

/bare is the issue's reference (20 small records, about 1.2 KB). /bare-17k answers as many bytes as a catalog
page of 20 products (about 17 KB), so that a ratio against it shows choso's own cost apart from the cost of
moving a bigger answer through gunicorn, the kernel and the load generator.
"""

from flask import Flask

app = Flask(__name__)
RECORDS = [{"id": i, "name": f"Sản phẩm {i}", "price_vnd": 1000 * i} for i in range(20)]
RECORDS_17K = [{"id": i, "name": f"Sản phẩm {i}", "price_vnd": 1000 * i, "description": "x" * 800}
               for i in range(20)]


@app.get("/bare")
def bare():
    return {"items": RECORDS}


@app.get("/bare-17k")
def bare_17k():
    return {"items": RECORDS_17K}
