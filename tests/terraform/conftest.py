"""Fixtures of the Terraform tier. Every tool it needs is installed by `make test-tf`; a test whose
tool is missing is skipped with the reason and the command that installs it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.authz.planning import PlanningUnavailable, moto_server
from testkit.terraform import REPO, Terraform, find_terraform


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    binary = find_terraform()
    if binary is None:
        pytest.skip("terraform is not on PATH (install Terraform 1.9 or newer)")
    return Terraform.create(binary)


@pytest.fixture(scope="session")
def checkov() -> str:
    candidates = [REPO / ".venv-checkov" / "bin" / "checkov", shutil.which("checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.skip("checkov is not installed: `make checkov-venv` installs it into .venv-checkov")


@pytest.fixture(scope="session")
def asl_validator() -> str:
    binary = REPO / "node_modules" / ".bin" / "asl-validator"
    if not binary.exists():
        pytest.skip("asl-validator is not installed: `npm ci` installs it into node_modules")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH; asl-validator needs Node.js")
    return str(binary)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's server, answering the provider's account lookups while a fixture is planned."""
    try:
        with moto_server() as endpoint:
            yield endpoint
    except PlanningUnavailable as exc:
        pytest.fail(str(exc))
