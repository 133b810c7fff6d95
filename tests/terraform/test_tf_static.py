"""Formatting, offline initialisation and validation of the module, its submodules and every
example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testkit.terraform import AWS_PROVIDER, MIRROR, REPO, Terraform, mirror_available


def configurations(pattern: str) -> list[str]:
    """The directories (relative to the repository) of the Terraform files `pattern` finds."""
    return sorted({path.parent.relative_to(REPO).as_posix() for path in REPO.glob(pattern)})


EXAMPLES = configurations("examples/*/*.tf")
SUBMODULES = configurations("modules/*/*.tf")
CONFIGURATIONS = [".", *SUBMODULES, *EXAMPLES]


def test_every_file_is_formatted(terraform: Terraform) -> None:
    result = terraform.run(REPO, "fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive`:\n{result.stdout}{result.stderr}"
    )


def test_init_is_offline_when_the_mirror_exists(terraform: Terraform, tmp_path: Path) -> None:
    """GIVEN the provider mirror WHEN the module is initialised with every route to the internet
    closed (the proxies point at a port nobody listens on) THEN init succeeds, and the provider it
    installed is the mirror's."""
    if not mirror_available():
        pytest.skip("no provider mirror at /opt/tf-plugins: init uses your registry setup")
    closed = "http://127.0.0.1:9"
    proxies = {"HTTPS_PROXY": closed, "HTTP_PROXY": closed, "https_proxy": closed}
    offline = Terraform(terraform.binary, {**terraform.env, **proxies})
    data_dir = tmp_path / "data"

    offline.run(REPO, "init", "-backend=false", "-input=false", "-no-color", data_dir=data_dir)

    installed = list((data_dir / "providers" / AWS_PROVIDER).glob("*/*"))  # <version>/<platform>
    assert installed, "init installed no AWS provider"
    assert all(path.resolve().is_relative_to(MIRROR) for path in installed), installed


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_configuration_validates(terraform: Terraform, configuration: str) -> None:
    directory = REPO / configuration
    terraform.init(directory)
    result = terraform.run(directory, "validate", "-json", "-no-color", check=False)
    report = json.loads(result.stdout)
    problems = [
        f"{d['severity']}: {d['summary']}: {d.get('detail', '')}" for d in report["diagnostics"]
    ]
    assert report["valid"] and result.returncode == 0, "\n".join(problems)
    assert not [p for p in problems if p.startswith("warning")], "\n".join(problems)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_only_the_aws_provider_is_required(terraform: Terraform, configuration: str) -> None:
    """Users need nothing but Terraform and hashicorp/aws: no archive, null or local provider."""
    directory = REPO / configuration
    terraform.init(directory)
    version = json.loads(terraform.run(directory, "version", "-json").stdout)
    assert set(version["provider_selections"]) == {AWS_PROVIDER}


def test_submodules_exist_with_a_readme() -> None:
    assert set(SUBMODULES) == {
        "modules/handler-function",
        "modules/handler-github-actions",
        "modules/handler-gitlab-ci",
        "modules/member-role",
    }
    for submodule in SUBMODULES:
        assert (REPO / submodule / "README.md").is_file(), f"{submodule} needs a README.md"


def test_examples_exist_with_a_readme() -> None:
    assert set(EXAMPLES) == {
        "examples/basic",
        "examples/complete",
        "examples/github-actions",
        "examples/gitlab-ci",
        "examples/multi-account",
    }
    for example in EXAMPLES:
        assert (REPO / example / "README.md").is_file(), f"{example} needs a README.md"
