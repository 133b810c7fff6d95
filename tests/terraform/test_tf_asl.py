"""asl-validator on the state machine exactly as Terraform renders it.

Neither moto nor LocalStack rejects an invalid state machine, so this is the structural check:
every Next names a state, every path ends, every field is of the right kind.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testkit.terraform import BUILD, REPO, Terraform

FIXTURE = REPO / "tests" / "fixtures" / "state_machine_variables.json"
TEMPLATE = REPO / "step_function.asl.json.tpl"


@pytest.fixture(scope="module")
def rendered(terraform: Terraform) -> dict[str, Any]:
    """The template rendered by Terraform's templatefile() with the fixture's variables.

    `terraform console` needs no init; base64 keeps the rendered text intact on its way out.
    """
    directory = BUILD / "console"  # empty: console loads no configuration
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (BUILD / "render").mkdir(parents=True, exist_ok=True)
    expression = (
        f'base64encode(jsonencode(jsondecode(templatefile("{TEMPLATE}", '
        f'jsondecode(file("{FIXTURE}"))))))\n'
    )
    result = subprocess.run(
        [terraform.binary, "console"],
        input=expression,
        cwd=directory,
        env=terraform.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    encoded = result.stdout.strip().splitlines()[-1].strip().strip('"')
    definition: dict[str, Any] = json.loads(base64.b64decode(encoded))
    return definition


def validate(asl_validator: str, definition: dict[str, Any], path: Path) -> tuple[bool, str]:
    path.write_text(json.dumps(definition, indent=2))
    result = subprocess.run(
        [asl_validator, "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode == 0, result.stdout + result.stderr


def test_rendered_state_machine_is_valid_asl(asl_validator: str, rendered: dict[str, Any]) -> None:
    valid, report = validate(asl_validator, rendered, BUILD / "render" / "state_machine.json")
    assert valid, report


def test_validator_rejects_a_broken_definition(
    asl_validator: str, rendered: dict[str, Any]
) -> None:
    """The same document with a dangling Next is rejected, so the check above can fail."""
    broken = json.loads(json.dumps(rendered))
    start = broken["StartAt"]
    broken["States"][start]["Next"] = "NoSuchState"
    broken["States"][start].pop("End", None)
    valid, _ = validate(asl_validator, broken, BUILD / "render" / "broken.json")
    assert not valid
