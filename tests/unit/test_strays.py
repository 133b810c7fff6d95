"""``strays.prove``: an unexplained Active key is the rotator's stray only when it was created
inside the window of a run that planned the user (from the moment its items were written until its
user's batch wrote its outcomes, or else the run's end, or 15 minutes after an abrupt end, or now
while it runs), and nobody ever used it.

Step Functions answers from a stub (the runs' ends must be chosen); IAM and S3 are moto. S3 dates
its objects when they are written, so the tests date the run's files themselves (``dated``,
conftest.py), and give each candidate the creation date under test, to the second as IAM does;
only whether the key was used is asked of IAM.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from aws_state import PREFIX, execution, idle_sfn, items, listing_sfn, new_key, put_json, use
from botocore.exceptions import ClientError
from credentials_rotator.model.key_plan import AccessKey
from credentials_rotator.run import strays
from credentials_rotator.settings.config import Config

SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
ITEMS_AT = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)  # plan wrote the items
OLDER = "runs/scheduled-0/"  # an earlier run of the state machine


@pytest.fixture
def homer_key(iam: Any) -> dict[str, Any]:
    """An Active key of homer's that no version of his secret names."""
    iam.create_user(UserName="homer")
    return new_key(iam)


def planned(
    s3: Any,
    dated: dict[str, datetime.datetime],
    *batches: list[str],
    prefix: str = OLDER,
    outcomes: dict[str, datetime.timedelta] | None = None,
) -> None:
    """A run's items (written at ITEMS_AT) and the outcomes its batches wrote (batch -> when,
    relative to ITEMS_AT)."""
    put_json(s3, f"{prefix}items.json", items(*batches))
    dated[f"{prefix}items.json"] = ITEMS_AT
    for batch, after in (outcomes or {}).items():
        put_json(s3, f"{prefix}outcomes/{batch}.json", [])
        dated[f"{prefix}outcomes/{batch}.json"] = ITEMS_AT + after


def prove(
    iam: Any,
    s3: Any,
    settings: Config,
    key_id: str,
    created: datetime.timedelta,
    *runs: dict[str, Any],
    prefix: str = PREFIX,
    retry: int = 0,
    now: datetime.timedelta = 60 * MINUTE,
) -> bool:
    """Whether the key, created ``created`` after ITEMS_AT, is proven a stray."""
    proven = strays.prove(
        clients=(iam, listing_sfn(*runs), s3),
        config=settings,
        username="homer",
        candidates=[AccessKey(key_id, "Active", ITEMS_AT + created)],
        attempt=strays.Attempt(prefix, retry, ITEMS_AT + now),
    )
    assert proven <= {key_id}
    return proven == {key_id}


def older(status: str, stop: datetime.timedelta | None = None) -> dict[str, Any]:
    """Run scheduled-0, started just before it wrote its items; ``stop`` after ITEMS_AT."""
    return execution(
        "scheduled-0", status, ITEMS_AT - SECOND, None if stop is None else ITEMS_AT + stop
    )


# --- the window: from the items to the batch's outcomes ---------------------------------------

BY_OUTCOMES = {
    "1 s after the items": (SECOND, True),
    "in the items' second": (datetime.timedelta(0), False),
    "before the items": (-SECOND, False),
    "1 s before the outcomes": (10 * MINUTE - SECOND, True),
    "in the outcomes' second": (10 * MINUTE, False),
    "after the outcomes, while the run went on": (11 * MINUTE, False),
}


@pytest.mark.parametrize(("created", "stray"), BY_OUTCOMES.values(), ids=BY_OUTCOMES.keys())
@pytest.mark.parametrize("status", ["RUNNING", "SUCCEEDED", "ABORTED"])
def test_given_the_batch_recorded_its_outcomes_then_they_close_the_window(
    iam: Any,
    s3: Any,
    settings: Config,
    dated: Any,
    homer_key: Any,
    status: str,
    created: datetime.timedelta,
    stray: bool,
) -> None:
    """GIVEN run scheduled-0 planned homer and his batch wrote its outcomes 10 min after the
    items WHEN an unused key was created THEN it is a stray only strictly between the two
    seconds, however and whenever the run ended."""
    planned(s3, dated, ["homer"], outcomes={"00000": 10 * MINUTE})
    stop = None if status == "RUNNING" else 30 * MINUTE
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], created, older(status, stop)) is stray


BY_RUN_END = {
    # status, stop (after the items), key created (after the items), stray
    "succeeded, created before its end": ("SUCCEEDED", 20 * MINUTE, 19 * MINUTE, True),
    "succeeded, created in its end's second": ("SUCCEEDED", 20 * MINUTE, 20 * MINUTE, False),
    "succeeded, created after its end": ("SUCCEEDED", 20 * MINUTE, 21 * MINUTE, False),
    "failed, created before its end": ("FAILED", 20 * MINUTE, 19 * MINUTE, True),
    "failed, created after its end": ("FAILED", 20 * MINUTE, 21 * MINUTE, False),
    "stopped, created 14 min after": ("ABORTED", 20 * MINUTE, 34 * MINUTE, True),
    "stopped, created 15 min after": ("ABORTED", 20 * MINUTE, 35 * MINUTE, False),
    "stopped, created 16 min after": ("ABORTED", 20 * MINUTE, 36 * MINUTE, False),
    "timed out, created 14 min after": ("TIMED_OUT", 20 * MINUTE, 34 * MINUTE, True),
    "timed out, created 16 min after": ("TIMED_OUT", 20 * MINUTE, 36 * MINUTE, False),
    "running, created before now": ("RUNNING", None, 59 * MINUTE, True),
    "running, created in now's second": ("RUNNING", None, 60 * MINUTE, False),
}


@pytest.mark.parametrize(
    ("status", "stop", "created", "stray"), BY_RUN_END.values(), ids=BY_RUN_END.keys()
)
def test_given_the_batch_recorded_nothing_then_the_run_end_closes_the_window(
    iam: Any,
    s3: Any,
    settings: Config,
    dated: Any,
    homer_key: Any,
    status: str,
    stop: datetime.timedelta | None,
    created: datetime.timedelta,
    stray: bool,
) -> None:
    """GIVEN homer's batch never wrote its outcomes WHEN an unused key was created THEN the window
    closes when the run ended, 15 min later when it was stopped or timed out (a function it had
    invoked runs on), or now while it runs."""
    planned(s3, dated, ["homer"])
    run = older(status, stop)
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], created, run) is stray


def test_given_the_user_in_a_later_batch_then_that_batchs_outcomes_close_the_window(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any
) -> None:
    """GIVEN batch 00000 (bart) recorded after 1 min and homer's batch 00001 after 10 min WHEN a
    key was created after 5 min THEN homer's own batch decides: a stray."""
    planned(s3, dated, ["bart"], ["homer"], outcomes={"00000": MINUTE, "00001": 10 * MINUTE})
    run = older("FAILED", 30 * MINUTE)
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], 5 * MINUTE, run) is True
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], 11 * MINUTE, run) is False


# --- which runs count ---------------------------------------------------------------------------


@pytest.mark.parametrize(("retry", "stray"), [(0, False), (1, True), (2, True)])
def test_given_a_key_created_by_the_current_run_then_it_counts_only_on_a_retry(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any, retry: int, stray: bool
) -> None:
    """GIVEN this run (same prefix) planned homer and an unused key appeared since WHEN rotate
    asks on its first attempt THEN no key of this run can exist yet: not a stray; on a retry, the
    earlier attempt may have created it: a stray."""
    planned(s3, dated, ["homer"], prefix=PREFIX)
    this_run = execution("scheduled-1", "RUNNING", ITEMS_AT - SECOND)
    key_id = homer_key["AccessKeyId"]
    assert prove(iam, s3, settings, key_id, MINUTE, this_run, retry=retry) is stray


@pytest.mark.parametrize(
    ("batches", "stray"),
    [
        ([["bart"], ["homer"]], True),
        ([["Homer"]], True),  # IAM user names ignore case
        ([["bart", "marge"]], False),
        ([[]], False),
        ([], False),
    ],
    ids=["in its second batch", "spelled otherwise", "other users only", "empty batch", "none"],
)
def test_given_a_run_that_could_act_then_only_a_run_that_planned_the_user_counts(
    iam: Any,
    s3: Any,
    settings: Config,
    dated: Any,
    homer_key: Any,
    batches: list[list[str]],
    stray: bool,
) -> None:
    planned(s3, dated, *batches)
    run = older("FAILED", 20 * MINUTE)
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], MINUTE, run) is stray


def test_given_the_runs_items_expired_then_the_key_is_not_a_stray(
    iam: Any, s3: Any, settings: Config, homer_key: Any
) -> None:
    """GIVEN a run that could have created the key but whose items.json is gone (the bucket's
    lifecycle, or a run plan refused) WHEN proving THEN nothing proves it planned the user."""
    run = older("FAILED", 20 * MINUTE)
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], MINUTE, run) is False


def test_given_a_refused_run_listed_first_then_the_run_that_planned_the_user_still_counts(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any
) -> None:
    """GIVEN run scheduled-0 planned homer and was stopped, and a newer run that plan refused
    (no items) is listed first WHEN proving a key scheduled-0 could have created THEN a stray."""
    planned(s3, dated, ["homer"])
    refused = execution("on-demand-9", "FAILED", ITEMS_AT + MINUTE, ITEMS_AT + MINUTE + SECOND)
    key_id = homer_key["AccessKeyId"]
    assert prove(iam, s3, settings, key_id, MINUTE, refused, older("ABORTED", 2 * MINUTE)) is True


def test_given_many_runs_since_the_key_then_only_the_runs_that_could_have_made_it_are_read(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any
) -> None:
    """GIVEN a key scheduled-0 created, and five later runs that all planned homer (listed first,
    newest first, as Step Functions lists them) WHEN proving THEN the key is a stray, and only
    scheduled-0's files are read: a run that started after a key was made cannot have made it,
    so an unexplained key costs the same reads however many runs followed it."""
    planned(s3, dated, ["homer"], outcomes={"00000": 2 * MINUTE})
    later = []
    for index in range(5, 0, -1):
        prefix = f"runs/on-demand-{index}/"
        planned(s3, dated, ["homer"], prefix=prefix)
        start = ITEMS_AT + index * 10 * MINUTE
        later.append(execution(f"on-demand-{index}", "SUCCEEDED", start, start + MINUTE))
    read: list[str] = []
    s3.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: read.append(params["Key"])
    )

    key_id = homer_key["AccessKeyId"]
    assert prove(iam, s3, settings, key_id, MINUTE, *later, older("SUCCEEDED", 3 * MINUTE))
    assert read == [f"{OLDER}items.json", f"{OLDER}outcomes/00000.json"]


def test_given_no_run_at_all_then_no_key_is_a_stray(
    iam: Any, s3: Any, settings: Config, homer_key: Any
) -> None:
    assert prove(iam, s3, settings, homer_key["AccessKeyId"], MINUTE) is False


def test_given_a_key_someone_used_then_it_is_never_a_stray(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any
) -> None:
    """GIVEN a key created inside the window of a run that planned homer WHEN IAM records a use
    of it THEN someone holds its secret: not a stray."""
    planned(s3, dated, ["homer"])
    run = older("ABORTED", 2 * MINUTE)
    key_id = homer_key["AccessKeyId"]
    assert prove(iam, s3, settings, key_id, MINUTE, run) is True
    use(homer_key)
    assert prove(iam, s3, settings, key_id, MINUTE, run) is False


def test_given_two_candidates_then_each_is_judged_on_its_own(
    iam: Any, s3: Any, settings: Config, dated: Any, homer_key: Any
) -> None:
    used = new_key(iam)
    use(used)
    planned(s3, dated, ["homer"])
    run = older("FAILED", 20 * MINUTE)
    outside = AccessKey("AKIAOUTSIDE000000001", "Active", ITEMS_AT + 30 * MINUTE)

    proven = strays.prove(
        clients=(iam, listing_sfn(run), s3),
        config=settings,
        username="homer",
        candidates=[
            AccessKey(homer_key["AccessKeyId"], "Active", ITEMS_AT + MINUTE),
            AccessKey(used["AccessKeyId"], "Active", ITEMS_AT + MINUTE),
            outside,
        ],
        attempt=strays.Attempt(PREFIX, 0, ITEMS_AT + 60 * MINUTE),
    )

    assert proven == {homer_key["AccessKeyId"]}


def test_given_no_candidate_then_nothing_is_asked(iam: Any, s3: Any, settings: Config) -> None:
    calls: list[str] = []
    for client in (iam, s3):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    proven = strays.prove(
        clients=(iam, idle_sfn(), s3),
        config=settings,
        username="homer",
        candidates=[],
        attempt=strays.Attempt(PREFIX, 0, ITEMS_AT),
    )
    assert proven == set()
    assert calls == []


def test_given_the_items_cannot_be_read_then_the_error_is_raised_not_guessed(
    iam: Any, s3: Any, settings: Config, homer_key: Any
) -> None:
    """A denied read proves nothing either way: rotate fails for the user rather than guess."""

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")

    s3.meta.events.register("before-call.s3.GetObject", deny)
    with pytest.raises(ClientError, match="AccessDenied"):
        prove(iam, s3, settings, homer_key["AccessKeyId"], MINUTE, older("FAILED", 2 * MINUTE))
