"""Real rotations through the deployed state machine, functions and sample consumer.

LocalStack does not enforce IAM policies, so least privilege is proven by the Terraform tier's
contract test instead; and its Scheduler never fires, so runs are started with the schedule's own
target, input and role (`Stack.start_like_schedule`).
"""

from __future__ import annotations

from collections.abc import Callable

from leaks import assert_no_secret_leaked

from testkit.stack import Stack


def test_given_three_users_when_the_schedule_runs_then_each_ends_with_one_new_key_the_consumer_read(
    stack: Stack, old_keys: dict[str, str]
) -> None:
    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    assert run.usernames("rotated") == sorted(stack.usernames)
    assert run.summary["failed"] == []
    for username, old_key in old_keys.items():
        keys = stack.keys(username)
        assert len(keys) == 1, f"{username} has {len(keys)} keys"
        ((new_key, status),) = keys.items()
        assert status == "Active"
        assert new_key != old_key, f"{username}'s old key is still there"
        assert stack.secret_key_id(username) == new_key
        received = stack.received(username)
        assert received is not None, f"the consumer never received {username}'s key"
        assert received["accessKeyId"] == new_key
    assert stack.received("e2e-missing") is None
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_metadata_when_rotated_then_the_consumer_receives_it_untouched(
    stack: Stack, old_keys: dict[str, str]
) -> None:
    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    by_name = {username: stack.received(username) for username in stack.usernames}
    homer = next(name for name in by_name if name.endswith("-homer"))
    bart = next(name for name in by_name if name.endswith("-bart"))
    assert by_name[homer] is not None and by_name[homer]["metadata"] == "nuclear-plant"
    assert by_name[bart] is not None and by_name[bart]["metadata"] is None


def test_given_a_consumer_failing_for_one_user_then_only_that_user_is_rolled_back_and_the_run_fails(
    stack: Stack, old_keys: dict[str, str], make_consumer_fail: Callable[[list[str]], None]
) -> None:
    failing = next(name for name in stack.usernames if name.endswith("-marge"))
    make_consumer_fail([failing])

    run = stack.rotate()

    assert run.status == "FAILED", run
    assert run.usernames("failed") == [failing]
    assert run.usernames("rotated") == sorted(set(stack.usernames) - {failing})
    assert stack.keys(failing) == {old_keys[failing]: "Active"}
    assert stack.secret_key_id(failing) == old_keys[failing]
    for username in set(stack.usernames) - {failing}:
        assert old_keys[username] not in stack.keys(username)
        assert len(stack.keys(username)) == 1
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_a_second_run_then_it_retires_the_key_the_first_run_delivered(
    stack: Stack, old_keys: dict[str, str]
) -> None:
    first = stack.rotate()
    assert first.status == "SUCCEEDED", first
    delivered = {username: stack.secret_key_id(username) for username in stack.usernames}

    second = stack.rotate()

    assert second.status == "SUCCEEDED", second
    retired = {entry["username"]: entry["previousKeyId"] for entry in second.summary["rotated"]}
    assert retired == delivered
    for username in stack.usernames:
        keys = stack.keys(username)
        assert delivered[username] not in keys
        assert list(keys.values()) == ["Active"]
        assert stack.received(username)["accessKeyId"] in keys  # type: ignore[index]
    assert_no_secret_leaked(stack, first.execution_arn, second.execution_arn)


def test_given_deactivate_mode_then_the_previous_key_stays_inactive_until_the_next_run_deletes_it(
    stack: Stack,
) -> None:
    stack.apply(old_key_action="deactivate")
    try:
        username = stack.usernames[0]
        old_key, _ = stack.reset_user(username)

        first = stack.rotate({"users": [username]})
        assert first.status == "SUCCEEDED", first
        first_key = stack.secret_key_id(username)
        assert stack.keys(username) == {old_key: "Inactive", first_key: "Active"}

        second = stack.rotate({"users": [username]})
        assert second.status == "SUCCEEDED", second
        second_key = stack.secret_key_id(username)
        assert stack.keys(username) == {first_key: "Inactive", second_key: "Active"}
        assert_no_secret_leaked(stack, first.execution_arn, second.execution_arn)
    finally:
        stack.apply()
