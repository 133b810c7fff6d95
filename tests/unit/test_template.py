"""The state machine template, rendered by Terraform with the fixture's variables."""

from __future__ import annotations

import json
import re
from typing import Any

import asl_render
import pytest

pytestmark = pytest.mark.skipif(
    asl_render.terraform_missing_reason() is not None,
    reason=str(asl_render.terraform_missing_reason()),
)

TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return asl_render.render()


def states(asl: dict[str, Any]) -> dict[str, Any]:
    """Every state, those of the Maps' iterations (at any depth) included."""
    found = dict(asl["States"])
    for state in asl["States"].values():
        if state["Type"] == "Map":
            found.update(states(state["ItemProcessor"]))
    return found


def batch_states(asl: dict[str, Any]) -> dict[str, Any]:
    """The states of one batch: a child execution of the Distributed Map."""
    states: dict[str, Any] = asl["States"]["RotateUsers"]["ItemProcessor"]["States"]
    return states


def user_states(asl: dict[str, Any]) -> dict[str, Any]:
    """The states of one user, in the batch's inline Map."""
    states: dict[str, Any] = batch_states(asl)["RotateBatch"]["ItemProcessor"]["States"]
    return states


def test_the_template_uses_exactly_the_fixture_variables() -> None:
    """GIVEN the template and the fixture WHEN compared THEN every variable is used, no other."""
    used = set(re.findall(r"\$\{([a-z_]+)\}", asl_render.TEMPLATE.read_text()))
    assert used == set(asl_render.template_variables())


def test_numbers_are_rendered_as_numbers() -> None:
    asl = asl_render.render(
        {
            "max_concurrency": 6,
            "user_concurrency": 3,
            "batch_concurrency": 2,
            "batch_size": 7,
            "cleanup_wait_seconds": 45,
        }
    )
    assert asl["States"]["RotateUsers"]["MaxConcurrency"] == 2
    assert batch_states(asl)["RotateBatch"]["MaxConcurrency"] == 3
    assert asl["States"]["Plan"]["Parameters"]["Payload"]["batchSize"] == 7
    assert asl["States"]["Finish"]["Parameters"]["Payload"]["maxConcurrency"] == 6
    assert asl["States"]["GraceWait"]["Seconds"] == 45


def test_users_run_in_batches_of_a_distributed_map_whose_items_stay_out_of_the_state(
    asl: dict[str, Any],
) -> None:
    """GIVEN the rendered template THEN the run's users are read from the run-data bucket by a
    Distributed Map, each batch a child execution with its own history, and no list of users or
    results passes through the run's own state."""
    variables = asl_render.template_variables()
    rotate_users = asl["States"]["RotateUsers"]
    assert rotate_users["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert rotate_users["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert rotate_users["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert "ItemsPath" not in rotate_users
    assert rotate_users["ResultPath"] is None  # the batches' outcomes go to the bucket
    plan_payload = asl["States"]["Plan"]["Parameters"]["Payload"]
    assert plan_payload["runDataBucket"] == variables["run_data_bucket"]
    assert batch_states(asl)["RotateBatch"]["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "INLINE"
    }
    assert (
        batch_states(asl)["RecordOutcomes"]["Parameters"]["FunctionName"]
        == (variables["finish_function_arn"])
    )


def test_at_most_max_concurrency_users_rotate_at_once() -> None:
    """The fixture's values are the module's for max_concurrency 5: one batch at a time, five of
    its users at once (state_machine.tf computes them; tests/state_machine.tftest.hcl checks it)."""
    variables = asl_render.template_variables()
    assert (
        variables["user_concurrency"] * variables["batch_concurrency"]
        <= (variables["max_concurrency"])
    )
    assert variables["user_concurrency"] <= variables["batch_size"]


def test_a_variable_the_template_does_not_take_is_refused() -> None:
    with pytest.raises(KeyError, match="schedule"):
        asl_render.render({"schedule": "rate(1 day)"})


def test_every_function_is_invoked_by_its_variable(asl: dict[str, Any]) -> None:
    variables = asl_render.template_variables()
    invoked = {
        s["Parameters"]["FunctionName"]
        for s in states(asl).values()
        if s.get("Resource") == "arn:aws:states:::lambda:invoke"
    }
    assert invoked == {v for k, v in variables.items() if k.endswith("_arn")}


def test_our_functions_retry_only_transient_errors_with_backoff_and_jitter(
    asl: dict[str, Any],
) -> None:
    """GIVEN plan, rotate, roll back, finish WHEN a task fails THEN only Lambda's own transient
    errors are retried: a retried partial rotation would strand a key."""
    consumer = asl_render.template_variables()["credentials_handler_arn"]
    ours = [
        s
        for s in states(asl).values()
        if s.get("Resource") == "arn:aws:states:::lambda:invoke"
        and s["Parameters"]["FunctionName"] != consumer
    ]
    assert len(ours) == 6  # plan, read records, rotate, roll back, record outcomes, finish
    for state in ours:
        retriers = state["Retry"]
        assert [set(r["ErrorEquals"]) for r in retriers] == [TRANSIENT]
        assert retriers[0]["BackoffRate"] > 1
        assert retriers[0]["JitterStrategy"] == "FULL"


def test_the_handoff_is_retried_with_backoff_then_rolled_back(asl: dict[str, Any]) -> None:
    handoff = states(asl)["Handoff"]
    assert (
        handoff["Parameters"]["FunctionName"]
        == (asl_render.template_variables()["credentials_handler_arn"])
    )
    throttled, any_error = handoff["Retry"]
    # a throttled invoke never ran the handler: retried longer, apart from the handler's errors
    assert throttled["ErrorEquals"] == ["Lambda.TooManyRequestsException"]
    assert throttled["MaxAttempts"] > any_error["MaxAttempts"]
    assert any_error["ErrorEquals"] == ["States.ALL"]
    for retrier in (throttled, any_error):
        assert retrier["BackoffRate"] > 1
        assert retrier["JitterStrategy"] == "FULL"
    assert handoff["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RollBack"}
    ]
    assert handoff["ResultPath"] is None  # the handler's answer never enters the state


def test_the_handoff_payload_is_the_original_contract_plus_ids(asl: dict[str, Any]) -> None:
    payload = states(asl)["Handoff"]["Parameters"]["Payload"]
    assert {key.removesuffix(".$") for key in payload} == {
        "username",
        "secretName",
        "metadata",
        "secretArn",
        "accessKeyId",
        "versionId",
    }


def test_there_is_one_grace_wait_for_the_run_skipped_by_dry_runs(asl: dict[str, Any]) -> None:
    waits = [name for name, s in states(asl).items() if s["Type"] == "Wait"]
    assert waits == ["GraceWait"]
    assert "GraceWait" in asl["States"]  # outside the Map: once per run
    choice = asl["States"]["DryRun"]
    assert choice["Choices"][0]["Variable"] == "$.dry_run"
    assert choice["Choices"][0]["Next"] == "Finish"
    assert choice["Default"] == "GraceWait"
    assert asl["States"]["GraceWait"]["Next"] == "Finish"


def test_every_iteration_catches_everything_so_one_user_never_stops_the_others(
    asl: dict[str, Any],
) -> None:
    inner = user_states(asl)
    for name in ("Rotate", "Handoff", "MarkDelivered", "RollBack"):
        assert inner[name]["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
    batch = batch_states(asl)
    for name in ("ReadRecords", "RecordOutcomes"):  # so every batch ends with its outcomes
        assert batch[name]["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
    assert asl["States"]["RotateUsers"]["Catch"][-1] == {
        "ErrorEquals": ["States.ALL"],
        "ResultPath": "$.rotateError",
        "Next": "DryRun",
    }


def test_the_template_is_readable_json() -> None:
    text = asl_render.render_text()
    assert json.dumps(json.loads(text), indent=2) + "\n" == text


def test_no_path_uses_a_wildcard_whose_result_shape_differs_between_engines(
    asl: dict[str, Any],
) -> None:
    """GIVEN the rendered template THEN no JSONPath selects with `[*]` or `..`.

    AWS returns a list for `$[*].x` even with one match; LocalStack returns the bare value, so a
    run with a single user broke there. Paths that name one node behave the same everywhere.
    """
    text = json.dumps(asl)
    assert "[*]" not in text
    assert "$.." not in text
