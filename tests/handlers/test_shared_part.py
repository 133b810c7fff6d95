"""What every ready-made handler does through ``credentials_handler``: the event, the rotated
key, the targets' configuration and the entry modules, each bad input with its message."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any

import boto3
import pytest
from credentials_handler.entry import Delivery, entry_point
from credentials_handler.errors import (
    ConfigError,
    InvalidHandoffEvent,
    KeyMismatch,
    SecretUnreadable,
)
from credentials_handler.event import parse_event
from handler_kit import ACCOUNT, FakeClock, FakeContext, store_credential, store_rotated_key

from testkit.standins.github import GitHubStandIn
from testkit.standins.gitlab import GitLabStandIn

GOOD_EVENT = {
    "username": "deployer",
    "accountId": ACCOUNT,
    "secretName": "ci-keys/deployer",
    "metadata": None,
    "secretArn": None,
    "accessKeyId": "AKIAEXAMPLE",
    "versionId": "v1",
}


def record_delivery(deliveries: list[Delivery[Any]]) -> Any:
    return entry_point(deliveries.append, dict, "tests")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (["not", "an", "object"], "the event must be a JSON object, not list"),
        ({**GOOD_EVENT, "versionId": None}, "the event lacks versionId"),
        ({"username": "deployer"}, "lacks secretName, accessKeyId, versionId"),
        ({**GOOD_EVENT, "accessKeyId": 7}, "the event lacks accessKeyId"),
        ({**GOOD_EVENT, "accountId": 123}, "accountId must be a string or null"),
    ],
    ids=["list", "null-version", "only-username", "number-key-id", "number-account"],
)
def test_given_an_event_that_is_not_the_rotators_then_it_is_refused_saying_what_is_wrong(
    event: Any, message: str
) -> None:
    with pytest.raises(InvalidHandoffEvent, match=message):
        parse_event(event, ACCOUNT)


@pytest.mark.parametrize(
    ("account_id", "name"),
    [(ACCOUNT, "deployer"), (None, "deployer"), ("444455556666", "444455556666/deployer")],
    ids=["own-account", "no-account", "member-account"],
)
def test_given_the_users_account_then_its_name_in_the_rotator_is_the_targets_key(
    account_id: str | None, name: str
) -> None:
    handoff = parse_event({**GOOD_EVENT, "accountId": account_id}, ACCOUNT)

    assert handoff.rotator_name == name
    assert handoff.secret_id == "ci-keys/deployer"  # secretArn null: by name


def test_given_a_version_holding_another_key_then_the_handoff_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    monkeypatch.setenv("TARGETS", json.dumps({"deployer": [{}]}))
    deliveries: list[Delivery[Any]] = []
    key = store_rotated_key("deployer")

    with pytest.raises(KeyMismatch, match="not the announced AKIAOTHER of deployer") as refused:
        record_delivery(deliveries)({**key.event, "accessKeyId": "AKIAOTHER"}, FakeContext(clock))
    assert key.access_key_id in str(refused.value)
    assert deliveries == []


def test_given_a_version_that_does_not_exist_then_the_handoff_is_refused_as_unreadable(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    monkeypatch.setenv("TARGETS", json.dumps({"deployer": [{}]}))
    key = store_rotated_key("deployer")
    event = {**key.event, "versionId": "00000000-0000-0000-0000-000000000000"}

    with pytest.raises(SecretUnreadable, match="cannot be read"):
        record_delivery([])(event, FakeContext(clock))


def test_given_a_version_without_a_key_then_the_handoff_is_refused(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    monkeypatch.setenv("TARGETS", json.dumps({"deployer": [{}]}))
    key = store_rotated_key("deployer")
    written = boto3.client("secretsmanager").put_secret_value(
        SecretId=key.event["secretArn"], SecretString="written by hand"
    )

    with pytest.raises(KeyMismatch, match="holds no key"):
        record_delivery([])({**key.event, "versionId": written["VersionId"]}, FakeContext(clock))


def test_given_a_good_event_then_the_delivery_carries_the_key_the_targets_and_the_deadline(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    monkeypatch.setenv("TARGETS", json.dumps({"deployer": [{"to": "a"}, {"to": "b"}]}))
    deliveries: list[Delivery[Any]] = []
    key = store_rotated_key("deployer")

    record_delivery(deliveries)(key.event, FakeContext(clock, timeout=90))

    (delivery,) = deliveries
    assert delivery.key.secret_access_key == key.secret_access_key
    assert key.secret_access_key not in repr(delivery.key)
    assert delivery.targets == ({"to": "a"}, {"to": "b"})
    assert delivery.deadline.seconds_left() == pytest.approx(87.0)  # 3 s kept to end cleanly


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "TARGETS is missing or empty"),
        ("{not json", "TARGETS is not valid JSON"),
        ('{"deployer": {"to": "a"}}', "must map user names to lists of objects"),
    ],
    ids=["missing", "not-json", "not-lists"],
)
def test_given_a_bad_targets_variable_then_the_function_fails_at_import_naming_it(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, message: str
) -> None:
    if raw is None:
        monkeypatch.delenv("TARGETS", raising=False)
    else:
        monkeypatch.setenv("TARGETS", raw)

    with pytest.raises(ConfigError, match=message):
        record_delivery([])


def import_fresh(module: str) -> ModuleType:
    sys.modules.pop(module, None)
    return importlib.import_module(module)


def test_given_the_github_modules_environment_then_its_entry_module_hands_a_key_off(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    """The variables modules/handler-github-actions sets, read by the entry module at import."""
    with GitHubStandIn(now=clock.now) as github:
        github.add_token("ghp_entry")
        github.add_repository("octo-org/app")
        target = {"repository": "octo-org/app", "access_key_id_name": "ID"}
        target["secret_access_key_name"] = "SECRET"
        monkeypatch.setenv("TARGETS", json.dumps({"deployer": [target]}))
        monkeypatch.setenv("GITHUB_API_URL", github.url + "/")
        monkeypatch.setenv("GITHUB_TOKEN_SECRET_ARN", store_credential("t", "ghp_entry"))
        monkeypatch.delenv("GITHUB_APP_ID", raising=False)
        key = store_rotated_key("deployer")

        import_fresh("github_actions_handler.handler").handler(key.event, FakeContext(clock))

        assert github.secret("octo-org/app", "SECRET") == key.secret_access_key


def test_given_the_gitlab_modules_environment_then_its_entry_module_hands_a_key_off(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    with GitLabStandIn() as gitlab:
        gitlab.tokens.add("glpat-entry")
        gitlab.add_project("platform/deploy")
        target = {"project": "platform/deploy", "access_key_id_name": "ID"}
        target["secret_access_key_name"] = "SECRET"
        monkeypatch.setenv("TARGETS", json.dumps({"deployer": [target]}))
        monkeypatch.setenv("GITLAB_API_URL", gitlab.url)
        monkeypatch.setenv("GITLAB_TOKEN_SECRET_ARN", store_credential("t", "glpat-entry"))
        key = store_rotated_key("deployer")

        import_fresh("gitlab_ci_handler.handler").handler(key.event, FakeContext(clock))

        variable = gitlab.variable("projects", "platform/deploy", "SECRET")
        assert variable["value"] == key.secret_access_key


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "set exactly one of GITHUB_TOKEN_SECRET_ARN and GITHUB_APP_ID"),
        (
            {"GITHUB_TOKEN_SECRET_ARN": "arn:t", "GITHUB_APP_ID": "1"},
            "set exactly one of GITHUB_TOKEN_SECRET_ARN and GITHUB_APP_ID",
        ),
        ({"GITHUB_APP_ID": "1"}, "GITHUB_APP_PRIVATE_KEY_SECRET_ARN is missing"),
        (
            {
                "GITHUB_APP_ID": "1",
                "GITHUB_APP_PRIVATE_KEY_SECRET_ARN": "arn:k",
                "GITHUB_APP_INSTALLATION_ID": "first",
            },
            "GITHUB_APP_INSTALLATION_ID must be a number",
        ),
        ({"GITHUB_TOKEN_SECRET_ARN": "arn:t", "GITHUB_API_URL": ""}, "GITHUB_API_URL is missing"),
    ],
    ids=["neither", "both", "app-without-key", "installation-not-number", "no-url"],
)
def test_given_bad_github_settings_then_the_function_fails_at_import_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("TARGETS", "{}")
    monkeypatch.setenv("GITHUB_API_URL", "https://api.github.com")
    for name in ("GITHUB_TOKEN_SECRET_ARN", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=message):
        import_fresh("github_actions_handler.handler")


def test_given_no_gitlab_token_secret_then_the_function_fails_at_import_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TARGETS", "{}")
    monkeypatch.setenv("GITLAB_API_URL", "https://gitlab.com/api/v4")
    monkeypatch.delenv("GITLAB_TOKEN_SECRET_ARN", raising=False)

    with pytest.raises(ConfigError, match="GITLAB_TOKEN_SECRET_ARN is missing"):
        import_fresh("gitlab_ci_handler.handler")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"access_key_id_name": "A", "secret_access_key_name": "B"}, "either a repository or"),
        ({"repository": "o/r"}, "access_key_id_name"),
    ],
)
def test_given_a_github_target_the_module_would_not_render_then_import_fails(
    monkeypatch: pytest.MonkeyPatch, target: dict[str, Any], message: str
) -> None:
    monkeypatch.setenv("TARGETS", json.dumps({"deployer": [target]}))
    monkeypatch.setenv("GITHUB_API_URL", "https://api.github.com")
    monkeypatch.setenv("GITHUB_TOKEN_SECRET_ARN", "arn:t")
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)

    with pytest.raises(ConfigError, match=f"TARGETS holds an invalid target: .*{message}"):
        import_fresh("github_actions_handler.handler")
