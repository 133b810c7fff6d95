"""README: its Inputs and Outputs tables follow variables.tf and outputs.tf; every input is typed
and described, every output described; the sections users look for are there."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest

from testkit.terraform import REPO


def load_readme_tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "readme_tables", REPO / "scripts" / "readme_tables.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_tables"] = module
    spec.loader.exec_module(module)
    return module


readme_tables = load_readme_tables()
SECTIONS = [
    "## Usage",
    "## Handler contract",
    "## On-demand rotation",
    "## What terraform destroy does",
    "## Inputs",
    "## Outputs",
]


def test_inputs_and_outputs_tables_are_in_sync() -> None:
    current = (REPO / "README.md").read_text()
    assert readme_tables.rendered_readme(current) == current, (
        "run `make readme` and commit README.md"
    )


@pytest.mark.parametrize(
    "variable", readme_tables.read_variables(REPO / "variables.tf"), ids=lambda v: v.name
)
def test_every_input_is_typed_and_described(variable: Any) -> None:
    assert variable.type, f"{variable.name} has no type"
    assert variable.type != "any", f"{variable.name}: give it a real type"
    assert variable.description and variable.description.endswith("."), (
        f"{variable.name}: describe it"
    )


def test_every_output_is_described() -> None:
    outputs = readme_tables.read_outputs(REPO / "outputs.tf")
    assert outputs
    undescribed = [output.name for output in outputs if not output.description]
    assert not undescribed, undescribed


def test_readme_has_the_sections_users_look_for() -> None:
    headings = [
        line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("## ")
    ]
    missing = [section for section in SECTIONS if section not in headings]
    assert not missing, missing
