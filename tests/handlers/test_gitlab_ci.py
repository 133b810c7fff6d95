"""The GitLab CI/CD handler against a stand-in of GitLab's REST API v4 (``testkit.standins.gitlab``,
which follows GitLab's documentation: the stand-in is the only part that is not real here;
Secrets Manager is moto's).

Each test hands a key off as the rotator does and reads what the stand-in's variables hold.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from credentials_handler.entry import entry_point
from credentials_handler.errors import TargetRefused
from gitlab_ci_handler.deliver import deliver
from gitlab_ci_handler.settings import Settings
from gitlab_ci_handler.targets import parse_target
from handler_kit import FakeClock, FakeContext, logged_text, store_credential, store_rotated_key

from testkit.standins.gitlab import GitLabStandIn
from testkit.standins.server import Answer, StandInRequest

TOKEN = "glpat-StandInToken0123456789"
PROJECT = "platform/deploy"
Handler = Callable[[Any, Any], None]


def target(**fields: Any) -> dict[str, Any]:
    """A target as the module renders it into TARGETS."""
    return {
        "project": None,
        "group": None,
        "environment_scope": "*",
        "protected": True,
        "masked": True,
        "hidden": False,
        "access_key_id_name": "AWS_ACCESS_KEY_ID",
        "secret_access_key_name": "AWS_SECRET_ACCESS_KEY",
        **fields,
    }


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    with GitLabStandIn() as stand_in:
        stand_in.tokens.add(TOKEN)
        stand_in.add_project(PROJECT)
        stand_in.add_group("platform")
        yield stand_in


@pytest.fixture
def settings(aws: None, gitlab: GitLabStandIn) -> Settings:
    return Settings(gitlab.url, store_credential("gitlab/token", TOKEN))


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Handler:
    """The handler that sends the deployer's key to the project's variables."""
    return make_handler(monkeypatch, settings, {"deployer": [target(project=PROJECT)]})


def make_handler(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, targets: dict[str, list[dict[str, Any]]]
) -> Handler:
    monkeypatch.setenv("TARGETS", json.dumps(targets))
    return entry_point(functools.partial(deliver, settings), parse_target, "gitlab_ci_handler")


def test_given_a_project_target_then_its_variables_are_created_with_the_targets_settings(
    clock: FakeClock, gitlab: GitLabStandIn, handler: Handler
) -> None:
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    secret = gitlab.variable("projects", PROJECT, "AWS_SECRET_ACCESS_KEY")
    assert secret["value"] == key.secret_access_key
    assert gitlab.variable("projects", PROJECT, "AWS_ACCESS_KEY_ID")["value"] == key.access_key_id
    assert (secret["protected"], secret["masked"], secret["raw"], secret["hidden"]) == (
        True,
        True,
        True,
        False,
    )
    assert all(r.headers["private-token"] == TOKEN for r in gitlab.requests)
    assert len(list(gitlab.received("POST", "/projects/platform/deploy/variables"))) == 2


def test_given_the_next_rotation_then_the_same_variables_are_updated_in_their_scope(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, gitlab: GitLabStandIn, settings: Settings
) -> None:
    scoped = target(project=PROJECT, environment_scope="production", protected=False)
    handler = make_handler(monkeypatch, settings, {"deployer": [scoped]})
    staging_variable = {"key": "AWS_ACCESS_KEY_ID", "value": "AKIASTAGINGKEY000000"}
    staging_variable.update(hidden=False, masked=False, protected=False, raw=True)
    staging_variable["environment_scope"] = "staging"
    gitlab.namespaces["projects"][PROJECT].variables[("AWS_ACCESS_KEY_ID", "staging")] = (
        staging_variable
    )
    handler(store_rotated_key("deployer").event, FakeContext(clock))
    second = store_rotated_key("deployer")

    handler(second.event, FakeContext(clock))

    variable = gitlab.variable("projects", PROJECT, "AWS_ACCESS_KEY_ID", "production")
    assert variable["value"] == second.access_key_id
    assert variable["protected"] is False
    staging = gitlab.variable("projects", PROJECT, "AWS_ACCESS_KEY_ID", "staging")
    assert staging["value"] == "AKIASTAGINGKEY000000"  # another scope's variable stays
    updates = list(gitlab.received("PUT", "/projects/platform/deploy/variables/"))
    assert len(updates) == 2
    assert all(u.query == {"filter[environment_scope]": "production"} for u in updates)


def test_given_a_group_target_by_path_then_the_groups_variables_hold_the_key(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, gitlab: GitLabStandIn, settings: Settings
) -> None:
    names = {"access_key_id_name": "DEPLOY_KEY_ID", "secret_access_key_name": "DEPLOY_SECRET"}
    handler = make_handler(monkeypatch, settings, {"deployer": [target(group="platform", **names)]})
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert gitlab.variable("groups", "platform", "DEPLOY_SECRET")["value"] == key.secret_access_key
    assert gitlab.variable("groups", "platform", "DEPLOY_KEY_ID")["value"] == key.access_key_id


def test_given_hidden_variables_then_they_are_created_hidden_and_updated_without_masked(
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    gitlab: GitLabStandIn,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GitLab never returns a hidden variable's value: the write's answer confirms it; and it
    refuses an update that sends ``masked`` for a hidden variable."""
    caplog.set_level("INFO")
    handler = make_handler(
        monkeypatch, settings, {"deployer": [target(project=PROJECT, hidden=True)]}
    )
    handler(store_rotated_key("deployer").event, FakeContext(clock))
    second = store_rotated_key("deployer")

    handler(second.event, FakeContext(clock))

    variable = gitlab.variable("projects", PROJECT, "AWS_SECRET_ACCESS_KEY")
    assert variable["hidden"] is True
    assert variable["value"] == second.secret_access_key
    created = next(gitlab.received("POST", "/projects/"))
    assert created.body["masked_and_hidden"] is True
    assert all("masked" not in u.body for u in gitlab.received("PUT", "/projects/"))
    assert "hidden variable: its value cannot be read back" in caplog.text


def test_given_a_token_without_the_maintainer_role_then_gitlabs_message_refuses_before_any_write(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, gitlab: GitLabStandIn, settings: Settings
) -> None:
    gitlab.refuse("GET", "/projects/platform/deploy/variables", 403, "403 Forbidden")
    targets = {"deployer": [target(group="platform"), target(project=PROJECT)]}
    handler = make_handler(monkeypatch, settings, targets)

    with pytest.raises(TargetRefused, match="was refused: 403 403 Forbidden"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))
    assert list(gitlab.received("POST", "/")) == []
    assert list(gitlab.received("PUT", "/")) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"project": "platform/gone"}, "404 Project Not Found"),
        ({"project": None, "group": "gone"}, "404 Group Not Found"),
    ],
)
def test_given_a_target_gitlab_does_not_know_then_the_refusal_says_which(
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    gitlab: GitLabStandIn,
    settings: Settings,
    change: dict[str, Any],
    message: str,
) -> None:
    handler = make_handler(
        monkeypatch, settings, {"deployer": [target(**{"project": PROJECT, **change})]}
    )

    with pytest.raises(TargetRefused, match=message):
        handler(store_rotated_key("deployer").event, FakeContext(clock))


def test_given_a_revoked_token_then_the_refusal_is_unauthorized(
    clock: FakeClock, gitlab: GitLabStandIn, handler: Handler
) -> None:
    gitlab.tokens.clear()

    with pytest.raises(TargetRefused, match="401 401 Unauthorized"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))


def test_given_gitlabs_rate_limit_then_the_handler_waits_retry_after_and_succeeds(
    clock: FakeClock, gitlab: GitLabStandIn, handler: Handler
) -> None:
    reset = str(int(clock.now().timestamp()) + 50)
    limited = {"Retry-After": "12", "RateLimit-Reset": reset, "RateLimit-Remaining": "0"}
    gitlab.answer_next(1, Answer(429, {"message": "Retry later"}, limited))
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert clock.sleeps == [12.0]
    assert gitlab.variable("projects", PROJECT, "AWS_ACCESS_KEY_ID")["value"] == key.access_key_id


def test_given_gitlab_unreachable_then_the_handoff_ends_with_an_unknown_outcome(
    clock: FakeClock, gitlab: GitLabStandIn, handler: Handler
) -> None:
    gitlab.stop()

    with pytest.raises(SystemExit):
        handler(store_rotated_key("deployer").event, FakeContext(clock, timeout=30))
    assert clock.sleeps  # it tried again before it gave up


def test_given_a_variable_that_reads_back_otherwise_then_the_outcome_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    gitlab: GitLabStandIn,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Something else wrote the variable between the write and the read back."""
    serve = gitlab.route
    writes: list[str] = []

    def route(request: StandInRequest) -> Answer:
        answer = serve(request)
        if request.method == "POST":
            writes.append(request.body["key"])
        elif request.method == "GET" and len(writes) == 2 and isinstance(answer.body, dict):
            return Answer(answer.status, {**answer.body, "value": "changed-by-someone"})
        return answer

    monkeypatch.setattr(gitlab, "route", route)

    with pytest.raises(SystemExit):
        handler(store_rotated_key("deployer").event, FakeContext(clock))
    (ended,) = [r for r in caplog.records if r.message.startswith("handoff outcome unknown")]
    assert "holds another value after it was written" in ended.reason  # type: ignore[attr-defined]


def test_given_gitlab_quoting_the_secret_then_no_message_or_log_holds_it(
    clock: FakeClock,
    gitlab: GitLabStandIn,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    key = store_rotated_key("deployer")
    gitlab.refuse("GET", "/projects/", 400, f"value {key.secret_access_key} via {TOKEN}")

    with pytest.raises(TargetRefused) as refused:
        handler(key.event, FakeContext(clock))

    assert "value [secret] via [secret]" in str(refused.value)
    for secret in (key.secret_access_key, TOKEN):
        assert secret not in str(refused.value)
        assert secret not in logged_text(caplog.records)
