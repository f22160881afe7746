"""`choso backup` and `choso restore`: the database and the uploaded photos in one .tar.gz.

SQLite is copied with its online backup API, so a backup is consistent while choso serves. PostgreSQL goes
through pg_dump / pg_restore (custom format), which must be installed (Debian: postgresql-client) and of the
server's major version or newer. A manifest records what the archive holds; restore checks it first.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from core.db import database

FORMAT = 1
COUNTED = ("households", "products", "bills", "payments", "receipts", "orders", "bank_transactions")


def _libpq_url(url: str) -> str:
    """pg_dump speaks libpq URLs, without SQLAlchemy's driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise click.ClickException(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _counts() -> dict[str, int]:
    from sqlalchemy import text

    with database(current_app).engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 (fixed names)
                for table in COUNTED}


def backup(target: Path, say: Callable[[str], None]) -> dict:
    url = current_app.config["DATABASE_URL"]
    kind = make_url(url).get_backend_name()
    uploads = Path(current_app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / ("database.sqlite3" if kind == "sqlite" else "database.pgdump")
        say(f"database ({kind}) …")
        if kind == "sqlite":
            source = sqlite3.connect(make_url(url).database)
            copy = sqlite3.connect(dump)
            with copy:
                source.backup(copy)  # page by page, consistent, while others keep writing
            copy.close()
            source.close()
        else:
            command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}",
                       _libpq_url(url)]
            subprocess.run(command, check=True)  # noqa: S603 (our own settings, no shell)
        manifest = {"format": FORMAT, "database": kind, "created_at": datetime.now(UTC).isoformat(),
                    "counts": _counts(), "uploads": sum(1 for p in uploads.rglob("*") if p.is_file())
                    if uploads.exists() else 0}
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest, indent=2))
        say(f"photos: {manifest['uploads']} files …")
        partial = target.with_suffix(target.suffix + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(tmp) / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            if uploads.exists():
                archive.add(uploads, "uploads")
        os.replace(partial, target)  # a crash never leaves a half-written archive under the real name
    return manifest


def restore(source: Path, say: Callable[[str], None]) -> dict:
    url = current_app.config["DATABASE_URL"]
    kind = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(source, "r:gz") as archive:
        archive.extractall(tmp, filter="data")  # refuses absolute paths, links out of the folder, devices
        manifest = json.loads((Path(tmp) / "manifest.json").read_text())
        if manifest.get("format") != FORMAT or manifest.get("database") != kind:
            raise click.ClickException(f"this archive holds a {manifest.get('database')} database; "
                                       f"DATABASE_URL is {kind}")
        database(current_app).engine.dispose()
        say(f"database ({kind}) …")
        if kind == "sqlite":
            target = Path(make_url(url).database)
            restored = sqlite3.connect(Path(tmp) / "database.sqlite3")
            live = sqlite3.connect(target)
            with live:
                restored.backup(live)  # replaces every page, in one transaction
            live.close()
            restored.close()
        else:
            command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                       "--single-transaction", f"--dbname={_libpq_url(url)}", str(Path(tmp) / "database.pgdump")]
            subprocess.run(command, check=True)  # noqa: S603 (our own settings, no shell)
        uploads = Path(current_app.config["UPLOAD_DIR"])
        if (Path(tmp) / "uploads").exists():
            say("photos …")
            shutil.copytree(Path(tmp) / "uploads", uploads, dirs_exist_ok=True)
    counts = _counts()
    if counts != manifest["counts"]:
        raise click.ClickException(f"restored counts {counts} differ from the archive's {manifest['counts']}")
    return manifest


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write the database and uploaded photos to TARGET (.tar.gz); safe while choso serves."""
    manifest = backup(target, lambda m: click.echo(f"  {m}", err=True))
    click.echo(f"backup written to {target}: " + ", ".join(f"{v} {k}" for k, v in manifest["counts"].items()))


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask: the current data is replaced")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database and add the photos from a SOURCE made by `choso backup`. Stop web and workers first."""
    if not yes and not click.confirm("The current database will be replaced. Go on?", err=True):
        sys.exit(1)
    manifest = restore(source, lambda m: click.echo(f"  {m}", err=True))
    click.echo(f"restored {source} (made {manifest['created_at']}): "
               + ", ".join(f"{v} {k}" for k, v in manifest["counts"].items()))
