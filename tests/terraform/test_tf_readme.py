"""README: its Inputs and Outputs tables follow variables.tf and outputs.tf (the root module's and
each submodule's); every input is typed and described, every output described; the sections users
look for are there."""

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


ROOTS = {root.relative_to(REPO).as_posix(): root for root in readme_tables.module_roots()}
VARIABLES = [
    (name, variable)
    for name, root in ROOTS.items()
    for variable in readme_tables.read_variables(root / "variables.tf")
]


@pytest.mark.parametrize("module", ROOTS)
def test_inputs_and_outputs_tables_are_in_sync(module: str) -> None:
    readme = ROOTS[module] / "README.md"
    current = readme.read_text()
    assert readme_tables.rendered_readme(current, ROOTS[module]) == current, (
        f"run `make readme` and commit {readme.relative_to(REPO)}"
    )


@pytest.mark.parametrize(
    ("module", "variable"),
    VARIABLES,
    ids=[
        variable.name if module == "." else f"{module}:{variable.name}"
        for module, variable in VARIABLES
    ],
)
def test_every_input_is_typed_and_described(module: str, variable: Any) -> None:
    assert variable.type, f"{module}: {variable.name} has no type"
    assert variable.type != "any", f"{module}: {variable.name}: give it a real type"
    assert variable.description and variable.description.endswith("."), (
        f"{module}: {variable.name}: describe it"
    )


@pytest.mark.parametrize("module", ROOTS)
def test_every_output_is_described(module: str) -> None:
    outputs = readme_tables.read_outputs(ROOTS[module] / "outputs.tf")
    assert outputs
    undescribed = [output.name for output in outputs if not output.description]
    assert not undescribed, undescribed


def test_readme_has_the_sections_users_look_for() -> None:
    headings = [
        line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("## ")
    ]
    missing = [section for section in SECTIONS if section not in headings]
    assert not missing, missing
