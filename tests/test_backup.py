"""`choso backup` and `choso restore` round-trip: the restored instance has the same data and photos."""

from pathlib import Path

from sqlalchemy import func, select

from core.db import database
from core.models import HouseholdBusiness, Product, ProductImage


def snapshot_of(db, upload_dir: Path) -> dict:
    db.expire_all()
    return {"shops": sorted(db.scalars(select(HouseholdBusiness.name))),
            "products": sorted((p.name, p.price_vnd, p.stock) for p in db.scalars(select(Product))),
            "photos": sorted(str(p.relative_to(upload_dir)) for p in upload_dir.rglob("*") if p.is_file())}


def test_backup_then_restore_gives_back_the_same_data(choso, app, db, factory, product_with_photo, tmp_path):
    factory.product(name="Gạo nếp cái hoa vàng", price_vnd=35_000)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    before = snapshot_of(db, upload_dir)
    assert len(before["photos"]) >= 2
    archive = tmp_path / "choso-backup.tar.gz"
    made = choso("backup", str(archive))
    assert archive.exists() and "2 products" in made.stdout

    # things go wrong after the backup: a product deleted, a price changed, a photo lost
    product, _token = product_with_photo
    db.execute(ProductImage.__table__.delete())
    db.execute(Product.__table__.delete().where(Product.id == product.id))
    db.execute(Product.__table__.update().values(price_vnd=1))
    db.commit()
    for photo in upload_dir.rglob("*"):
        if photo.is_file():
            photo.unlink()
            break
    db.close()
    database(app).engine.dispose()  # restore replaces tables: the test's own idle connections must let go

    refused = choso("restore", str(archive), check=False)  # asks first; no answer, nothing happens
    assert refused.returncode == 1
    assert db.scalar(select(func.count()).select_from(Product)) == 1
    db.close()  # end the read's transaction: restore replaces tables
    done = choso("restore", "--yes", str(archive))
    assert "restored" in done.stdout
    assert snapshot_of(db, upload_dir) == before


def test_restore_refuses_an_archive_of_the_other_kind_of_database(choso, tmp_path):
    import io
    import json
    import tarfile

    archive = tmp_path / "odd.tar.gz"
    manifest = json.dumps({"format": 1, "database": "oracle", "counts": {}}).encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    r = choso("restore", "--yes", str(archive), check=False)
    assert r.returncode == 1 and "oracle" in r.stderr
