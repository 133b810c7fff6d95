"""The end-to-end tier: examples/complete applied to LocalStack with the real Terraform and AWS
provider, then rotated for real. Run it with `make test-e2e`, which starts LocalStack around it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from testkit.stack import Stack

# Short grace so that a run ends within seconds; one user carries metadata, one does not.
E2E_VARIABLES = {
    "cleanup_wait_seconds": 2,
    "demo_users": {"homer": "nuclear-plant", "marge": "household", "bart": ""},
    "max_concurrency": 3,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Destroying the stack ends the tier, whatever order the files are collected in."""
    items.sort(key=lambda item: item.get_closest_marker("destroys_stack") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "destroys_stack: runs after every other end-to-end test")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        pytest.skip("LOCALSTACK_ENDPOINT is not set: run this tier with `make test-e2e`")
    deployed = Stack(name=f"e2e-{secrets.token_hex(3)}", endpoint=endpoint, variables=E2E_VARIABLES)
    deployed.apply()
    yield deployed
    if not deployed.destroyed:
        deployed.destroy()
