"""IAM's answer for an access key's last use, at AWS's precision and after AWS's delay.

moto records a key's use on every call signed with it, at once and to the microsecond, on the
world clock (testkit/world_clock.py). AWS documents neither a precision nor a delay for
``LastUsedDate`` (docs/aws-limits.md): its examples show whole minutes, and a use is published a
while after it happened. A test that sets ``Harness.last_use`` gets that AWS
(testkit/world/patches/key_last_use_as_aws.py): ``to_the_minute``
drops the seconds of the answer, ``published_after`` answers the latest use at least that old
(none when there is none yet; uses are kept from the moment a delay is set). Without them moto
answers as it does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from moto.core.utils import utcnow
from moto.iam.models import AccessKeyLastUsed


@dataclass
class LastUse:
    """How IAM answers a key's last use in the test world, and every use it saw (moto keeps only
    the last one)."""

    to_the_minute: bool = False
    published_after: datetime.timedelta = datetime.timedelta(0)
    uses: dict[str, list[datetime.datetime]] = field(default_factory=dict)

    def answer(self, access_key_id: str, last: AccessKeyLastUsed) -> AccessKeyLastUsed | None:
        """What AWS would answer where moto recorded ``last``."""
        timestamp = last.timestamp
        if self.published_after:
            published_by = utcnow() - self.published_after
            published = [use for use in self.uses.get(access_key_id, []) if use <= published_by]
            if not published:
                return None
            timestamp = max(published)
        if self.to_the_minute:
            timestamp = timestamp.replace(second=0, microsecond=0)
        return AccessKeyLastUsed(timestamp, last.service, last.region)
