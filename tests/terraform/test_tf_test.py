"""`terraform test`: every run block of tests/*.tftest.hcl, reported as its own test.

Terraform runs once (mock provider, plan mode, offline); each run block then becomes one pytest
test, so the tier's counts show the validation, resource and state machine checks one by one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from testkit.terraform import REPO, Terraform

TEST_FILES = sorted(REPO.glob("tests/*.tftest.hcl"))
RUNS = [
    (path.relative_to(REPO).as_posix(), name)
    for path in TEST_FILES
    for name in re.findall(r'^run "([^"]+)"', path.read_text(), re.MULTILINE)
]


@pytest.fixture(scope="module")
def test_report(terraform: Terraform) -> dict[str, Any]:
    terraform.init(REPO)
    result = terraform.run(REPO, "test", "-json", "-no-color", check=False, timeout=900)
    statuses: dict[tuple[str, str], str] = {}
    diagnostics: dict[tuple[str, str], list[str]] = defaultdict(list)
    abstract: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "test_abstract":
            abstract = message["test_abstract"]
        elif kind == "test_run" and message["test_run"].get("progress") == "complete":
            run = message["test_run"]
            statuses[(run["path"], run["run"])] = run["status"]
        elif kind == "diagnostic" and "@testrun" in message:
            detail = message["diagnostic"]
            key = (message["@testfile"], message["@testrun"])
            diagnostics[key].append(f"{detail['summary']}: {detail.get('detail', '')}")
    return {
        "abstract": abstract,
        "statuses": statuses,
        "diagnostics": diagnostics,
        "output": result.stdout[-4000:] + result.stderr[-4000:],
    }


def test_terraform_finds_every_run_block(test_report: dict[str, Any]) -> None:
    found = {(path, name) for path, names in test_report["abstract"].items() for name in names}
    assert found == set(RUNS), test_report["output"]


@pytest.mark.parametrize(("path", "run"), RUNS, ids=[f"{p.split('/')[-1]}::{r}" for p, r in RUNS])
def test_run_block_passes(test_report: dict[str, Any], path: str, run: str) -> None:
    status = test_report["statuses"].get((path, run), "did not complete")
    assert status == "pass", "\n".join(test_report["diagnostics"][(path, run)]) or status
