"""What IAM's last-use date of a key proves, at AWS's precision and delay.

IAM records a key's last use (``GetAccessKeyLastUsed``) to the minute: AWS's examples show whole
minutes, so a date on a whole minute stands for any moment of that minute. It publishes a use
only after a while: AWS documents no figure for keys, and ``last_use_delay_seconds`` is the time
allowed (docs/aws-limits.md). A key's uses in the grace wait after a moment are judged only once
that delay has passed since the grace wait's end: before, no use seen proves nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from credentials_rotator.model.decision import waiting_detail
from credentials_rotator.settings import clock
from credentials_rotator.settings.config import Config

# S3 and IAM give times to the second: a use in the same second as such a time may have come
# before it, so only a use after that second's last microsecond counts as later.
REST_OF_THE_SECOND = datetime.timedelta(seconds=1, microseconds=-1)
# IAM's last-use dates on a whole minute stand for any moment of that minute.
REST_OF_THE_MINUTE = datetime.timedelta(minutes=1, microseconds=-1)


def may_follow(last_used: datetime.datetime, moment: datetime.datetime) -> bool:
    """Whether the use IAM recorded as ``last_used`` may have come after ``moment``, a time to the
    second: a date on a whole minute (AWS records last uses to the minute) stands for the whole
    minute, so a use in the minute of a handoff counts as a use after it."""
    return latest(last_used) > moment + REST_OF_THE_SECOND


def latest(last_used: datetime.datetime) -> datetime.datetime:
    """The latest moment a use IAM recorded as ``last_used`` may have come at."""
    whole_minute = last_used.second == 0 and last_used.microsecond == 0
    return last_used + (REST_OF_THE_MINUTE if whole_minute else datetime.timedelta(0))


def awaiting(config: Config, successor_key_id: str, since: datetime.datetime) -> Awaiting:
    """The wait before the key that ``successor_key_id`` replaced can be judged on its uses after
    ``since``: the evidence is its uses in the grace wait that follows (``cleanup_wait_seconds``,
    the time a consumer is given to move), and IAM must have had ``last_use_delay_seconds`` to
    publish every one of them."""
    wait = config.grace_wait_seconds + config.last_use_delay_seconds
    return Awaiting(successor_key_id, since + datetime.timedelta(seconds=wait))


@dataclass(frozen=True)
class Awaiting:
    """The key that ``successor_key_id`` replaced, kept unjudged until ``until``."""

    successor_key_id: str
    until: datetime.datetime

    def due(self) -> bool:
        """Whether the key can be judged now: no use seen then means no use."""
        return clock.now() >= self.until

    def describe(self) -> str:
        return waiting_detail(self.successor_key_id, self.until)
