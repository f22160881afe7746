"""The API fuzzed at length: many random examples per operation, as each kind of caller, against a scratch
SQLite database holding one commune's worth of rows (the suite's `tests/api/test_schemathesis.py` world).

    .venv/bin/python bench/fuzz_api.py [--examples 100] [--roles anonymous,household,helper,staff,admin]
                                       [--seed N]

Prints, per role, the operations tried, the requests made and how many got past "not found", then every
finding (server error, undocumented status, wrong content type, answer breaking its schema) with the request
that shows it. Exits 1 when anything was found. The suite runs the same checks with 5 examples and a fixed
seed; this is the larger random run issue 18 asks for (reference: the issue's first run, 30 examples per
operation, about 4,100 cases per role).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--roles", default="anonymous,household,helper,staff,admin")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    import schemathesis

    from core import schema as db_schema
    from core.app import create_app
    from core.db import database, make_engine
    from core.testing import Factory, bearer, config_for_tests
    from tests.api.test_schemathesis import _messages, build_world, run

    folder = Path(tempfile.mkdtemp(prefix="choso-fuzz-"))
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    engine = make_engine(url)
    db_schema.upgrade(engine)
    db_schema.seed_communes(engine)
    engine.dispose()
    print(f"seed {seed}; scratch database {url}")
    found_any = False
    app = create_app(config_for_tests(url, folder / "instance", RATELIMIT_ENABLED=False))
    client, db = app.test_client(), database(app).sessions()
    world = build_world(client, Factory(db, app, [0]), db)
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for role in args.roles.split(","):
        headers = bearer(world.tokens[role]) if role in world.tokens else {}
        operations, tally, findings = 0, {}, {}
        for result in api.get_all_operations():
            operation = result.ok()
            operations += 1
            try:
                run(operation, world, headers, tally, examples=args.examples, seed=seed)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001  (reported below)
                findings[operation.label] = _messages(failure)
        print(f"{role:10} {operations} operations, {tally.get('requests', 0):,} requests, "
              f"{tally.get('past 404', 0):,} past 'not found', {tally.get('accepted', 0):,} accepted, "
              f"{len(findings)} with findings")
        for label, messages in sorted(findings.items()):
            found_any = True
            for message in messages:
                print(f"    {label}: {message}")
    db.close()
    database(app).engine.dispose()
    sys.exit(1 if found_any else 0)


if __name__ == "__main__":
    main()
