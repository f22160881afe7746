"""requirements.lock is what a deployment installs: it must cover pyproject.toml, and the suite must run on it."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", re.M)


def locked() -> dict[str, str]:
    return {canonicalize_name(name): pin for name, pin in PINNED.findall((ROOT / "requirements.lock").read_text())}


def deployed_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["scale"]]


def test_every_dependency_is_locked_at_a_version_pyproject_allows():
    pins = locked()
    wrong = [f"{req.name}: locked {pins.get(canonicalize_name(req.name))}, pyproject asks {req.specifier}"
             for req in deployed_requirements()
             if canonicalize_name(req.name) not in pins or pins[canonicalize_name(req.name)] not in req.specifier]
    assert wrong == [], "run ./scripts/lock"


def test_every_locked_package_is_pinned_with_hashes():
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 6)[-1])
    assert blocks and all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_the_suite_runs_on_the_locked_versions():
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    moved = {name: (pin, installed(name)) for name, pin in locked().items() if installed(name) != pin}
    assert moved == {}, "the test tools changed locked packages (locked, installed); run ./scripts/lock"
