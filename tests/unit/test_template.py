"""The state machine template, rendered by Terraform (``asl_render``), checked against the engine.

Every test reads the rendered definition; none compares the fixture's values with each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from credentials_rotator.aws.verification import NEW_KEY_NOT_USABLE
from credentials_rotator.model import errors, shapes
from package_scan import entry_points

from testkit import asl_render

pytestmark = pytest.mark.skipif(
    asl_render.terraform_missing_reason() is not None,
    reason=str(asl_render.terraform_missing_reason()),
)

INVOKE = "arn:aws:states:::lambda:invoke"
AWS_ERROR_PREFIXES = ("States.", "Lambda.", "Sandbox.", "Runtime.")


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return asl_render.render()


def states(asl: dict[str, Any]) -> dict[str, Any]:
    """Every state, those of the Maps' iterations (at any depth) included; names are unique."""
    found = dict(asl["States"])
    for state in asl["States"].values():
        if state["Type"] == "Map":
            inner = states(state["ItemProcessor"])
            assert not set(inner) & set(found), "a state name is used twice"
            found.update(inner)
    return found


def handler_arn() -> str:
    return str(asl_render.template_variables()["credentials_handler_arn"])


def own_tasks(asl: dict[str, Any]) -> dict[str, Any]:
    """The Tasks that invoke the module's own functions (not the credentials handler)."""
    return {
        name: state
        for name, state in states(asl).items()
        if state.get("Resource") == INVOKE and state["Parameters"]["FunctionName"] != handler_arn()
    }


def next_states(state: dict[str, Any]) -> Iterator[str]:
    """Every state ``state`` may go to."""
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", []):
        yield choice["Next"]
    for catcher in state.get("Catch", []):
        yield catcher["Next"]


def reachable(asl: dict[str, Any], start: str) -> set[str]:
    every = states(asl)
    seen, todo = {start}, [start]
    while todo:
        for name in next_states(every[todo.pop()]):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def error_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "ErrorEquals":
                yield from child
            else:
                yield from error_names(child)
    elif isinstance(value, list):
        for child in value:
            yield from error_names(child)


def payload_keys(state: dict[str, Any]) -> set[str]:
    return {key.removesuffix(".$") for key in state["Parameters"]["Payload"]}


# --- the functions ------------------------------------------------------------------------------


def test_every_task_of_ours_invokes_a_function_of_its_own(asl: dict[str, Any]) -> None:
    """GIVEN the rendered template THEN each entry point's Task calls that entry point's function
    ARN, and no two Tasks share one."""
    arns = asl_render.template_variables()["function_arns"]
    invoked = [state["Parameters"]["FunctionName"] for state in own_tasks(asl).values()]
    assert len(invoked) == len(set(invoked)) == len(entry_points())
    assert set(invoked) == {arns[entry] for entry in entry_points()}
    assert handler_arn() not in invoked


@pytest.mark.parametrize(
    ("task", "event"),
    [
        ("ReadRecords", shapes.ReadRecordsEvent),
        ("Rotate", shapes.RotateEvent),
        ("RecordOutcomes", shapes.RecordOutcomesEvent),
        ("Finish", shapes.FinishEvent),
        ("Plan", shapes.PlanEvent),
    ],
)
def test_each_task_sends_exactly_the_event_its_entry_point_reads(
    asl: dict[str, Any], task: str, event: Any
) -> None:
    """GIVEN each Task of ours WHEN its Payload is compared with its entry point's event shape
    (shapes.py) THEN the keys are the same."""
    assert payload_keys(states(asl)[task]) == set(event.__annotations__)


def test_roll_back_gets_the_rotate_result_and_the_handoffs_error(asl: dict[str, Any]) -> None:
    """GIVEN a refused handoff THEN RollBack's input is the state at the Handoff (rotate's result)
    plus the Catch's error."""
    every = states(asl)
    assert every["Rotate"]["OutputPath"] == "$.Payload"
    assert every["Handoff"]["ResultPath"] is None  # the handler's answer never enters the state
    assert every["RollBack"]["Parameters"]["Payload.$"] == "$"
    assert {c["Next"]: c["ResultPath"] for c in every["Handoff"]["Catch"]}["RollBack"] == "$.error"
    assert "error" in shapes.RollBackEvent.__annotations__


def test_the_handoff_payload_is_the_original_contract_plus_ids(asl: dict[str, Any]) -> None:
    """GIVEN the Handoff THEN the credentials handler gets names and ids only, all from rotate's
    result."""
    payload = states(asl)["Handoff"]["Parameters"]["Payload"]
    assert payload_keys(states(asl)["Handoff"]) == {
        "username",
        "accountId",
        "secretName",
        "metadata",
        "secretArn",
        "accessKeyId",
        "versionId",
    }
    # The IAM user name, not the rotator's name of a member user (<account_id>/<username>).
    assert payload["username.$"] == "$.iamUsername"
    fields = {path.removeprefix("$.") for path in payload.values()}
    assert fields <= set(shapes.RotateResult.__annotations__)


def test_the_iterations_end_with_outcomes_the_engine_understands(asl: dict[str, Any]) -> None:
    """GIVEN the per-user Map's final states THEN each yields an outcome outcomes.normalise knows,
    and a retried Rotate is told its retry count."""
    every = states(asl)
    allowed = set(shapes.IterationOutcome.__args__)
    for name in ("HandedOff", "Unconfirmed", "RotateFailed", "RollBackFailed"):
        assert every[name]["Parameters"]["outcome"] in allowed, name
    assert every["NotRotated"]["Parameters"]["outcome.$"] == "$.outcome"  # skipped or planned
    assert every["Rotate"]["Parameters"]["Payload"]["attempt.$"] == "$$.State.RetryCount"


def test_every_outcome_of_rotate_is_routed_by_its_name_in_python(asl: dict[str, Any]) -> None:
    """GIVEN rotate's outcomes (``shapes.RotateOutcome``, their one definition) THEN the Ready
    choice tests only those names, and what it leaves to NotRotated, which passes the outcome on,
    is an outcome of an iteration (``shapes.IterationOutcome``): a new outcome of rotate cannot
    reach the batch's record unrouted."""
    ready = states(asl)["Ready"]
    assert {choice["Variable"] for choice in ready["Choices"]} == {"$.outcome"}
    routed = {choice["StringEquals"] for choice in ready["Choices"]}
    rotate_outcomes = set(shapes.RotateOutcome.__args__)
    assert routed <= rotate_outcomes
    assert ready["Default"] == "NotRotated"
    assert rotate_outcomes - routed <= set(shapes.IterationOutcome.__args__)


# --- retries and catches ------------------------------------------------------------------------


def test_every_error_name_is_aws_or_ours(asl: dict[str, Any]) -> None:
    """GIVEN every Catch and Retry THEN each name is an AWS one or an error of errors.py."""
    names = set(error_names(asl))
    ours = {name for name in names if not name.startswith(AWS_ERROR_PREFIXES)}
    assert ours  # plan's refusals are matched by name
    for name in sorted(ours):
        error = getattr(errors, name, None)
        assert isinstance(error, type) and issubclass(error, errors.RotatorError), name


def test_our_tasks_share_one_retry_block_for_lambdas_transient_errors(asl: dict[str, Any]) -> None:
    """GIVEN the module's own Tasks THEN they retry identically, only Lambda's own transient
    errors, with backoff and jitter: a retried partial rotation must not depend on the Task."""
    blocks = {name: state["Retry"] for name, state in own_tasks(asl).items()}
    first = next(iter(blocks.values()))
    assert all(block == first for block in blocks.values()), blocks
    for retrier in first:
        assert all(name.startswith("Lambda.") for name in retrier["ErrorEquals"])
        assert retrier["BackoffRate"] > 1
        assert retrier["JitterStrategy"] == "FULL"


def test_the_handoffs_unknown_outcome_is_never_retried_nor_rolled_back(
    asl: dict[str, Any],
) -> None:
    """GIVEN a Handoff error that leaves the outcome unknown (a timeout, a crash) THEN a
    MaxAttempts 0 retrier matches it before the States.ALL retrier, and a Catch before the
    States.ALL one sends it to Unconfirmed; any other error is retried, then rolled back."""
    handoff = states(asl)["Handoff"]
    retriers = [tuple(r["ErrorEquals"]) for r in handoff["Retry"]]
    catchers = [tuple(c["ErrorEquals"]) for c in handoff["Catch"]]
    unknown = next(r for r in handoff["Retry"] if r.get("MaxAttempts") == 0)["ErrorEquals"]

    assert len(unknown) > 0
    assert all(name.startswith(AWS_ERROR_PREFIXES) and name != "States.ALL" for name in unknown)
    assert retriers.index(tuple(unknown)) < retriers.index(("States.ALL",))
    assert catchers == [tuple(unknown), ("States.ALL",)]
    assert [c["Next"] for c in handoff["Catch"]] == ["Unconfirmed", "RollBack"]
    last = handoff["Retry"][retriers.index(("States.ALL",))]
    assert last["MaxAttempts"] > 0 and last["BackoffRate"] > 1


def test_a_throttled_handoff_never_ran_and_is_retried_longest(asl: dict[str, Any]) -> None:
    """GIVEN Lambda throttled the handler's invoke THEN it never ran: retried first and longest."""
    handoff = states(asl)["Handoff"]
    throttled = handoff["Retry"][0]
    any_error = next(r for r in handoff["Retry"] if r["ErrorEquals"] == ["States.ALL"])
    assert throttled["ErrorEquals"] == ["Lambda.TooManyRequestsException"]
    assert throttled["MaxAttempts"] > any_error["MaxAttempts"]


@pytest.mark.parametrize("start", ["MarkDelivered", "Unconfirmed"])
def test_a_key_that_may_be_held_never_reaches_the_roll_back(
    asl: dict[str, Any], start: str
) -> None:
    """GIVEN the handler confirmed the key, or may hold it THEN no path leads to RollBack."""
    assert "RollBack" not in reachable(asl, start)


def test_only_a_refused_handoff_or_an_unusable_key_reaches_the_roll_back(
    asl: dict[str, Any],
) -> None:
    """GIVEN every state WHEN the ones that lead to RollBack are listed THEN only the Handoff and
    NewKeyNotUsable, which only rotate's ``unusable`` outcome reaches, before any handoff."""
    leading = {name for name, s in states(asl).items() if "RollBack" in set(next_states(s))}
    assert leading == {"Handoff", "NewKeyNotUsable"}
    choices = states(asl)["Ready"]["Choices"]
    assert [c["Next"] for c in choices if c["StringEquals"] == "unusable"] == ["NewKeyNotUsable"]
    assert "Handoff" not in reachable(asl, "NewKeyNotUsable")
    assert states(asl)["NewKeyNotUsable"]["Parameters"]["Error"] == NEW_KEY_NOT_USABLE


def test_every_iteration_catches_everything_so_one_user_never_stops_the_others(
    asl: dict[str, Any],
) -> None:
    """GIVEN any error in a user's or a batch's states THEN a final States.ALL catch turns it into
    an outcome."""
    every = states(asl)
    for name in ("Rotate", "Handoff", "MarkDelivered", "RollBack", "ReadRecords", "RecordOutcomes"):
        assert every[name]["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
    assert asl["States"]["RotateUsers"]["Catch"][-1]["ErrorEquals"] == ["States.ALL"]
    assert asl["States"]["RotateUsers"]["Catch"][-1]["Next"] == "DryRun"


# --- the run --------------------------------------------------------------------------------------


def test_the_distributed_map_tolerates_every_batchs_failure(asl: dict[str, Any]) -> None:
    """GIVEN a batch (child execution) fails THEN the Map Run does not fail and abort the others:
    it tolerates as many failures as plan wrote batches."""
    rotate_users = asl["States"]["RotateUsers"]
    assert rotate_users["ToleratedFailureCountPath"] == "$.run.batches"
    plan = asl["States"]["Plan"]
    assert (plan["ResultSelector"]["run.$"], plan["ResultPath"]) == ("$.Payload", "$")
    assert "batches" in shapes.RunData.__annotations__
    assert "ToleratedFailurePercentage" not in rotate_users


def test_users_run_in_batches_whose_items_and_outcomes_stay_out_of_the_state(
    asl: dict[str, Any],
) -> None:
    """GIVEN the Distributed Map THEN it reads plan's items from the run-data bucket and returns
    nothing into the run's state."""
    variables = asl_render.template_variables()
    rotate_users = asl["States"]["RotateUsers"]
    assert rotate_users["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert rotate_users["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert rotate_users["ItemReader"]["Parameters"] == {
        "Bucket": variables["run_data_bucket"],
        "Key.$": "$.run.itemsKey",
    }
    assert "ItemsPath" not in rotate_users
    assert rotate_users["ResultPath"] is None
    assert states(asl)["RecordOutcomes"]["ResultPath"] is None


def test_there_is_one_grace_wait_for_the_run_skipped_by_dry_runs(asl: dict[str, Any]) -> None:
    """GIVEN the run's states THEN one Wait, outside the Map, which a dry run skips."""
    waits = [name for name, s in states(asl).items() if s["Type"] == "Wait"]
    assert waits == ["GraceWait"]
    assert "GraceWait" in asl["States"]  # outside the Map: once per run
    choice = asl["States"]["DryRun"]
    assert choice["Choices"] == [
        {"Variable": "$.run.dryRun", "BooleanEquals": True, "Next": "Finish"}
    ]
    assert choice["Default"] == "GraceWait"
    assert asl["States"]["GraceWait"]["Next"] == "Finish"


def test_finish_is_invoked_again_until_done_then_the_run_fails_with_its_failure(
    asl: dict[str, Any],
) -> None:
    """GIVEN finish returns where to resume, or a failure THEN the run invokes it again, or fails
    with that error and cause."""
    top = asl["States"]
    assert top["Finish"]["Parameters"]["Payload"] == {"run.$": "$.run", "resume.$": "$.resume"}
    assert set(top["Finish"]["ResultSelector"]) == {
        f"{key}.$" for key in shapes.FinishResult.__annotations__
    }
    finished = {choice["Next"]: choice for choice in top["Finished"]["Choices"]}
    assert finished["ResumeFinish"]["Variable"] == "$.finished.resume"
    assert finished["RunFailed"]["Variable"] == "$.finished.failure"
    assert top["Finished"]["Default"] == "Done"
    assert top["ResumeFinish"]["Next"] == "Finish"
    assert top["ResumeFinish"]["Parameters"]["resume.$"] == "$.finished.resume"
    assert (top["RunFailed"]["ErrorPath"], top["RunFailed"]["CausePath"]) == (
        "$.finished.failure.error",
        "$.finished.failure.cause",
    )
    assert set(shapes.Failure.__annotations__) == {"error", "cause"}


def test_plans_refusals_end_the_run_before_anything_changes(asl: dict[str, Any]) -> None:
    """GIVEN plan refuses the run THEN it ends failed without reaching the Map."""
    plan = asl["States"]["Plan"]
    (catcher,) = plan["Catch"]
    assert catcher["Next"] == "ExplainRefusal"
    assert asl["States"]["ExplainRefusal"]["Next"] == "RunRefused"
    assert asl["States"]["RunRefused"]["Type"] == "Fail"
    assert "RotateUsers" not in reachable(asl, "ExplainRefusal")


# --- rendering ------------------------------------------------------------------------------------


def test_the_template_uses_exactly_the_fixture_variables() -> None:
    """GIVEN the template and the fixture WHEN compared THEN every variable is used, no other."""
    used = set(re.findall(r"\$\{([a-z_]+)[.}]", asl_render.TEMPLATE.read_text()))
    assert used == set(asl_render.template_variables())


def test_numbers_are_rendered_as_numbers() -> None:
    """GIVEN other concurrency and wait values WHEN rendered THEN they are JSON numbers where they
    belong."""
    asl = asl_render.render(
        {"user_concurrency": 3, "batch_concurrency": 2, "grace_wait_seconds": 45}
    )
    assert asl["States"]["RotateUsers"]["MaxConcurrency"] == 2
    assert (
        asl["States"]["RotateUsers"]["ItemProcessor"]["States"]["RotateBatch"]["MaxConcurrency"]
        == 3
    )
    assert asl["States"]["GraceWait"]["Seconds"] == 45


def test_a_variable_the_template_does_not_take_is_refused() -> None:
    """GIVEN a variable the template does not take WHEN rendered THEN asl_render refuses it."""
    with pytest.raises(KeyError, match="schedule"):
        asl_render.render({"schedule": "rate(1 day)"})


def test_the_template_source_is_json_laid_out_with_two_spaces() -> None:
    """GIVEN the template with each unquoted placeholder (a number or a JSON list) read as 0 THEN
    it is JSON exactly as ``json.dumps(indent=2)`` writes it: a readable document."""
    source = asl_render.TEMPLATE.read_text()
    text = re.sub(r'(?<!")\$\{[a-z_.]+\}(?!")', "0", source)
    assert text != source
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
