"""IAM as AWS enforces it, for every AWS call the rotator makes in the workflow tier.

moto authorizes nothing: a policy that lacks an action, or names the wrong resource, passes every
emulated run and fails in a real account. ``Authorization`` plans the module for the configuration
a test sets up (testkit/authz/planned.py: a real ``terraform plan`` of the module, cached under
.build/authz/), and its guard (testkit/authz/guard.py) decides each call of a rotator function
against the policies of that function's role, and each call Step Functions makes against the state
machine's role. A denied call gets the AccessDenied answer AWS would give, so the engine meets what
it would meet in AWS, and the test's teardown fails on any denial or unchecked call
(``assert_all_allowed``).

The configuration planned: the users the test listed (``Harness.configure_users``) together with
``WORKFLOW_USERS``, which most tests list, so that they share one plan; and what the test set in
the engine's settings document (the module's own account's selection, old_key_action,
in_use_key_action, secret_kms_key_id, event_bus_name), each of which changes the policies.
Metadata changes none and is left out. The plan is made when a run starts (``prepare``), in the
test's thread: the first plan of a configuration takes seconds, which must not count against a
run's wait.

Member accounts: a listed user of a member account is ``<account_id>/<username>`` (the module's
``users[].account_id``), and the settings' member accounts, ``member_role_arn_template`` and
``member_external_id`` become the module's ``accounts``, ``member_role_name`` and
``member_external_id``. Each member account's role is then
planned too (``modules/member-role``, testkit/authz/members.py), for its listed users and its
selection, trusting the hub's planned function roles: the guard decides the functions'
``sts:AssumeRole`` against their policies and the role's trust, and every call signed with a
member role's credentials against that role's policy.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator

from testkit.authz.facts import MotoFacts
from testkit.authz.guard import AuthorizationGuard, Check
from testkit.authz.members import MemberRole, member_roles_for
from testkit.authz.planned import (
    WORKFLOW_USERS,
    MemberAccountConfiguration,
    PlanConfiguration,
    PlannedPolicies,
    User,
    plan_configuration,
)
from testkit.engine_environment import SETTINGS_VARIABLE

ACCOUNT = "123456789012"
REGION = "us-east-1"


@functools.cache
def planned_for(configuration: PlanConfiguration) -> PlannedPolicies:
    """The module's policies for ``configuration`` (planned once per process, cached on disk)."""
    return plan_configuration(configuration)


@functools.cache
def members_for(configuration: PlanConfiguration) -> tuple[MemberRole, ...]:
    """The member role of each member account of ``configuration``, trusting the hub's planned
    function roles (planned once per process, cached on disk)."""
    return member_roles_for(planned_for(configuration))


def configuration_from(listed: frozenset[str], *, shared: bool = True) -> PlanConfiguration:
    """The module's inputs that match the engine's settings document, with these listed users
    (and WORKFLOW_USERS, when ``shared``); a member account's user is listed as
    ``<account_id>/<username>``."""
    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    accounts = dict(settings["accounts"])
    hub = MemberAccountConfiguration.of(accounts.pop(ACCOUNT, {}))
    spelled = {name.lower() for name in listed}
    shared_names = {n for n in WORKFLOW_USERS if shared and n.lower() not in spelled}
    return PlanConfiguration(
        users=tuple(User.of(name) for name in sorted(listed | shared_names)),
        user_path_prefix=hub.user_path_prefix,
        user_tag=hub.user_tag,
        exclude_users=hub.exclude_users,
        old_key_action=settings["old_key_action"],
        in_use_key_action=settings["in_use_key_action"],
        kms_key_arn=settings["secret_kms_key_id"],
        event_bus_name=settings["event_bus_name"],
        accounts=tuple(sorted((k, MemberAccountConfiguration.of(v)) for k, v in accounts.items())),
        member_role_name=settings["member_role_arn_template"].rsplit("/", 1)[-1],
        member_external_id=settings["member_external_id"],
    )


class Authorization:
    """The planned policies of the configuration a test set up, enforced by a guard."""

    def __init__(self) -> None:
        self.listed: set[str] = set()
        # Whether the plan lists WORKFLOW_USERS too; a test that proves every grant needed lists
        # only its own users.
        self.shared = True
        self.planned: PlannedPolicies | None = None
        self.members: tuple[MemberRole, ...] = ()
        self.guard = AuthorizationGuard({}, MotoFacts(ACCOUNT, REGION))

    def list_users(self, names: list[str]) -> None:
        """The users a test put in the users parameter (``<account_id>/<username>`` for a member
        account's). A plan lists each once: IAM user names ignore case, the module refuses two
        spellings of one, and a test that writes both writes the parameter as if by hand, past
        the module."""
        known = {name.lower() for name in self.listed}
        for name in names:
            if name.lower() not in known:
                self.listed.add(name)
                known.add(name.lower())

    def prepare(self) -> PlannedPolicies:
        """Plan the configuration the environment and the listed users describe, if it changed."""
        configuration = configuration_from(frozenset(self.listed), shared=self.shared)
        planned = planned_for(configuration)
        if planned is not self.planned:
            self.members = members_for(configuration)
            self.guard.use(planned, self.members)
            self.planned = planned
        return planned

    @contextlib.contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        """Attribute the calls of this block to the module's function ``function`` (``rotate``)."""
        self.prepare()
        with self.guard.acting_as(function):
            yield

    @property
    def denials(self) -> list[Check]:
        return self.guard.denials

    def assert_all_allowed(self) -> None:
        """No call went unchecked, and AWS would have allowed every one."""
        assert not self.guard.errors, "calls the guard could not check:\n" + "\n".join(
            self.guard.errors
        )
        denied = [check.describe() for check in self.guard.denials]
        assert not denied, "calls AWS would deny:\n" + "\n".join(denied)
