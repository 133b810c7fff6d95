"""The configurations of the module the tiers plan (testkit/authz/planned.py), so that a plan
missing from the cache is made together with every other one missing too.

``configurations.json`` beside this file lists the configurations the workflow and fault tiers
plan; the configurations cached under ``.build/authz/`` for earlier versions of the module's files
add any a test planned since. The set only decides what is planned together, never what a plan
says: a configuration outside it is planned when a test needs it, and one that no test needs any
more costs a second or two of a shared plan. ``python -m testkit.authz.configuration_set`` writes
the file from the cache (after ``make test-quick test-faults``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SET_FILE = Path(__file__).with_name("configurations.json")
CACHE = Path(__file__).resolve().parents[2] / ".build" / "authz"


def known(cache: Path) -> list[dict[str, Any]]:
    """The listed configurations and every one cached in ``cache``, each once (as the fixture's
    variables of one configuration)."""
    found: dict[str, dict[str, Any]] = {}
    for variables in [*_listed(), *cached(cache)]:
        found.setdefault(json.dumps(variables, sort_keys=True), variables)
    return list(found.values())


def _listed() -> list[dict[str, Any]]:
    if not SET_FILE.exists():
        return []
    listed: list[dict[str, Any]] = json.loads(SET_FILE.read_text())
    return listed


def cached(cache: Path) -> list[dict[str, Any]]:
    """The configurations of the module's plans cached in ``cache`` (not the member roles')."""
    found = []
    for path in sorted(cache.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "by_function" in data:
            found.append(data["configuration"])
    return found


def write(cache: Path) -> int:
    """List every configuration cached in ``cache``; how many."""
    return write_listed(SET_FILE, cached(cache))


def write_listed(path: Path, entries: list[dict[str, Any]]) -> int:
    """Write ``entries`` to the set file ``path``, each once, in a stable order; how many."""
    unique = {json.dumps(entry, sort_keys=True): entry for entry in entries}
    path.write_text(json.dumps([unique[k] for k in sorted(unique)], indent=1) + "\n")
    return len(unique)


if __name__ == "__main__":
    print(f"{write(CACHE)} configurations in {SET_FILE}")
