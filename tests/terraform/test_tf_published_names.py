"""The names the functions publish, as the module publishes them for its users' rules and alarms.

The functions name their EventBridge detail types (``notifications``) and their CloudWatch metrics
(``metrics``); the module's outputs ``event_detail_types`` and ``metric_names`` come from
``names.tf``, which the module's dashboard and alarm and the examples read as well. The outputs are
read from a real plan (fixtures/names, planned with the AWS provider against moto's server), and no
other Terraform file of the module, its submodules or its examples spells one of the names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from credentials_rotator.aws import metrics, notifications

from testkit.terraform import BUILD, REPO, Terraform

FIXTURE = Path(__file__).parent / "fixtures" / "names"
PUBLISHED = {"event_detail_types": notifications.DETAIL_TYPES, "metric_names": metrics.METRIC_NAMES}
HOME = REPO / "names.tf"


@pytest.fixture(scope="module")
def outputs(terraform: Terraform, moto_endpoint: str) -> dict[str, Any]:
    terraform.init(FIXTURE)
    planned, refusal = terraform.plan_json(FIXTURE, {}, moto_endpoint, BUILD / "published-names")
    assert planned is not None, refusal
    return {name: output["value"] for name, output in planned["planned_values"]["outputs"].items()}


@pytest.mark.parametrize("output", PUBLISHED)
def test_given_the_module_planned_then_its_output_names_what_the_functions_publish(
    outputs: dict[str, Any], output: str
) -> None:
    assert outputs[output] == PUBLISHED[output]


def configuration_files() -> list[Path]:
    """The module's Terraform files, its submodules' and its examples', but not its tests'."""
    files = [*REPO.glob("*.tf"), *REPO.glob("modules/**/*.tf"), *REPO.glob("examples/**/*.tf")]
    return sorted(path for path in files if ".terraform" not in path.parts)


def test_given_the_configuration_then_only_names_tf_spells_a_published_name() -> None:
    names = [name for published in PUBLISHED.values() for name in published.values()]
    spelled = {
        (path.relative_to(REPO).as_posix(), name)
        for path in configuration_files()
        if path != HOME
        for name in names
        if f'"{name}"' in path.read_text()
    }
    assert spelled == set(), "read them from local.event_detail_types or local.metric_names"
    assert all(f'"{name}"' in HOME.read_text() for name in names)
