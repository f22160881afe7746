"""Figures plugins can count what they need (issue 14.8): choso counts products with a photo, a plugin adds
facts of its own from read-only product rows, and a figure with nothing to count reads "no data yet"."""

import types

from core import containment
from core.app import create_app
from core.metrics import services
from core.models import ProductImage
from core.testing import config_for_tests
from plugins import Fact, Metric, ProductRow, Share, hookimpl


class PricedOver100k(Fact):
    name = "products_priced_over_100k"
    description = "active products priced over 100,000 đồng"

    def count(self, products):
        assert all(isinstance(p, ProductRow) for p in products)
        return sum(1 for p in products if p.price_vnd > 100_000)


class Broken(Fact):
    name = "products_broken"
    description = "answers a negative number"

    def count(self, products):
        return -1


class PhotoShare(Metric):
    id = "photo_share"
    label = "Share of active products with at least one photo"
    unit = "share"

    def compute(self, facts):
        return Share(facts.get("products_active_with_photo", 0), facts.get("products_active", 0))


class PricedShare(Metric):
    id = "priced_share"
    label = "Share of active products over 100k"
    unit = "share"

    def compute(self, facts):
        return Share(facts.get("products_priced_over_100k", 0), facts.get("products_active", 0))


def _plugin():
    module = types.ModuleType("figures_plus")
    module.CHOSO_SDK = ">=1.4,<2"
    module.register_facts = hookimpl(lambda: [PricedOver100k, Broken])
    module.register_metrics = hookimpl(lambda: [PhotoShare, PricedShare])
    return "figures_plus", module


def test_a_plugin_counts_what_it_needs_and_a_broken_fact_is_left_out(choso_database_url, tmp_path, factory, db):
    app = create_app(config_for_tests(choso_database_url, tmp_path / "inst", EXTRA_PLUGINS=[_plugin()]))
    shop = factory.shop()
    cheap = factory.product(shop, name="Chè", price_vnd=50_000)
    factory.product(shop, name="Mật ong", price_vnd=180_000)
    factory.product(shop, name="Gốm", price_vnd=450_000)
    db.add(ProductImage(product_id=cheap.id, path="p/1.jpg", thumb_path="p/1-t.jpg", width=10, height=10,
                        bytes=100, position=0))
    db.commit()
    with app.app_context():
        month = services.current_month()
        figures = services.figures(db, ["00583"], month)["00583"]
        containment.flush(app)
    assert (figures["photo_share"].numerator, figures["photo_share"].denominator) == (1, 3)
    assert (figures["priced_share"].numerator, figures["priced_share"].denominator) == (2, 3)
    from sqlalchemy import select

    from core.models import PluginFailure

    failure = db.scalars(select(PluginFailure).where(PluginFailure.plugin == "figures_plus")).first()
    assert failure.kind == "bad_answer" and failure.what == "fact products_broken: count"


def test_a_fact_may_not_take_a_built_in_name(choso_database_url, tmp_path):
    class Impostor(Fact):
        name = "products_active"
        description = "x"

    module = types.ModuleType("impostor")
    module.CHOSO_SDK = ">=1.4,<2"
    module.register_facts = hookimpl(lambda: [Impostor])
    app = create_app(config_for_tests(choso_database_url, tmp_path / "inst", EXTRA_PLUGINS=[("impostor", module)]))
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}["impostor"]
    assert info.status == "refused" and "choso's own facts" in info.reason


def test_a_figure_with_nothing_to_count_reads_no_data_yet(app, client, factory, db):
    from core.testing import login

    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    page = client.get("/staff/00583/metrics").get_data(as_text=True)
    card = page.split('id="m-bills_cashless_share_count"')[1].split("</li>")[0]
    assert "chưa có số liệu" in card and "dưới mục tiêu" not in card
