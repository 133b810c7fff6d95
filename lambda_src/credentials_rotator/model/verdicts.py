"""What ``decision.decide`` may tell ``rotate`` to do with a user, once it needs no more facts."""

from __future__ import annotations

from dataclasses import dataclass

from credentials_rotator.model.delivery_record import Version
from credentials_rotator.model.key_plan import KeyPlan


@dataclass(frozen=True)
class Skip:
    """Change nothing: the delivered key is young, or a previous key cannot be judged yet."""

    detail: str
    access_key_id: str | None = None


@dataclass(frozen=True)
class Defer:
    """The superseded key is still in use: keep it (or deactivate it), create nothing."""


@dataclass(frozen=True)
class CreateAtOnce:
    """Create a key before listing: IAM allows two keys, so a create it accepts proves the user
    had one key at most, the delivered one, which the new key ``replaces``; a create it refuses
    proves a second key (``decision.Facts.two_keys``), which the decision must see first."""

    replaces: Version


@dataclass(frozen=True)
class Planned:
    """A dry run: say what the plan would do."""

    plan: KeyPlan


@dataclass(frozen=True)
class Resume:
    """Hand off again the unconfirmed key of ``plan.resume``; create nothing."""

    plan: KeyPlan


@dataclass(frozen=True)
class Rotate:
    """Carry out ``plan``, then create a key; with ``then_skip``, carry out the plan's deletions
    (a deferred key no longer in use) and take the deferral's stage off instead of creating."""

    plan: KeyPlan
    then_skip: Skip | None = None
