"""The changes the test world makes to moto (and to botocore), one module each.

Each module says which behaviour of moto it changes, what AWS does instead (or, for a patch that
only saves time, that no answer changes), and with ``CHECKED_AGAINST`` the distribution and
version it was checked against: tests/unit/test_world_patches.py fails when the installed version
differs, so that each patch is read again against the new one.

``apply`` makes the changes of a deployment in moto (testkit/harness.py); ``assume_role_as_aws``
is applied by every test (tests/conftest.py) and the benchmark, ``secret_versions_as_aws`` by the
tests that ask for it (the fixture ``moto_secret_stages``), ``iam_users_paged_as_aws`` by the
selection tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from testkit.world.patches import (
    caller_identity_as_aws,
    child_histories_kept,
    definition_parsed_once,
    json_paths_parsed_once,
    key_dates_to_the_second,
    key_last_use_as_aws,
    lambda_runs_handlers,
    response_methods_listed_once,
    s3_routes_read_once,
    secrets_found_by_key,
    state_entries_reported,
    stop_aborts_at_once,
    task_clients_reused,
    user_agent_parts_cleaned_once,
    wait_states_on_the_clock,
)

if TYPE_CHECKING:
    from testkit.harness import Harness


def apply(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    """Make moto answer ``harness``'s deployment as AWS would (undone with ``monkeypatch``)."""
    lambda_runs_handlers.patch(monkeypatch, lambda: harness.invoke)
    child_histories_kept.patch(monkeypatch, harness.children)
    secrets_found_by_key.patch(monkeypatch)
    definition_parsed_once.patch(monkeypatch)
    s3_routes_read_once.patch(monkeypatch)
    response_methods_listed_once.patch(monkeypatch)
    user_agent_parts_cleaned_once.patch(monkeypatch)
    json_paths_parsed_once.patch(monkeypatch)
    task_clients_reused.patch(monkeypatch, harness.task_clients)
    stop_aborts_at_once.patch(monkeypatch, harness.progress.ended)
    key_dates_to_the_second.patch(monkeypatch)
    caller_identity_as_aws.patch(monkeypatch, lambda: harness.propagation)
    key_last_use_as_aws.patch(monkeypatch, harness.last_use)
    wait_states_on_the_clock.patch(monkeypatch, harness.clock)
    state_entries_reported.patch(monkeypatch, harness.progress.happened, harness.entered_state)
