"""The run's summary: one entry per user, and the size rule that keeps a failed run's cause within
Step Functions' 32,768 characters.

The rule, as docs/design.md and summary.py state it: the summary the run returns is at most 30,000
characters of JSON; complete when it fits; otherwise the rotated, skipped, planned and deferred
lists keep their first K entries, K the largest of 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0
that fits, and every failure stays; only if the failures alone do not fit are they cut the same
way (the other lists then empty). ``counts`` are always complete. The tests below state it again
on their own (``RULE_LIMIT``, ``RULE_CUTS``, ``expected_fit``) and compare.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from credentials_rotator.model import summary

RULE_LIMIT = 30_000
RULE_CUTS = (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0)
LOCATION = "s3://ci-keys-123456789012-us-east-1-runs/runs/scheduled-1/summary.json"
ROTATED_ENTRY = 104  # characters of one rotated entry's JSON (below), whatever its index
FAILED_ENTRY = 1065  # characters of one failure with a 1,000-character message


def rotated(count: int) -> list[dict[str, Any]]:
    return [
        {
            "username": f"user{n:04d}",
            "accessKeyId": "AKIA" + "N" * 16,
            "previousKeyId": "AKIA" + "O" * 16,
        }
        for n in range(count)
    ]


def noted(kind: str, count: int) -> list[dict[str, Any]]:
    return [{"username": f"{kind}{n:04d}", "detail": "young key"} for n in range(count)]


def failed(count: int, message: str = "IAM user is gone") -> list[dict[str, Any]]:
    return [
        {"username": f"ghost{n:04d}", "error": "UserNotFound", "message": message}
        for n in range(count)
    ]


def deferred(count: int) -> list[dict[str, Any]]:
    return [
        {
            "username": f"slow{n:04d}",
            "accessKeyId": "AKIA" + "O" * 16,
            "lastUsed": "2026-11-28T21:00:00+00:00",
            "runs": 1,
            "action": "kept",
        }
        for n in range(count)
    ]


def whole(
    rotated_: int = 0,
    failed_: int = 0,
    message: str = "IAM user is gone",
    *,
    skipped: int = 0,
    planned: int = 0,
    deferred_: int = 0,
) -> Any:
    return {
        "rotated": rotated(rotated_),
        "skipped": noted("skip", skipped),
        "planned": noted("plan", planned),
        "deferred": deferred(deferred_),
        "failed": failed(failed_, message),
        "oldestKey": None,
        "dryRun": False,
    }


def expected_fit(full: Any) -> tuple[int | None, int | None]:
    """The rule, stated again: (entries kept per other list, failures kept); None: all."""
    counts = {
        name: len(full[name]) for name in ("rotated", "skipped", "planned", "deferred", "failed")
    }

    def size(keep: int | None, keep_failed: int | None) -> int:
        candidate = {
            "rotated": full["rotated"][:keep],
            "skipped": full["skipped"][:keep],
            "planned": full["planned"][:keep],
            "deferred": full["deferred"][:keep],
            "failed": full["failed"][:keep_failed],
            "oldestKey": full["oldestKey"],
            "dryRun": full["dryRun"],
            "counts": counts,
            "truncated": keep is not None or keep_failed is not None,
            "summaryLocation": LOCATION,
        }
        return len(json.dumps(candidate))

    if size(None, None) <= RULE_LIMIT:
        return None, None
    for keep in RULE_CUTS:
        if size(keep, None) <= RULE_LIMIT:
            return keep, None
    for keep in RULE_CUTS:
        if size(0, keep) <= RULE_LIMIT:
            return 0, keep
    return 0, 0


def test_the_engine_uses_the_documented_limit_and_cuts() -> None:
    """GIVEN the rule as documented WHEN compared with summary.py's constants THEN they agree, and
    leave room under the 32,768 characters of a cause."""
    assert summary.SUMMARY_LIMIT == RULE_LIMIT
    assert summary.LIST_CUTS == RULE_CUTS
    assert RULE_LIMIT + 2_000 < 32_768  # room for the Fail state's own wrapping


def test_the_entry_sizes_the_cases_below_are_built_on() -> None:
    """GIVEN the entries the cases below use THEN each has the size their arithmetic assumes."""
    assert {len(json.dumps(entry)) for entry in rotated(3000)} == {ROTATED_ENTRY}
    assert {len(json.dumps(entry)) for entry in failed(3000, "m" * 1000)} == {FAILED_ENTRY}


def test_given_a_small_summary_when_fitted_then_it_is_whole() -> None:
    fitted = summary.fit(whole(3, 1, skipped=2, planned=1), LOCATION)
    assert fitted == {
        **whole(3, 1, skipped=2, planned=1),
        "counts": {"rotated": 3, "skipped": 2, "planned": 1, "deferred": 0, "failed": 1},
        "truncated": False,
        "summaryLocation": LOCATION,
    }


def test_given_5000_rotated_and_7_failed_when_fitted_then_200_rotated_and_every_failure() -> None:
    """200 rotated entries take 200 x 106 = 21,200 characters and fit with the rest; 500 would
    take 53,000. The 7 failures all stay."""
    fitted = summary.fit(whole(5000, 7), LOCATION)

    assert len(fitted["rotated"]) == 200
    assert fitted["rotated"] == rotated(200)
    assert fitted["failed"] == failed(7)
    assert fitted["truncated"] is True
    assert fitted["counts"] == {
        "rotated": 5000,
        "skipped": 0,
        "planned": 0,
        "deferred": 0,
        "failed": 7,
    }
    assert fitted["summaryLocation"] == LOCATION
    assert len(json.dumps(fitted)) <= RULE_LIMIT


def test_given_skipped_and_planned_too_when_fitted_then_each_list_keeps_the_same_count() -> None:
    """Three lists of 1,500: 100 each take 3 x 100 x ~80 = 24,000 characters; 200 each would
    take 48,000."""
    fitted = summary.fit(whole(1500, 2, skipped=1500, planned=1500), LOCATION)
    assert [len(fitted[name]) for name in ("rotated", "skipped", "planned")] == [100, 100, 100]
    assert len(fitted["failed"]) == 2


def test_given_5000_failures_with_long_messages_when_fitted_then_20_failures_remain() -> None:
    """No cut of the other lists makes 5,000 failures of 1,067 characters fit: they are cut too.
    20 take 21,340 characters; 50 would take 53,350. The other lists are then empty."""
    fitted = summary.fit(whole(10, 5000, "m" * 1000), LOCATION)

    assert fitted["rotated"] == []
    assert fitted["failed"] == failed(20, "m" * 1000)
    assert fitted["counts"] == {
        "rotated": 10,
        "skipped": 0,
        "planned": 0,
        "deferred": 0,
        "failed": 5000,
    }
    assert fitted["truncated"] is True
    assert len(json.dumps(fitted)) <= RULE_LIMIT < 32_768


def as_whole(full: Any) -> Any:
    """``full`` as the run returns it when nothing is cut."""
    return {**full, "counts": summary.counts(full), "truncated": False, "summaryLocation": LOCATION}


def padded_to(characters: int) -> Any:
    """A summary whose complete JSON, as the run returns it, is exactly ``characters`` long."""
    full = whole(1)
    full["skipped"] = [{"username": "pad", "detail": ""}]
    full["skipped"][0]["detail"] = "p" * (characters - len(json.dumps(as_whole(full))))
    return full


@pytest.mark.parametrize(("characters", "cut"), [(RULE_LIMIT, False), (RULE_LIMIT + 1, True)])
def test_given_a_summary_at_the_limit_then_it_is_whole_and_one_character_more_is_cut(
    characters: int, cut: bool
) -> None:
    full = padded_to(characters)
    assert len(json.dumps(as_whole(full))) == characters

    fitted = summary.fit(full, LOCATION)

    assert fitted["truncated"] is cut
    assert (fitted == as_whole(full)) is not cut


@pytest.mark.parametrize(
    ("rotated_", "failed_", "message", "others"),
    [
        (0, 0, "", 0),
        (250, 0, "", 0),
        (300, 3, "gone", 0),
        (1200, 0, "", 40),
        (0, 31, "m" * 1000, 0),
        (20000, 200, "m" * 120, 300),
        (3, 3, "m" * 1000, 0),
    ],
)
def test_given_summaries_of_any_size_when_fitted_then_the_rule_decides_the_cut(
    rotated_: int, failed_: int, message: str, others: int
) -> None:
    full = whole(rotated_, failed_, message, skipped=others, planned=others, deferred_=others)
    keep, keep_failed = expected_fit(full)

    fitted = summary.fit(full, LOCATION)

    for name in ("rotated", "skipped", "planned", "deferred"):
        assert fitted[name] == full[name][:keep], name
    assert fitted["failed"] == full["failed"][:keep_failed]
    assert fitted["truncated"] is (keep is not None or keep_failed is not None)
    assert fitted["counts"] == summary.counts(full)
    assert len(json.dumps(fitted)) <= RULE_LIMIT


# --- entries ------------------------------------------------------------------------------------


def test_given_outcomes_when_added_then_each_lands_in_its_list() -> None:
    entries = summary.empty()
    summary.add(
        entries,
        {
            "username": "homer",
            "outcome": "handed_off",
            "accessKeyId": "AKIAN",
            "previousKeyId": "AKIAO",
        },
        None,
    )
    summary.add(
        entries,
        {
            "username": "lisa",
            "outcome": "handed_off",
            "accessKeyId": "AKIAL",
            "previousKeyId": None,
        },
        None,
    )
    summary.add(entries, {"username": "marge", "outcome": "skipped", "detail": "young"}, None)
    summary.add(entries, {"username": "maggie", "outcome": "planned", "detail": "would"}, None)
    summary.add(
        entries,
        {"username": "bart", "outcome": "failed", "error": "UserNotFound", "message": "gone"},
        None,
    )
    summary.add(entries, {"username": "moe", "outcome": "failed"}, None)
    slow = deferred(1)[0]
    summary.add(
        entries,
        {"username": "slow0000", "outcome": "deferred", "detail": "in use", "deferral": slow},
        None,
    )

    assert entries == {
        "rotated": [
            {"username": "homer", "accessKeyId": "AKIAN", "previousKeyId": "AKIAO"},
            {"username": "lisa", "accessKeyId": "AKIAL", "previousKeyId": None},
        ],
        "skipped": [{"username": "marge", "detail": "young"}],
        "planned": [{"username": "maggie", "detail": "would"}],
        "deferred": [slow],
        "failed": [
            {"username": "bart", "error": "UserNotFound", "message": "gone"},
            {"username": "moe", "error": "Unknown", "message": ""},
        ],
        "oldestKey": None,
    }


def test_given_a_handoff_whose_old_key_was_not_retired_then_the_user_failed() -> None:
    entries = summary.empty()
    outcome = {
        "username": "homer",
        "outcome": "handed_off",
        "accessKeyId": "AKIAN",
        "previousKeyId": "AKIAO",
    }
    retirement = summary.Retirement("RetireFailed", "could not delete access key AKIAO")
    summary.add(entries, outcome, retirement)  # type: ignore[arg-type]
    assert entries["rotated"] == []
    assert entries["failed"] == [
        {
            "username": "homer",
            "error": "RetireFailed",
            "message": "could not delete access key AKIAO",
        }
    ]


def test_given_a_handoff_whose_old_key_is_still_in_use_then_rotated_and_deferred() -> None:
    """GIVEN homer handed off, his old key kept because it is in use THEN he is rotated (he got a
    new key) and deferred (the old key stays); after max_deferrals runs he is failed instead."""
    entries = summary.empty()
    outcome = {
        "username": "homer",
        "outcome": "handed_off",
        "accessKeyId": "AKIAN",
        "previousKeyId": "AKIAO",
    }
    slow = {**deferred(1)[0], "username": "homer"}
    summary.add(entries, outcome, summary.Retirement(deferred=slow))  # type: ignore[arg-type]
    summary.add(entries, outcome, summary.Retirement("KeyStillInUse", "still"))  # type: ignore[arg-type]

    assert [e["username"] for e in entries["rotated"]] == ["homer", "homer"]
    assert entries["deferred"] == [slow]
    assert entries["failed"] == [
        {"username": "homer", "error": "KeyStillInUse", "message": "still"}
    ]


def test_given_parts_when_merged_then_the_run_keeps_their_order() -> None:
    first, second = summary.empty(), summary.empty()
    summary.add(first, {"username": "a", "outcome": "skipped", "detail": ""}, None)
    summary.add(second, {"username": "b", "outcome": "skipped", "detail": ""}, None)
    summary.add(second, {"username": "c", "outcome": "failed"}, None)

    merged = summary.merge([first, second], dry_run=True)

    assert [e["username"] for e in merged["skipped"]] == ["a", "b"]
    assert [e["username"] for e in merged["failed"]] == ["c"]
    assert merged["dryRun"] is True
    assert summary.counts(merged) == {
        "rotated": 0,
        "skipped": 2,
        "planned": 0,
        "deferred": 0,
        "failed": 1,
    }
