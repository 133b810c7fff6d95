"""How long IAM refuses a new access key, in the test world.

AWS refuses a new key (``InvalidClientTokenId``) for some seconds after ``CreateAccessKey``: IAM is
eventually consistent and AWS gives no figure. moto's STS answers as AWS does once patched
(testkit/world/patches/caller_identity_as_aws.py), and ``Propagation`` (``Harness.propagation``)
says for how long a new key is refused: its first ``checks`` checks, its
first ``seconds`` from its ``CreateAccessKey`` (as AWS counts them), or, for some users (by the
rotator's name: ``<account_id>/<username>`` in a member account), ``forever``. Keys that are not IAM
users' keys (the functions' ``testing`` credentials, standing for their roles) keep moto's answer.

The engine waits between checks through ``credentials_rotator.settings.clock``, whose waits advance
a clock of the waiting thread instead of sleeping (``world_clock.engine_waits``); a refusal "for a
time" reads that clock (moto answers in the caller's thread). That clock is the thread's own: a key
checked in the thread that created it (a ``rotate`` proving its new key) counts its ``seconds`` from
its creation; one checked in another thread (a later run's proof of a key written before) counts
them from its first check there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from credentials_rotator.settings import clock


@dataclass
class Propagation:
    """How long IAM refuses a new key: AWS's answer to a key's first ``checks`` checks, or during
    its first ``seconds`` from its creation (from its first check when another thread created
    it); the new keys of the users in ``forever``, and the
    keys in ``broken``, never work. A key that worked once is refused for its next ``relapses``
    checks (eventual consistency is not monotonic from one caller: the next request may reach a
    part of IAM the key has not reached yet), then never again, unless it is broken. The default
    refuses nothing."""

    checks: int = 0
    seconds: float = 0.0
    relapses: int = 0
    forever: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    # access key id -> (checks so far, the virtual time of the first)
    seen: dict[str, tuple[int, float]] = field(default_factory=dict)
    # access key id -> (the thread that created it, the virtual time of its creation there)
    created: dict[str, tuple[int, float]] = field(default_factory=dict)
    worked: set[str] = field(default_factory=set)
    relapsed: dict[str, int] = field(default_factory=dict)  # access key id -> refusals since
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuses(self, access_key_id: str, username: str) -> bool:
        now = clock.monotonic()
        with self.lock:
            count, first = self.seen.get(access_key_id, (0, now))
            self.seen[access_key_id] = (count + 1, first)
            thread, at = self.created.get(access_key_id, (None, first))
            first = at if thread == threading.get_ident() else first
            if access_key_id in self.broken:
                return True
            if access_key_id in self.worked:
                relapsed = self.relapsed.get(access_key_id, 0)
                self.relapsed[access_key_id] = relapsed + 1
                return relapsed < self.relapses
            refused = username in self.forever or count < self.checks or now - first < self.seconds
            if not refused:
                self.worked.add(access_key_id)
        return refused

    def created_now(self, access_key_id: str) -> None:
        """Record that ``access_key_id`` was created now, in this thread."""
        with self.lock:
            self.created[access_key_id] = (threading.get_ident(), clock.monotonic())

    def checks_of(self, access_key_id: str) -> int:
        with self.lock:
            return self.seen.get(access_key_id, (0, 0.0))[0]
