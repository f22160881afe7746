"""An installed choso (from its wheel, not the source tree) finds its templates, translations and migrations."""

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMOKE = textwrap.dedent("""
    import sys
    from pathlib import Path
    import core
    from core import schema
    from core.app import create_app, template_folder
    from core.db import database
    from core.testing import config_for_tests
    target = Path(sys.argv[1]).resolve()
    assert Path(core.__file__).resolve().is_relative_to(target), core.__file__
    assert template_folder().resolve().is_relative_to(target), template_folder()
    app = create_app(config_for_tests("sqlite:///" + sys.argv[2], Path(sys.argv[3])))
    schema.upgrade(database(app).engine)
    schema.seed_communes(database(app).engine)
    client = app.test_client()
    page = client.get("/c/00583").get_data(as_text=True)
    assert "Chợ số Xã Bát Tràng" in page, page[:300]
    assert client.get("/static/choso.css").status_code == 200
    print("installed-ok")
""")


def test_the_wheel_carries_pages_and_works_when_installed(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True, cwd=tmp_path)
    wheel = next(wheels.glob("choso-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("choso_templates/base.html", "choso_templates/catalog/index.html",
                     "choso_templates/static/choso.css", "core/translations/vi/LC_MESSAGES/messages.mo",
                     "core/migrations/versions/0001_initial_schema.py", "payments/vietqr/banks.json"):
        assert expected in names, expected
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", SMOKE, str(target), str(tmp_path / "db.sqlite3"),
                           str(tmp_path / "instance")], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.stdout.strip().endswith("installed-ok"), done.stderr[-2000:]
