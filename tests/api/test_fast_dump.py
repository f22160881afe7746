"""The catalog's compiled dumpers (core.schemas.fast) answer exactly what the schemas, and so the OpenAPI
document, say: the same keys in the same order with the same values, for full and for sparse records."""

from datetime import date
from types import SimpleNamespace

from marshmallow import Schema, fields, post_dump
from sqlalchemy import select

from core.models import Commune, HouseholdBusiness, Product, ProductImage
from core.schemas import fast
from core.schemas.communes import CommuneSchema
from core.schemas.households import HouseholdSchema
from core.schemas.products import ProductSchema


def same(schema_class, obj):
    compiled, reference = fast.dumper(schema_class)(obj), schema_class().dump(obj)
    assert compiled == reference
    assert list(compiled) == list(reference)  # key order too: clients diff answers


def test_products_households_and_communes_dump_as_their_schemas_say(factory, db):
    shop = factory.shop()
    rated = factory.product(shop, name="Trà shan tuyết", ocop_stars=4, ocop_certificate_no="QĐ 12/2025",
                            ocop_issued_on=date(2025, 3, 1), ocop_expires_on=date(2028, 3, 1), sku="TRA-01",
                            net_weight_g=250)
    factory.product(shop, name="Mật ong", description="")
    db.add_all([ProductImage(product_id=rated.id, path=f"p/{n}.jpg", thumb_path=f"p/{n}-thumb.jpg", width=800,
                             height=600, bytes=1000, position=n) for n in (1, 0)])
    db.commit()
    db.expire_all()
    for product in db.scalars(select(Product)):
        same(ProductSchema, product)
    assert [i["url"] for i in fast.dumper(ProductSchema)(db.get(Product, rated.id))["images"]] == [
        "/uploads/p/0.jpg", "/uploads/p/1.jpg"]
    for household in db.scalars(select(HouseholdBusiness)):
        same(HouseholdSchema, household)
    same(CommuneSchema, db.get(Commune, "00583"))


def test_fields_it_does_not_know_are_left_to_marshmallow():
    class Odd(Schema):
        text = fields.String()
        price = fields.Integer(as_string=True)
        ratio = fields.Float()
        shop_name = fields.String(attribute="shop.name")
        missing_one = fields.String()
        kind = fields.String(dump_default="farm")
        tags = fields.List(fields.String())
        at = fields.DateTime(format="%d/%m/%Y")
        shout = fields.Method("loud")

        def loud(self, obj):
            return str(obj.text) + "!"

    obj = SimpleNamespace(text=12, price=5, ratio=1, shop=SimpleNamespace(name="Chè"), tags=["a", 2],
                          at=date(2026, 12, 5))
    same(Odd, obj)
    assert fast.dumper(Odd)(obj) == {"text": "12", "price": "5", "ratio": 1.0, "shop_name": "Chè", "kind": "farm",
                                     "tags": ["a", "2"], "at": "05/12/2026", "shout": "12!"}


def test_a_schema_with_dump_hooks_is_dumped_by_marshmallow():
    class Hooked(Schema):
        a = fields.Integer()

        @post_dump
        def double(self, data, **_):
            return {"a": data["a"] * 2}

    assert fast.dumper(Hooked)(SimpleNamespace(a=2)) == {"a": 4}


def test_a_catalog_page_of_light_records_or_cards_is_the_page_of_products(factory, db):
    from core.services import products

    shop, other = factory.shop(), factory.shop()
    for n in range(7):
        product = factory.product(shop if n % 2 else other, name=f"Sản phẩm {n}", price_vnd=1000 * (n + 1))
        if n % 3 == 0:
            db.add(ProductImage(product_id=product.id, path=f"p/{n}.jpg", thumb_path=f"p/{n}-thumb.jpg",
                                width=800, height=600, bytes=1000, position=0))
    factory.product(shop, name="Nháp", status="draft")
    db.commit()
    db.expire_all()
    for filters in ({"commune": "00583"}, {"household": shop.id}, {"q": "san pham 3"}):
        objects = db.scalars(products.catalog_query(None, **filters).limit(4).offset(1)).unique().all()
        records = products.catalog_records(db, None, 4, 1, **filters)
        assert [fast.dumper(ProductSchema)(r) for r in records] == [ProductSchema().dump(p) for p in objects]
        cards = products.catalog_cards(db, None, 4, 1, **filters)
        assert [(c.id, c.slug, c.name, c.price_vnd, c.ocop_stars, c.shop_name, c.cover_thumb) for c in cards] == [
            (p.id, p.slug, p.name, p.price_vnd, p.ocop_stars, p.household.name, p.cover and p.cover.thumb_path)
            for p in objects]
