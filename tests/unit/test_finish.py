"""``finish`` against moto: retiring the old keys after the grace wait, the run's summary and its
failure, and resuming when an invocation's time runs short."""

from __future__ import annotations

import dataclasses
import datetime
import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_state import (
    BUCKET,
    NOW,
    PREFIX,
    engine,
    eventbridge_client,
    handed_off,
    hint,
    items,
    keys_of,
    load_event,
    new_key,
    put_json,
    record,
    rotate_event,
    secrets_client,
    stored,
)
from botocore.exceptions import ClientError, EndpointConnectionError
from credentials_rotator.handlers import finish, record_outcomes, rotate
from credentials_rotator.run import events, run_data
from credentials_rotator.settings.config import Config
from moto.core.exceptions import ServiceException
from moto.iam.exceptions import NotFoundException
from moto.iam.models import IAMBackend

from testkit.world_clock import WorldClock

SUMMARY_KEY = f"{PREFIX}summary.json"
LOCATION = f"s3://{BUCKET}/{SUMMARY_KEY}"


def rotate_user(iam: Any, secretsmanager: Any, settings: Config, username: str) -> Any:
    """``username``'s delivered key and a ``ready`` rotate result for its successor."""
    iam.create_user(UserName=username)
    delivered = new_key(iam, username)
    record(secretsmanager, delivered)
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager),
        config=settings,
        event=rotate_event(username, record=hint(secretsmanager, settings, username)),
        now=NOW,
    )
    return delivered, result


@pytest.fixture
def rotated(iam: Any, secretsmanager: Any, settings: Config) -> tuple[dict[str, Any], Any]:
    return rotate_user(iam, secretsmanager, settings, "homer")


def recorded(s3: Any, settings: Config, *batches: list[Any]) -> None:
    """Plan's items and each batch's recorded outcomes, as a run leaves them for finish."""
    put_json(s3, f"{PREFIX}items.json", items(*[[r["username"] for r in b] for b in batches]))
    for index, results in enumerate(batches):
        event = {"prefix": PREFIX, "batch": f"{index:05d}", "results": results}
        record_outcomes.record_outcomes(s3, settings, events.parse_record_outcomes_event(event))


def finish_event(batches: int = 1, dry_run: bool = False, resume: Any = None) -> Any:
    event = load_event("finish.json")
    event["run"].update(batches=batches, dryRun=dry_run)
    event["resume"] = resume
    return events.parse_finish_event(event)


def finished(iam: Any, s3: Any, settings: Config, results: list[Any], dry_run: bool = False) -> Any:
    """Record ``results`` as one batch's outcomes, then finish the run; return its answer."""
    recorded(s3, settings, results)
    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(dry_run=dry_run),
    )
    assert answer["resume"] is None
    return answer


def test_given_a_handed_off_user_when_finished_then_only_the_old_key_is_deleted(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated

    answer = finished(iam, s3, settings, [handed_off(result)])

    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    oldest = answer["summary"].pop("oldestKey")
    assert (oldest["username"], oldest["accessKeyId"]) == ("homer", result["accessKeyId"])
    assert oldest["ageDays"] == 0.0
    assert answer == {
        "resume": None,
        "summary": {
            "rotated": [
                {
                    "username": "homer",
                    "accessKeyId": result["accessKeyId"],
                    "previousKeyId": delivered["AccessKeyId"],
                }
            ],
            "skipped": [],
            "planned": [],
            "deferred": [],
            "failed": [],
            "dryRun": False,
            "counts": {"rotated": 1, "skipped": 0, "planned": 0, "deferred": 0, "failed": 0},
            "truncated": False,
            "summaryLocation": LOCATION,
        },
        "failure": None,
    }
    assert stored(s3, SUMMARY_KEY) == {
        key: value
        for key, value in {**answer["summary"], "oldestKey": oldest}.items()
        if key not in ("truncated", "summaryLocation")
    }
    assert stored(s3, "last-summary.json") == stored(s3, SUMMARY_KEY)


def test_given_deactivate_mode_when_finished_then_the_old_key_is_made_inactive(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    settings = dataclasses.replace(settings, old_key_action="deactivate")
    finished(iam, s3, settings, [handed_off(result)])
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Inactive", result["accessKeyId"]: "Active"}


@pytest.mark.parametrize(("in_use", "status"), [("defer", "Active"), ("deactivate", "Inactive")])
def test_given_an_old_key_used_after_the_handoff_when_finished_then_it_is_not_deleted(
    iam: Any,
    secretsmanager: Any,
    s3: Any,
    settings: Config,
    rotated: Any,
    in_use: str,
    status: str,
    world_clock: WorldClock,
) -> None:
    """GIVEN homer's old key used over a second after his batch recorded its outcomes WHEN
    finished THEN it is kept (defer: Active, the secret tagged with one run) or deactivated, and
    homer is both rotated and deferred; the run does not fail for it."""
    delivered, result = rotated
    settings = dataclasses.replace(settings, in_use_key_action=in_use)
    recorded(s3, settings, [handed_off(result)])
    world_clock.advance(datetime.timedelta(seconds=1.01))
    boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=delivered["AccessKeyId"],
        aws_secret_access_key=delivered["SecretAccessKey"],
        aws_session_token=None,
    ).get_caller_identity()

    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secretsmanager,
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(),
    )

    assert keys_of(iam) == {delivered["AccessKeyId"]: status, result["accessKeyId"]: "Active"}
    summary = answer["summary"]
    assert [e["username"] for e in summary["rotated"]] == ["homer"]
    (deferred,) = summary["deferred"]
    assert (deferred["accessKeyId"], deferred["runs"]) == (delivered["AccessKeyId"], 1)
    assert deferred["action"] == ("kept" if in_use == "defer" else "deactivated")
    assert answer["failure"] is None
    tags = secretsmanager.describe_secret(SecretId="ci-keys/homer").get("Tags", [])
    tagged = [t["Value"] for t in tags if t["Key"] == "credentials-rotator:in-use"]
    assert len(tagged) == (1 if in_use == "defer" else 0)


@pytest.mark.parametrize("action", ["delete", "deactivate"])
def test_given_an_old_key_already_gone_when_finished_then_the_user_still_counts_as_rotated(
    iam: Any, s3: Any, settings: Config, rotated: Any, action: str
) -> None:
    delivered, result = rotated
    iam.delete_access_key(UserName="homer", AccessKeyId=delivered["AccessKeyId"])
    settings = dataclasses.replace(settings, old_key_action=action)
    answer = finished(iam, s3, settings, [handed_off(result)])
    assert [entry["username"] for entry in answer["summary"]["rotated"]] == ["homer"]
    assert answer["failure"] is None


class _AccessDenied(ServiceException):
    code = "AccessDenied"


@pytest.fixture
def last_use_denied(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """IAM's answer to ``GetAccessKeyLastUsed`` under a policy scoped to users: AWS authorizes it
    on the key's owner, and for a key that no longer exists it may answer AccessDenied rather
    than NoSuchEntity (moto always answers NoSuchEntity). Keys added to the returned set are
    denied even while they exist (a policy that really lacks the grant)."""
    denied: set[str] = set()
    original = IAMBackend.get_access_key_last_used

    def get_access_key_last_used(backend: IAMBackend, access_key_id: str) -> dict[str, Any]:
        if access_key_id in denied:
            raise _AccessDenied("not authorized to perform iam:GetAccessKeyLastUsed")
        try:
            return original(backend, access_key_id)
        except NotFoundException as gone:
            raise _AccessDenied("not authorized to perform iam:GetAccessKeyLastUsed") from gone

    monkeypatch.setattr(IAMBackend, "get_access_key_last_used", get_access_key_last_used)
    return denied


def test_given_an_old_key_deleted_by_hand_and_its_last_use_denied_then_it_counts_as_retired(
    iam: Any, s3: Any, settings: Config, rotated: Any, last_use_denied: set[str]
) -> None:
    """GIVEN homer's old key deleted by hand, and AWS answering AccessDenied when asked when it
    was last used WHEN finished THEN finish finds it gone from homer's keys: homer is rotated,
    nothing failed, nothing deferred."""
    delivered, result = rotated
    iam.delete_access_key(UserName="homer", AccessKeyId=delivered["AccessKeyId"])

    answer = finished(iam, s3, settings, [handed_off(result)])

    assert [entry["username"] for entry in answer["summary"]["rotated"]] == ["homer"]
    assert answer["summary"]["deferred"] == []
    assert answer["failure"] is None
    assert keys_of(iam) == {result["accessKeyId"]: "Active"}


def test_given_an_old_key_whose_last_use_is_really_denied_then_it_stays_and_the_user_fails(
    iam: Any, s3: Any, settings: Config, rotated: Any, last_use_denied: set[str]
) -> None:
    """GIVEN homer's old key still there but its last use denied (a policy without the grant)
    WHEN finished THEN the key is not retired unchecked: it stays Active and homer fails
    (RetireFailed, naming the denial)."""
    delivered, result = rotated
    last_use_denied.add(delivered["AccessKeyId"])

    answer = finished(iam, s3, settings, [handed_off(result)])

    (failed,) = answer["summary"]["failed"]
    assert (failed["username"], failed["error"]) == ("homer", "RetireFailed")
    assert "AccessDenied" in failed["message"]
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active", result["accessKeyId"]: "Active"}


def test_given_a_first_rotation_when_finished_then_nothing_is_retired(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config
) -> None:
    iam.create_user(UserName="bart")
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager), config=settings, event=rotate_event("bart"), now=NOW
    )
    calls: list[str] = []
    iam.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

    answer = finished(iam, s3, settings, [handed_off(result)])

    assert calls == []
    assert answer["summary"]["rotated"] == [
        {"username": "bart", "accessKeyId": result["accessKeyId"], "previousKeyId": None}
    ]


def test_given_a_result_naming_the_new_key_as_old_when_finished_then_the_new_key_stays(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    _, result = rotated
    confused = {**handed_off(result), "previousKeyId": result["accessKeyId"]}
    answer = finished(iam, s3, settings, [confused])
    assert result["accessKeyId"] in keys_of(iam)
    assert answer["summary"]["failed"] == [
        {
            "username": "homer",
            "error": "RetireFailed",
            "message": f"refused to retire access key {result['accessKeyId']}: it is the new key",
        }
    ]


def test_given_a_retire_that_fails_when_finished_then_the_run_returns_its_failure(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteAccessKey")

    iam.meta.events.register("before-call.iam.DeleteAccessKey", refuse)

    answer = finished(iam, s3, settings, [handed_off(result)])

    fitted = answer["summary"]
    assert fitted["rotated"] == []
    assert fitted["failed"] == [
        {
            "username": "homer",
            "error": "RetireFailed",
            "message": (
                f"handed off access key {result['accessKeyId']} but could not delete access key "
                f"{delivered['AccessKeyId']} (AccessDenied: no); the user keeps both keys until "
                "the next run retires it"
            ),
        }
    ]
    assert answer["failure"] == {"error": "RotationFailed", "cause": json.dumps(fitted)}
    assert answer["resume"] is None


@pytest.mark.parametrize(
    ("error", "described"),
    [
        (
            EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/"),
            'EndpointConnectionError: Could not connect to the endpoint URL: "https://iam.amazonaws.com/"',
        ),
        (RuntimeError("a bug"), "RuntimeError: a bug"),
    ],
    ids=["connection", "bug"],
)
def test_given_a_retire_that_raises_for_one_user_then_only_that_user_fails(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, error: Exception, described: str
) -> None:
    """GIVEN three confirmed handoffs WHEN retiring homer's old key raises something that is no
    AWS error (the connection, a bug) THEN homer fails with RetireFailed, marge and bart are
    retired all the same."""
    users = {
        name: rotate_user(iam, secretsmanager, settings, name)
        for name in ("marge", "homer", "bart")
    }

    def fail_for_homer(params: dict[str, Any], **_: Any) -> None:
        if params.get("UserName") == "homer":
            raise error

    iam.meta.events.register("before-parameter-build.iam.DeleteAccessKey", fail_for_homer)

    answer = finished(iam, s3, settings, [handed_off(r) for _, r in users.values()])

    homer_old = users["homer"][0]["AccessKeyId"]
    assert [e["username"] for e in answer["summary"]["rotated"]] == ["marge", "bart"]
    (failed,) = answer["summary"]["failed"]
    assert (failed["username"], failed["error"]) == ("homer", "RetireFailed")
    assert homer_old in failed["message"] and described in failed["message"]
    for name, (_, result) in users.items():
        expected = {result["accessKeyId"]} | ({homer_old} if name == "homer" else set())
        assert set(keys_of(iam, name)) == expected, name
    assert answer["failure"] is not None


def test_given_mixed_results_when_finished_then_the_summary_is_the_failures_cause(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    _, result = rotated
    results = load_event("record_outcomes.json")["results"]
    results[0] = handed_off(result)

    answer = finished(iam, s3, settings, results)

    assert answer["failure"] is not None
    cause = json.loads(answer["failure"]["cause"])
    assert cause == answer["summary"]
    assert [e["username"] for e in cause["rotated"]] == ["homer"]
    assert cause["skipped"] == [
        {
            "username": "marge",
            "detail": "access key AKIAEXAMPLEMARGE0001 is 3 days old; rotation is due at 30 days",
        }
    ]
    assert [(e["username"], e["error"]) for e in cause["failed"]] == [
        ("bart", "UserNotFound"),
        ("lisa", "HandoffUnconfirmed"),
    ]
    assert cause["failed"][0]["message"] == "IAM user bart does not exist"
    assert cause["dryRun"] is False
    assert cause["counts"] == {"rotated": 1, "skipped": 1, "planned": 0, "deferred": 0, "failed": 2}


def test_given_a_dry_run_when_finished_then_planned_users_are_listed_and_nothing_retired(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    planned = {"username": "homer", "outcome": "planned", "detail": "would rotate"}
    answer = finished(iam, s3, settings, [planned], dry_run=True)
    assert answer["summary"]["planned"] == [{"username": "homer", "detail": "would rotate"}]
    assert answer["summary"]["dryRun"] is True
    assert answer["failure"] is None
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}


def test_given_a_planned_user_without_an_outcome_when_finished_then_it_failed_unretired(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    put_json(s3, f"{PREFIX}items.json", items(["homer", "marge"]))
    put_json(
        s3,
        f"{PREFIX}outcomes/00000.json",
        [{"username": "marge", "outcome": "skipped", "detail": "young"}],
    )

    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(),
    )

    assert answer["summary"]["failed"] == [
        {
            "username": "homer",
            "error": "OutcomeUnknown",
            "message": "its batch recorded no outcome for it; none of its keys was retired, so "
            "it may hold two keys until the next run",
        }
    ]
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}


@pytest.mark.parametrize(
    ("body", "reason"),
    [(None, "NoSuchKey"), (b"{not json", "JSONDecodeError")],
    ids=["missing", "not json"],
)
def test_given_a_batch_whose_outcomes_cannot_be_read_then_its_users_failed_and_others_go_on(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, body: bytes | None, reason: str
) -> None:
    _, homer = rotate_user(iam, secretsmanager, settings, "homer")
    bart_old, bart = rotate_user(iam, secretsmanager, settings, "bart")
    recorded(s3, settings, [handed_off(homer)], [handed_off(bart)])
    if body is None:
        s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}outcomes/00001.json")
    else:
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}outcomes/00001.json", Body=body)

    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(batches=2),
    )

    assert [e["username"] for e in answer["summary"]["rotated"]] == ["homer"]
    (failed,) = answer["summary"]["failed"]
    assert (failed["username"], failed["error"]) == ("bart", "OutcomeUnknown")
    assert failed["message"].startswith("the outcomes of its batch 00001 could not be read (")
    assert reason in failed["message"]
    assert set(keys_of(iam, "bart")) == {bart_old["AccessKeyId"], bart["accessKeyId"]}
    assert keys_of(iam, "homer") == {homer["accessKeyId"]: "Active"}


def skipped_batches(users: int, size: int = 20) -> list[list[Any]]:
    names = [f"user{n:03d}" for n in range(users)]
    return [
        [
            {"username": name, "outcome": "skipped", "detail": "young"}
            for name in names[i : i + size]
        ]
        for i in range(0, users, size)
    ]


def test_given_little_time_left_when_finishing_then_it_resumes_where_it_stopped(
    iam: Any, s3: Any, settings: Config
) -> None:
    """GIVEN three batches of outcomes and a finish whose time runs short after each batch WHEN it
    is invoked until done THEN each invocation handles one batch and saves it as a part, and the
    last one returns every user once, in order."""
    recorded(s3, settings, *skipped_batches(45))
    resume = None
    answers = []
    for _ in range(5):  # a finish that never got on would loop forever
        answer = finish.finish_run(
            iam=iam,
            secretsmanager=secrets_client(),
            eventbridge=eventbridge_client(),
            s3=s3,
            settings=settings,
            event=finish_event(3, resume=resume),
            time_left=lambda: finish.SLICE_RESERVE_SECONDS - 1,
        )
        answers.append(answer)
        if answer["resume"] is None:
            break
        resume = answer["resume"]

    assert [a["resume"] for a in answers] == [
        {"next": 1, "parts": 1},
        {"next": 2, "parts": 2},
        None,
    ]
    assert [a["summary"] is None and a["failure"] is None for a in answers] == [True, True, False]
    assert [len(stored(s3, f"{PREFIX}summary-parts/{n:05d}.json")["skipped"]) for n in (0, 1)] == [
        20,
        20,
    ]
    summary = answers[-1]["summary"]
    assert [entry["username"] for entry in summary["skipped"]] == [
        f"user{n:03d}" for n in range(45)
    ]
    assert stored(s3, SUMMARY_KEY)["counts"]["skipped"] == 45


def test_given_enough_time_when_finishing_then_one_invocation_handles_every_batch(
    iam: Any, s3: Any, settings: Config
) -> None:
    recorded(s3, settings, *skipped_batches(45))
    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(3),
        time_left=lambda: finish.SLICE_RESERVE_SECONDS,
    )
    assert answer["resume"] is None
    assert answer["summary"] is not None and len(answer["summary"]["skipped"]) == 45


def test_given_a_run_without_users_when_finished_then_the_summary_is_empty(
    iam: Any, s3: Any, settings: Config
) -> None:
    put_json(s3, f"{PREFIX}items.json", [])
    answer = finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=finish_event(0),
    )
    assert answer["failure"] is None
    assert answer["summary"] is not None
    assert answer["summary"]["counts"] == {
        "rotated": 0,
        "skipped": 0,
        "planned": 0,
        "deferred": 0,
        "failed": 0,
    }


def test_given_the_lambda_context_when_the_handler_runs_then_its_time_decides_the_slices(
    iam: Any, s3: Any, settings: Config
) -> None:
    recorded(s3, settings, *skipped_batches(45))
    event = load_event("finish.json")
    event["run"]["batches"] = 3
    short = SimpleNamespace(get_remaining_time_in_millis=lambda: 60_000)

    answer = finish.handler(event, short)

    assert answer["resume"] == {"next": 1, "parts": 1}


def test_the_execution_arn_is_the_one_whose_run_data_is_under_the_prefix() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys"
    execution = "arn:aws:states:us-east-1:123456789012:execution:ci-keys:scheduled-1"
    assert run_data.execution_arn(machine, run_data.run_prefix(execution)) == execution
