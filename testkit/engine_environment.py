"""The engine's environment as the tests, the benchmark and the harness deploy it in moto.

The values match tests/fixtures/state_machine_variables.json and testkit/authz/fixture: name
``ci-keys``, account 123456789012, us-east-1. Tests that need other values patch them.
"""

from __future__ import annotations

# Fake credentials and a fixed region: nothing may reach a real account.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}

# The functions' environment variables (docs/design.md), as lambda.tf sets them.
ENGINE_ENVIRONMENT = {
    "USERS_PARAMETER_NAME": "/ci-keys/users",
    "SECRET_NAME_PREFIX": "ci-keys/",
    "SECRET_KMS_KEY_ID": "",
    "SECRET_TAGS": '{"team": "platform"}',
    "OLD_KEY_ACTION": "delete",
    "MAX_KEY_AGE_DAYS": "",
    "VERIFY_NEW_KEY_SECONDS": "60",
    "IN_USE_KEY_ACTION": "defer",
    "MAX_DEFERRALS": "3",
    # The harness's runs wait no grace period unless a test asks for one; moto publishes a key's
    # use at once, and a test that models AWS's delay sets its own.
    "GRACE_WAIT_SECONDS": "0",
    "LAST_USE_DELAY_SECONDS": "0",
    "USER_PATH_PREFIX": "",
    "USER_TAG": "",
    "EXCLUDE_USERS": "[]",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys",
    "RUN_DATA_BUCKET": "ci-keys-123456789012-us-east-1-runs",
    # Smaller than the module's 60: the tests reach several batches with few users.
    "BATCH_SIZE": "20",
    "MAX_CONCURRENCY": "5",
    "ROTATOR_NAME": "ci-keys",
    "EVENT_BUS_NAME": "default",
    "EVENT_SOURCE": "credentials-rotator.ci-keys",
    "METRICS_NAMESPACE": "CredentialsRotator",
    # Users of other accounts (credentials_rotator.aws.accounts): none unless a test names some.
    "MEMBER_ROLE_NAME": "credentials-rotator-member",
    "MEMBER_EXTERNAL_ID": "",
    "ACCOUNTS": "",
}
