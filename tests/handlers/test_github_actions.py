"""The GitHub Actions handler against a stand-in of GitHub's REST API (``testkit.standins.github``,
which follows GitHub's documentation: the stand-in is the only part that is not real here; Secrets
Manager is moto's).

Each test hands a key off as the rotator does and reads back what the stand-in holds: it opens
the sealed boxes with the target's private key.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from credentials_handler.entry import entry_point
from credentials_handler.errors import (
    InvalidCredential,
    SecretUnreadable,
    TargetRefused,
    UnmappedUser,
)
from github_actions_handler.deliver import deliver
from github_actions_handler.settings import AppSettings, Settings
from github_actions_handler.targets import parse_target
from handler_kit import (
    FakeClock,
    FakeContext,
    RotatedKey,
    logged_text,
    store_credential,
    store_rotated_key,
)

from testkit.standins.github import GitHubStandIn, rsa_key_pair
from testkit.standins.server import Answer

TOKEN = "github_pat_11AAAAAAA0stand1n0token"
REPOSITORY = "octo-org/app"
Handler = Callable[[Any, Any], None]


def target(**fields: Any) -> dict[str, Any]:
    """A target as the module renders it into TARGETS."""
    return {
        "repository": None,
        "environment": None,
        "organization": None,
        "visibility": None,
        "selected_repositories": [],
        "access_key_id_name": "AWS_ACCESS_KEY_ID",
        "secret_access_key_name": "AWS_SECRET_ACCESS_KEY",
        **fields,
    }


@pytest.fixture
def github(clock: FakeClock) -> Iterator[GitHubStandIn]:
    with GitHubStandIn(now=clock.now) as stand_in:
        stand_in.add_token(TOKEN)
        stand_in.add_repository(REPOSITORY, environments=("production",))
        stand_in.add_repository("octo-org/api")
        stand_in.add_repository("octo-org/web")
        stand_in.add_organization("octo-org")
        yield stand_in


@pytest.fixture
def token_settings(aws: None, github: GitHubStandIn) -> Settings:
    arn = store_credential("github/token", TOKEN)
    return Settings(api_url=github.url, token_secret_arn=arn, app=None)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, token_settings: Settings) -> Handler:
    """The handler that sends the deployer's key to the repository's secrets, with a token."""
    return make_handler(monkeypatch, token_settings, {"deployer": [target(repository=REPOSITORY)]})


def make_handler(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, targets: dict[str, list[dict[str, Any]]]
) -> Handler:
    monkeypatch.setenv("TARGETS", json.dumps(targets))
    return entry_point(functools.partial(deliver, settings), parse_target, "github_actions_handler")


def assert_holds(github: GitHubStandIn, key: RotatedKey, environment: str | None = None) -> None:
    assert github.secret(REPOSITORY, "AWS_ACCESS_KEY_ID", environment) == key.access_key_id
    assert github.secret(REPOSITORY, "AWS_SECRET_ACCESS_KEY", environment) == key.secret_access_key


# --- where the key goes ----------------------------------------------------------------------


def test_given_a_repository_target_when_handed_off_then_its_secrets_open_to_the_new_key(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert_holds(github, key)
    writes = list(github.received("PUT", "/repos/octo-org/app/actions/secrets/"))
    assert [w.path.rsplit("/", 1)[1] for w in writes] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    for request in github.requests:  # as GitHub's documentation asks
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"]


def test_given_an_environment_on_enterprise_server_when_handed_off_then_the_named_secrets_hold_it(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, aws: None
) -> None:
    with GitHubStandIn(prefix="/api/v3", now=clock.now) as server:
        server.add_token(TOKEN)
        server.add_repository(REPOSITORY, environments=("production",))
        settings = Settings(server.url, store_credential("ghes/token", TOKEN), None)
        names = {"access_key_id_name": "PROD_KEY_ID", "secret_access_key_name": "PROD_SECRET"}
        environment = target(repository=REPOSITORY, environment="production", **names)
        handler = make_handler(monkeypatch, settings, {"deployer": [environment]})
        key = store_rotated_key("deployer")

        handler(key.event, FakeContext(clock))

        assert server.secret(REPOSITORY, "PROD_KEY_ID", "production") == key.access_key_id
        assert server.secret(REPOSITORY, "PROD_SECRET", "production") == key.secret_access_key
        assert server.repositories[REPOSITORY].store.secrets == {}  # not the repository's own


def test_given_an_organization_with_selected_repositories_then_its_secrets_are_limited_to_them(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, token_settings: Any
) -> None:
    organization = target(
        organization="octo-org", visibility="selected", selected_repositories=["api", "web"]
    )
    handler = make_handler(monkeypatch, token_settings, {"deployer": [organization]})
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    value, written = github.organization_secret("octo-org", "AWS_SECRET_ACCESS_KEY")
    assert value == key.secret_access_key
    assert written["visibility"] == "selected"
    ids = [github.repositories[f"octo-org/{name}"].id for name in ("api", "web")]
    assert written["selected_repository_ids"] == ids
    assert github.organization_secret("octo-org", "AWS_ACCESS_KEY_ID")[0] == key.access_key_id


def test_given_several_targets_then_each_holds_the_key(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, token_settings: Any
) -> None:
    targets = [
        target(repository=REPOSITORY),
        target(repository=REPOSITORY, environment="production"),
        target(organization="octo-org", visibility="private"),
    ]
    handler = make_handler(monkeypatch, token_settings, {"deployer": targets})
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert_holds(github, key)
    assert_holds(github, key, "production")
    assert github.organization_secret("octo-org", "AWS_ACCESS_KEY_ID")[0] == key.access_key_id


def test_given_the_same_key_handed_off_again_then_it_succeeds_and_the_secrets_still_hold_it(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    """The rotator hands an unconfirmed key off again: the handler must be idempotent."""
    key = store_rotated_key("deployer")
    handler(key.event, FakeContext(clock))

    handler(key.event, FakeContext(clock))

    assert_holds(github, key)
    assert len(list(github.received("PUT", "/repos/"))) == 4


def test_given_a_member_account_user_then_its_own_targets_get_the_key_not_the_hub_users(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, token_settings: Any
) -> None:
    targets = {
        "deployer": [target(repository="octo-org/api")],
        "444455556666/deployer": [target(repository=REPOSITORY)],
    }
    handler = make_handler(monkeypatch, token_settings, targets)
    key = store_rotated_key("deployer", account_id="444455556666")

    handler(key.event, FakeContext(clock))

    assert_holds(github, key)
    assert github.repositories["octo-org/api"].store.secrets == {}


# --- refusals: nothing written, the rotator rolls back ------------------------------------------


def test_given_an_unmapped_user_then_the_handoff_is_refused_naming_it_and_github_is_not_called(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    key = store_rotated_key("reporter")

    with pytest.raises(UnmappedUser, match="no target is configured for user reporter"):
        handler(key.event, FakeContext(clock))
    assert github.requests == []


def test_given_a_token_without_access_then_githubs_message_refuses_the_handoff_before_any_write(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, token_settings: Any
) -> None:
    github.refuse(
        "GET", "/repos/octo-org/app/", 403, "Resource not accessible by personal access token"
    )
    targets = {"deployer": [target(repository="octo-org/api"), target(repository=REPOSITORY)]}
    handler = make_handler(monkeypatch, token_settings, targets)
    key = store_rotated_key("deployer")

    with pytest.raises(TargetRefused) as refused:
        handler(key.event, FakeContext(clock))

    assert "403 Resource not accessible by personal access token" in str(refused.value)
    assert list(github.received("PUT", "/")) == []  # not even the target GitHub allowed


def test_given_an_unknown_repository_then_the_refusal_is_githubs_not_found(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, token_settings: Any
) -> None:
    handler = make_handler(
        monkeypatch, token_settings, {"deployer": [target(repository="octo-org/gone")]}
    )
    key = store_rotated_key("deployer")

    refusal = "GET /repos/octo-org/gone/actions/secrets/public-key was refused: 404 Not Found"
    with pytest.raises(TargetRefused, match=refusal):
        handler(key.event, FakeContext(clock))


def test_given_a_revoked_token_then_the_refusal_says_bad_credentials(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    github.grants.clear()

    with pytest.raises(TargetRefused, match="401 Bad credentials"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))


def test_given_no_token_secret_then_the_refusal_names_the_secret(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, aws: None
) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:github/none-AbCdEf"
    settings = Settings(github.url, missing, None)
    handler = make_handler(monkeypatch, settings, {"deployer": [target(repository=REPOSITORY)]})

    with pytest.raises(SecretUnreadable, match=r"the secret .*github/none-AbCdEf cannot be read"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))
    assert github.requests == []


# --- unknown outcomes: the process ends, the rotator keeps both keys ------------------------------


def test_given_a_refusal_after_the_first_secret_was_written_then_the_outcome_is_unknown(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A target that holds part of the key must not see the key rolled back."""
    github.refuse(
        "PUT", "/repos/octo-org/app/actions/secrets/AWS_SECRET_ACCESS_KEY", 422, "Invalid"
    )
    key = store_rotated_key("deployer")

    with pytest.raises(SystemExit) as ended:
        handler(key.event, FakeContext(clock))

    assert ended.value.code == 1
    assert github.secret(REPOSITORY, "AWS_ACCESS_KEY_ID") == key.access_key_id
    (record,) = [r for r in caplog.records if r.message.startswith("handoff outcome unknown")]
    assert record.written == [f"secret AWS_ACCESS_KEY_ID of repository {REPOSITORY}"]  # type: ignore[attr-defined]
    assert record.error == "TargetRefused"  # type: ignore[attr-defined]


def test_given_github_unreachable_then_the_handler_retries_until_its_time_and_ends_unknown(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    key = store_rotated_key("deployer")
    github.stop()
    started = clock.monotonic()

    with pytest.raises(SystemExit):
        handler(key.event, FakeContext(clock, timeout=60))

    assert len(clock.sleeps) >= 3  # it tried again, backing off
    assert clock.monotonic() - started < 60  # and ended before Lambda's timeout


# --- rate limits and server errors: waited out inside the invocation's time -----------------------


def test_given_the_primary_rate_limit_then_the_handler_waits_until_its_reset_and_succeeds(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    reset = int(clock.now().timestamp()) + 30
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    github.answer_next(1, Answer(403, {"message": "API rate limit exceeded"}, limited))
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock, timeout=120))

    assert clock.sleeps == [31.0]  # until just after the reset
    assert_holds(github, key)


@pytest.mark.parametrize(
    ("answer", "waited"),
    [
        (Answer(429, {"message": "Too many requests"}, {"retry-after": "7"}), 7.0),
        (Answer(403, {"message": "You have exceeded a secondary rate limit."}), 60.0),
    ],
    ids=["retry-after", "secondary-without-headers"],
)
def test_given_a_secondary_rate_limit_then_the_handler_waits_as_github_asks(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
    answer: Answer,
    waited: float,
) -> None:
    github.answer_next(1, answer)
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock, timeout=120))

    assert clock.sleeps == [waited]
    assert_holds(github, key)


def test_given_a_rate_limit_longer_than_the_time_left_then_nothing_is_written_and_it_ends_unknown(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    github.answer_next(1, Answer(429, {"message": "Too many requests"}, {"retry-after": "600"}))

    with pytest.raises(SystemExit):
        handler(store_rotated_key("deployer").event, FakeContext(clock, timeout=60))

    assert clock.sleeps == []  # it did not wait past its deadline
    assert github.repositories[REPOSITORY].store.secrets == {}


def test_given_server_errors_then_the_handler_backs_off_and_succeeds(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
) -> None:
    github.answer_next(2, Answer(502, {"message": "Server Error"}))
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert len(clock.sleeps) == 2
    assert_holds(github, key)


# --- as a GitHub App ------------------------------------------------------------------------------


@pytest.fixture
def app_key(aws: None, github: GitHubStandIn) -> str:
    private_key, public_key = rsa_key_pair()
    github.add_app("Iv23liStandIn", public_key, owners=("octo-org",))
    return store_credential("github/app-key", private_key)


def test_given_a_github_app_then_it_signs_in_and_writes_with_a_token_limited_to_the_repository(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, app_key: str
) -> None:
    settings = Settings(github.url, None, AppSettings("Iv23liStandIn", app_key, None))
    targets = [
        target(repository=REPOSITORY),
        target(repository=REPOSITORY, environment="production"),
    ]
    handler = make_handler(monkeypatch, settings, {"deployer": targets})
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert_holds(github, key)
    assert_holds(github, key, "production")
    assert len(list(github.received("GET", "/repos/octo-org/app/installation"))) == 1
    (issued,) = github.received("POST", "/app/installations/")
    assert issued.body == {"repositories": ["app"]}
    writer = next(github.received("PUT", "/repos/")).headers["authorization"].split()[1]
    assert github.grants[writer].repositories == {"app"}  # the installation token, limited


def test_given_an_app_installation_id_then_no_installation_is_looked_up(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, app_key: str
) -> None:
    assert github.app is not None
    installation = github.app.installations["octo-org"]
    settings = Settings(github.url, None, AppSettings("Iv23liStandIn", app_key, installation))
    organization = target(organization="octo-org", visibility="all")
    handler = make_handler(monkeypatch, settings, {"deployer": [organization]})
    key = store_rotated_key("deployer")

    handler(key.event, FakeContext(clock))

    assert github.organization_secret("octo-org", "AWS_ACCESS_KEY_ID")[0] == key.access_key_id
    assert list(github.received("GET", "/orgs/octo-org/installation")) == []
    (issued,) = github.received("POST", f"/app/installations/{installation}/access_tokens")
    assert issued.body is None  # an organization's secrets: not limited to repositories


def test_given_an_app_private_key_that_is_not_pem_then_the_handoff_is_refused_as_invalid(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, aws: None
) -> None:
    key_arn = store_credential("github/bad-key", "not a private key")
    settings = Settings(github.url, None, AppSettings("12345", key_arn, None))
    handler = make_handler(monkeypatch, settings, {"deployer": [target(repository=REPOSITORY)]})

    with pytest.raises(InvalidCredential, match="not an unencrypted PEM key"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))
    assert github.requests == []


def test_given_a_jwt_signed_with_another_key_then_github_refuses_it(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, github: GitHubStandIn, aws: None
) -> None:
    other_key, _ = rsa_key_pair()
    github.add_app("Iv23liStandIn", rsa_key_pair()[1], owners=("octo-org",))
    settings = Settings(
        github.url, None, AppSettings("Iv23liStandIn", store_credential("k", other_key), None)
    )
    handler = make_handler(monkeypatch, settings, {"deployer": [target(repository=REPOSITORY)]})

    with pytest.raises(TargetRefused, match="401 A JSON web token could not be decoded"):
        handler(store_rotated_key("deployer").event, FakeContext(clock))


# --- secrets stay secret --------------------------------------------------------------------------


def test_given_github_quoting_the_secret_in_its_refusal_then_no_message_or_log_holds_a_secret(
    clock: FakeClock,
    github: GitHubStandIn,
    handler: Handler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    key = store_rotated_key("deployer")
    github.answer_next(1, Answer(500, {"message": f"oops {key.secret_access_key} {TOKEN}"}))
    github.refuse("PUT", "/repos/", 422, f"bad value {key.secret_access_key} with {TOKEN}")

    with pytest.raises(TargetRefused) as refused:
        handler(key.event, FakeContext(clock))

    logs = logged_text(caplog.records)
    assert "bad value [secret] with [secret]" in str(refused.value)
    assert "oops [secret] [secret]" in logs  # the server error's retry was logged, scrubbed
    for secret in (key.secret_access_key, TOKEN):
        assert secret not in str(refused.value)
        assert secret not in logs
