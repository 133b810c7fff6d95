"""A run's CloudWatch metrics, written as Embedded Metric Format records in ``finish``'s log.

No ``PutMetricData`` call: CloudWatch Logs turns each record into metrics. A record is one line of
JSON on standard output (the Lambda runtime passes such a line through as it is, in either log
format): the ``_aws`` member declares the metrics and their dimensions, and each metric and
dimension is a member of the record beside it.

Per run, with dimension ``Rotator`` (the module's name), in ``METRICS_NAMESPACE``: the users
rotated, skipped, failed and deferred, the run's duration and the age in days of the oldest key a
handler holds among the run's users. Per error name, with dimensions ``Rotator`` and ``Error``:
the users that failed with it. ``EventsNotSent`` counts the per-user events that could not be sent.
A dry run writes none: it changed nothing to count.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import Counter
from typing import Any, TextIO

from credentials_rotator.model import summary
from credentials_rotator.model.shapes import Summary
from credentials_rotator.settings import config

ROTATOR = "Rotator"
ERROR = "Error"

USERS_ROTATED = "UsersRotated"
USERS_SKIPPED = "UsersSkipped"
USERS_FAILED = "UsersFailed"
USERS_DEFERRED = "UsersDeferred"
RUN_DURATION = "RunDurationSeconds"
OLDEST_KEY_AGE = "OldestKeyAgeDays"
EVENTS_NOT_SENT = "EventsNotSent"
# The metric names as the module's output ``metric_names`` publishes them.
METRIC_NAMES = {
    "users_rotated": USERS_ROTATED,
    "users_skipped": USERS_SKIPPED,
    "users_failed": USERS_FAILED,
    "users_deferred": USERS_DEFERRED,
    "run_duration": RUN_DURATION,
    "oldest_key_age": OLDEST_KEY_AGE,
    "events_not_sent": EVENTS_NOT_SENT,
}


def run_records(
    settings: config.Config, whole: Summary, *, duration_seconds: float, now: datetime.datetime
) -> list[dict[str, Any]]:
    """The run's records: its counts, duration and oldest key, then one per error name."""
    counts = summary.counts(whole)
    oldest_key_age_days = summary.oldest_age_days(whole)
    values: dict[str, tuple[float, str]] = {
        USERS_ROTATED: (counts["rotated"], "Count"),
        USERS_SKIPPED: (counts["skipped"], "Count"),
        USERS_FAILED: (counts["failed"], "Count"),
        USERS_DEFERRED: (counts["deferred"], "Count"),
    }
    values[RUN_DURATION] = (round(duration_seconds, 3), "Seconds")
    if oldest_key_age_days is not None:
        values[OLDEST_KEY_AGE] = (oldest_key_age_days, "None")
    records = [_record(settings, now, {ROTATOR: settings.rotator_name}, values)]
    for error, count in sorted(Counter(entry["error"] for entry in whole["failed"]).items()):
        dimensions = {ROTATOR: settings.rotator_name, ERROR: error}
        records.append(_record(settings, now, dimensions, {USERS_FAILED: (count, "Count")}))
    return records


def events_not_sent_record(
    settings: config.Config, count: int, now: datetime.datetime
) -> dict[str, Any]:
    return _record(
        settings, now, {ROTATOR: settings.rotator_name}, {EVENTS_NOT_SENT: (count, "Count")}
    )


def _record(
    settings: config.Config,
    now: datetime.datetime,
    dimensions: dict[str, str],
    values: dict[str, tuple[float, str]],
) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": int(now.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": settings.metrics_namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
                }
            ],
        },
        **dimensions,
        **{name: value for name, (value, _) in values.items()},
    }


def write(records: list[dict[str, Any]], stream: TextIO | None = None) -> None:
    """One line of JSON per record on standard output, where the Lambda runtime reads it."""
    out = stream if stream is not None else sys.stdout
    for record in records:
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
    out.flush()
