"""The `choso` command as an operator runs it: a real process against the test database."""


from sqlalchemy import func, select

from core.models import HouseholdBusiness, Product, User
from core.testing import bearer


def test_help_lists_the_commands(choso):
    out = choso("--help").stdout
    for command in ("run", "db", "demo", "users", "tokens", "communes"):
        assert f"  {command} " in out


def test_db_upgrade_is_idempotent(choso):
    assert "up to date" in choso("db", "upgrade").stdout


def test_communes_find_ignores_accents(choso):
    assert "00583  Xã Bát Tràng  —  Thành phố Hà Nội" in choso("communes", "find", "bat", "TRANG").stdout
    missing = choso("communes", "find", "khong co xa nay", check=False)
    assert missing.returncode == 1 and "no commune matches" in missing.stderr


def test_users_and_tokens_from_the_command_line(choso, client):
    out = choso("users", "create", "--phone", "0912 000 111", "--password", "mat-khau-dai", "--role", "staff",
                "--commune", "583").stdout
    assert "created user" in out and "staff in 583" in out
    token = choso("tokens", "create", "--phone", "0912000111").stdout.strip()
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["roles"] == [{"commune_code": "00583", "role": "staff"}]
    short = choso("users", "create", "--phone", "0912000112", "--password", "ngan", "--role", "staff",
                  "--commune", "00583", check=False)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    nowhere = choso("users", "create", "--phone", "0912000113", "--password", "mat-khau-dai", "--role", "staff",
                    "--commune", "99999", check=False)
    assert nowhere.returncode == 1 and "No commune has the code 99999" in nowhere.stderr
    assert choso("tokens", "create", "--phone", "0999999999", check=False).returncode == 1


def test_demo_loads_one_commune_and_running_it_twice_duplicates_nothing(choso, db):
    first = choso("demo").stdout
    assert "demo commune: 00583 Xã Bát Tràng" in first
    assert "added 20 households, 120 products" in first and "0900000101" in first
    assert "admin (plugins, every commune): 0900000102" in first  # the README's sign-ins table
    admin = db.scalar(select(User).where(User.phone == "0900000102"))
    assert admin is not None and admin.is_admin
    helper = db.scalar(select(User).where(User.phone == "0900000101"))
    assert len(helper.assisted_household_ids) == 8
    # a year of history, so the figures page draws trends: twelve past months, orders growing
    from core.metrics.models import MetricSnapshot
    from core.orders.models import Order

    orders = dict(db.execute(select(MetricSnapshot.month, MetricSnapshot.value).where(
        MetricSnapshot.commune_code == "00583", MetricSnapshot.indicator == "orders_total")).all())
    households = dict(db.execute(select(MetricSnapshot.month, MetricSnapshot.value).where(
        MetricSnapshot.commune_code == "00583", MetricSnapshot.indicator == "households_total")).all())
    months = sorted(orders)
    assert len(months) == 12 and orders[months[-1]] > orders[months[0]] > 0
    assert households[months[0]] == 8 and households[months[-1]] >= 19
    history = db.scalar(select(func.count()).select_from(Order))
    second = choso("demo").stdout
    assert "added 0 households, 0 products" in second
    assert db.scalar(select(func.count()).select_from(Order)) == history
    assert db.scalar(select(func.count()).select_from(HouseholdBusiness)) == 20
    assert db.scalar(select(func.count()).select_from(Product)) == 120
    groups = set(db.scalars(select(Product.product_group).distinct()))
    assert groups == {"food", "beverage", "herbal", "handicraft", "ornamental", "tourism"}
    assert all(p.images for p in db.scalars(select(Product).limit(5)))
