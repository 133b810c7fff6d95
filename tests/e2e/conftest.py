"""The end-to-end tier: examples/complete applied to LocalStack with the real Terraform and AWS
provider, then rotated for real. Run it with `make test-e2e`, which starts LocalStack around it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest

from testkit.stack import Stack

# Short grace so that a run ends within seconds; one user carries metadata, one does not.
# LocalStack publishes a key's use at once (through moto), so finish judges the previous keys
# at once (last_use_delay_seconds = 0); the workflow tier models AWS's delay.
E2E_VARIABLES = {
    "cleanup_wait_seconds": 2,
    "last_use_delay_seconds": 0,
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


@pytest.fixture
def old_keys(stack: Stack) -> dict[str, str]:
    """Known state: each demo user has one Active key, recorded as delivered."""
    return {username: stack.reset_user(username)[0] for username in stack.usernames}


@pytest.fixture
def make_consumer_fail(stack: Stack) -> Iterator[Callable[[list[str]], None]]:
    """Make the sample consumer fail for some usernames; its configuration is restored afterwards.

    This changes the consumer function's configuration directly, as its owner might break it.
    """
    lambda_ = stack.client("lambda")
    name = stack.outputs["consumer_function_name"]
    original = lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]

    def configure(variables: dict[str, str]) -> None:
        lambda_.update_function_configuration(
            FunctionName=name, Environment={"Variables": variables}
        )
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)

    yield lambda usernames: configure({**original, "FAIL_FOR_USERS": ",".join(usernames)})
    configure(original)
