"""From one botocore call to the authorization requests AWS makes (testkit/authz/requests.py).

The facts come from moto in-process: a user's real path and tags, a secret's full ARN, the owner
of a bucket, an object's encryption.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest

from testkit.authz import reference
from testkit.authz.facts import MotoFacts
from testkit.authz.policy import AuthorizationRequest
from testkit.authz.reference import ReferenceMismatch
from testkit.authz.requests import (
    NEW_SECRET_SUFFIX,
    NO_OWNER,
    NO_OWNER_NOTE,
    UnmappedCall,
    iam_prefix,
    mapped_calls,
    requests_after,
    requests_for,
)

ACCOUNT, REGION = "123456789012", "us-east-1"
BUCKET = "ci-keys-123456789012-us-east-1-runs"
SECRETS = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"


@pytest.fixture
def facts(aws: None) -> MotoFacts:
    return MotoFacts(ACCOUNT, REGION)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def only(requests: list[AuthorizationRequest]) -> AuthorizationRequest:
    assert len(requests) == 1, requests
    return requests[0]


def secret(name: str, **options: Any) -> str:
    arn: str = client("secretsmanager").create_secret(Name=name, **options)["ARN"]
    return arn


# --- IAM ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", ["CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "ListAccessKeys"]
)
def test_given_a_user_with_a_path_and_tags_when_its_keys_are_called_then_its_real_arn_is_used(
    facts: MotoFacts, operation: str
) -> None:
    client("iam").create_user(
        UserName="bart", Path="/school/", Tags=[{"Key": "Rotate", "Value": "yes"}]
    )
    request = only(
        requests_for("iam", operation, {"UserName": "bart", "AccessKeyId": "AKIA1"}, facts)
    )
    assert request.action == f"iam:{operation}"
    assert request.resource == f"arn:aws:iam::{ACCOUNT}:user/school/bart"
    assert request.context["iam:ResourceTag/Rotate"] == "yes"
    assert request.context["aws:ResourceTag/rotate"] == "yes"  # key names ignore case
    assert request.context["aws:ResourceAccount"] == ACCOUNT
    assert request.context["aws:SecureTransport"] == "true"


def test_given_a_user_that_does_not_exist_when_called_then_its_arn_has_the_root_path(
    facts: MotoFacts,
) -> None:
    request = only(requests_for("iam", "CreateAccessKey", {"UserName": "ghost"}, facts))
    assert request.resource == f"arn:aws:iam::{ACCOUNT}:user/ghost"
    assert not any(key.startswith("iam:ResourceTag/") for key in request.context)


def test_given_a_user_name_in_another_case_when_called_then_iams_spelling_is_used(
    facts: MotoFacts,
) -> None:
    client("iam").create_user(UserName="Homer", Path="/ci/")
    request = only(requests_for("iam", "ListAccessKeys", {"UserName": "homer"}, facts))
    assert request.resource == f"arn:aws:iam::{ACCOUNT}:user/ci/Homer"


def test_given_no_user_name_when_a_key_action_is_called_then_it_is_unmapped(
    facts: MotoFacts,
) -> None:
    with pytest.raises(UnmappedCall, match="caller's own IAM user"):
        requests_for("iam", "CreateAccessKey", {}, facts)


def test_given_an_access_key_when_its_last_use_is_read_then_the_owner_is_the_resource(
    facts: MotoFacts,
) -> None:
    iam = client("iam")
    iam.create_user(UserName="lisa", Path="/school/")
    iam.create_user(UserName="marge")
    key = iam.create_access_key(UserName="lisa")["AccessKey"]["AccessKeyId"]
    request = only(requests_for("iam", "GetAccessKeyLastUsed", {"AccessKeyId": key}, facts))
    assert (request.action, request.resource) == (
        "iam:GetAccessKeyLastUsed",
        f"arn:aws:iam::{ACCOUNT}:user/school/lisa",
    )
    gone = only(
        requests_for("iam", "GetAccessKeyLastUsed", {"AccessKeyId": "AKIANOSUCHKEY"}, facts)
    )
    assert (gone.action, gone.resource) == (
        "iam:GetAccessKeyLastUsed",
        f"arn:aws:iam::{ACCOUNT}:user/{NO_OWNER}",
    )
    assert gone.note == NO_OWNER_NOTE


@pytest.mark.parametrize("operation", ["ListUsers", "GetAccountAuthorizationDetails"])
def test_given_a_user_listing_when_called_then_it_is_authorized_on_star(
    facts: MotoFacts, operation: str
) -> None:
    request = only(requests_for("iam", operation, {"PathPrefix": "/ci/"}, facts))
    assert (request.action, request.resource) == (f"iam:{operation}", "*")
    assert "aws:ResourceAccount" not in request.context


# --- Secrets Manager ---------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["name", "partial arn", "full arn"])
def test_given_a_secret_when_read_then_its_full_arn_with_its_suffix_is_used(
    facts: MotoFacts, given: str
) -> None:
    arn = secret("ci-keys/homer", Tags=[{"Key": "team", "Value": "platform"}])
    secret_id = {
        "name": "ci-keys/homer",
        "partial arn": f"{SECRETS}ci-keys/homer",
        "full arn": arn,
    }[given]
    request = only(
        requests_for(
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": secret_id, "VersionStage": "AWSPREVIOUS"},
            facts,
        )
    )
    assert request.action == "secretsmanager:GetSecretValue"
    assert request.resource == arn and arn.startswith(f"{SECRETS}ci-keys/homer-")
    assert request.context["secretsmanager:SecretId"] == arn
    assert request.context["secretsmanager:VersionStage"] == "AWSPREVIOUS"
    assert request.context["secretsmanager:ResourceTag/team"] == "platform"
    assert request.context["aws:ResourceTag/team"] == "platform"


def test_given_a_secret_that_does_not_exist_when_written_then_its_name_makes_the_arn(
    facts: MotoFacts,
) -> None:
    request = only(
        requests_for("secretsmanager", "PutSecretValue", {"SecretId": "ci-keys/moe"}, facts)
    )
    assert request.resource == f"{SECRETS}ci-keys/moe"


@pytest.mark.parametrize(
    ("operation", "params", "stage"),
    [
        ("UpdateSecretVersionStage", {"VersionStage": "PENDING_HANDOFF"}, "PENDING_HANDOFF"),
        ("DescribeSecret", {}, None),
        ("RestoreSecret", {}, None),
        ("PutSecretValue", {}, None),
    ],
)
def test_given_an_existing_secret_when_an_operation_acts_on_it_then_its_arn_is_the_resource(
    facts: MotoFacts, operation: str, params: dict[str, Any], stage: str | None
) -> None:
    arn = secret("ci-keys/bart")
    request = only(
        requests_for("secretsmanager", operation, {"SecretId": "ci-keys/bart", **params}, facts)
    )
    assert (request.action, request.resource) == (f"secretsmanager:{operation}", arn)
    assert request.context.get("secretsmanager:VersionStage") == stage


def test_given_a_customer_key_when_a_secret_is_read_or_written_then_kms_is_asked_via_the_service(
    facts: MotoFacts,
) -> None:
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    arn = secret("ci-keys/lisa", KmsKeyId=key, SecretString="{}")
    read = requests_for("secretsmanager", "GetSecretValue", {"SecretId": "ci-keys/lisa"}, facts)
    write = requests_for("secretsmanager", "PutSecretValue", {"SecretId": "ci-keys/lisa"}, facts)
    for requests, action in ((read, "kms:Decrypt"), (write, "kms:GenerateDataKey")):
        assert [r.action for r in requests][1:] == [action]
        kms = requests[1]
        assert kms.resource == key
        assert kms.context["kms:ViaService"] == f"secretsmanager.{REGION}.amazonaws.com"
        assert kms.context["kms:CallerAccount"] == ACCOUNT
        assert kms.context["kms:EncryptionContext:SecretARN"] == arn


def test_given_the_aws_managed_key_when_a_secret_is_read_then_kms_is_not_asked(
    facts: MotoFacts,
) -> None:
    secret("ci-keys/maggie", KmsKeyId="alias/aws/secretsmanager", SecretString="{}")
    assert (
        len(requests_for("secretsmanager", "GetSecretValue", {"SecretId": "ci-keys/maggie"}, facts))
        == 1
    )


def test_given_a_key_alias_or_id_when_resolved_then_the_keys_arn_is_used(facts: MotoFacts) -> None:
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/secrets", TargetKeyId=key["KeyId"])
    assert facts.kms_key_arn("alias/secrets") == key["Arn"]
    assert facts.kms_key_arn(f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/secrets") == key["Arn"]
    assert facts.kms_key_arn(key["KeyId"]) == key["Arn"]
    assert facts.kms_key_arn("alias/none") is None
    assert facts.kms_key_arn("0000-unknown") == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000-unknown"


def test_given_tags_when_a_secret_is_created_then_tag_resource_is_authorized_too(
    facts: MotoFacts,
) -> None:
    params = {
        "Name": "ci-keys/homer",
        "Description": "d",
        "Tags": [{"Key": "team", "Value": "platform"}],
    }
    create, tag = requests_for("secretsmanager", "CreateSecret", params, facts)
    new_arn = f"{SECRETS}ci-keys/homer{NEW_SECRET_SUFFIX}"
    assert (create.action, create.resource) == ("secretsmanager:CreateSecret", new_arn)
    assert create.context["secretsmanager:Name"] == "ci-keys/homer"
    assert create.context["aws:RequestTag/team"] == "platform"
    assert create.context["aws:TagKeys"] == ("team",)
    assert (tag.action, tag.resource) == ("secretsmanager:TagResource", new_arn)
    assert tag.context["aws:TagKeys"] == ("team",)


def test_given_no_tags_when_a_secret_is_created_then_only_create_secret_is_authorized(
    facts: MotoFacts,
) -> None:
    arn = secret("ci-keys/bart")
    request = only(requests_for("secretsmanager", "CreateSecret", {"Name": "ci-keys/bart"}, facts))
    assert request.resource == arn  # it exists: AWS answers ResourceExists once authorized
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    with_value = requests_for(
        "secretsmanager",
        "CreateSecret",
        {"Name": "ci-keys/x", "KmsKeyId": key, "SecretString": "{}"},
        facts,
    )
    assert [r.action for r in with_value] == ["secretsmanager:CreateSecret", "kms:GenerateDataKey"]


def test_given_tag_resource_when_called_then_the_request_tags_are_condition_keys(
    facts: MotoFacts,
) -> None:
    arn = secret("ci-keys/lisa")
    request = only(
        requests_for(
            "secretsmanager",
            "TagResource",
            {"SecretId": arn, "Tags": [{"Key": "owner", "Value": "ops"}]},
            facts,
        )
    )
    assert (request.resource, request.context["aws:RequestTag/owner"]) == (arn, "ops")


def test_given_a_batch_read_when_called_then_it_is_authorized_on_star_and_per_returned_secret(
    facts: MotoFacts,
) -> None:
    homer, bart = (
        secret("ci-keys/homer", SecretString="{}"),
        secret("ci-keys/bart", SecretString="{}"),
    )
    params = {"SecretIdList": ["ci-keys/homer", "ci-keys/bart", "ci-keys/ghost"]}
    request = only(requests_for("secretsmanager", "BatchGetSecretValue", params, facts))
    assert (request.action, request.resource) == ("secretsmanager:BatchGetSecretValue", "*")
    parsed = client("secretsmanager").batch_get_secret_value(**params)
    per_secret = requests_after("secretsmanager", "BatchGetSecretValue", params, parsed, facts)
    assert set(per_secret) == {"ci-keys/homer", "ci-keys/bart"}
    for name, arn in (("ci-keys/homer", homer), ("ci-keys/bart", bart)):
        (read,) = per_secret[name]
        assert (read.action, read.resource) == ("secretsmanager:GetSecretValue", arn)
        assert read.note == "a secret BatchGetSecretValue returns"
    assert requests_after("secretsmanager", "GetSecretValue", {}, parsed, facts) == {}


def test_given_a_batch_read_by_filters_when_called_then_listing_is_authorized_too(
    facts: MotoFacts,
) -> None:
    params = {"Filters": [{"Key": "name", "Values": ["ci-keys/"]}]}
    requests = requests_for("secretsmanager", "BatchGetSecretValue", params, facts)
    assert [(r.action, r.resource) for r in requests] == [
        ("secretsmanager:BatchGetSecretValue", "*"),
        ("secretsmanager:ListSecrets", "*"),
    ]


# --- SSM, Step Functions, STS ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arn"),
    [("/ci-keys/users", "parameter/ci-keys/users"), ("users", "parameter/users")],
)
def test_given_a_parameter_when_read_then_its_arn_drops_the_leading_slash(
    facts: MotoFacts, name: str, arn: str
) -> None:
    request = only(requests_for("ssm", "GetParameter", {"Name": name}, facts))
    assert request.resource == f"arn:aws:ssm:{REGION}:{ACCOUNT}:{arn}"
    full = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/x"
    assert only(requests_for("ssm", "GetParameter", {"Name": full}, facts)).resource == full
    both = requests_for("ssm", "GetParameters", {"Names": ["/a", "/b"]}, facts)
    assert [r.resource.rsplit(":", 1)[1] for r in both] == ["parameter/a", "parameter/b"]


@pytest.mark.parametrize(
    ("operation", "params", "action"),
    [
        ("ListExecutions", {"stateMachineArn": "stateMachine:ci-keys"}, "states:ListExecutions"),
        ("StartExecution", {"stateMachineArn": "stateMachine:ci-keys"}, "states:StartExecution"),
        (
            "DescribeExecution",
            {"executionArn": "execution:ci-keys/Map:a1"},
            "states:DescribeExecution",
        ),
        ("StopExecution", {"executionArn": "execution:ci-keys:run-1"}, "states:StopExecution"),
    ],
)
def test_given_a_step_functions_call_when_mapped_then_the_arn_it_names_is_the_resource(
    facts: MotoFacts, operation: str, params: dict[str, str], action: str
) -> None:
    params = {k: f"arn:aws:states:{REGION}:{ACCOUNT}:{v}" for k, v in params.items()}
    request = only(requests_for("stepfunctions", operation, params, facts))
    assert (request.action, request.resource) == (action, next(iter(params.values())))
    with pytest.raises(UnmappedCall, match="without"):
        requests_for("states", operation, {}, facts)


def test_given_get_caller_identity_when_mapped_then_no_authorization_is_needed(
    facts: MotoFacts,
) -> None:
    assert requests_for("sts", "GetCallerIdentity", {}, facts) == []


# --- S3 ----------------------------------------------------------------------------------------


@pytest.fixture
def bucket(facts: MotoFacts) -> Any:
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def test_given_an_object_when_read_then_its_arn_and_the_buckets_account_are_used(
    facts: MotoFacts, bucket: Any
) -> None:
    bucket.put_object(Bucket=BUCKET, Key="runs/r1/items.json", Body=b"[]")
    request = only(
        requests_for("s3", "GetObject", {"Bucket": BUCKET, "Key": "runs/r1/items.json"}, facts)
    )
    assert (request.action, request.resource) == (
        "s3:GetObject",
        f"arn:aws:s3:::{BUCKET}/runs/r1/items.json",
    )
    assert request.context["s3:ResourceAccount"] == ACCOUNT
    versioned = requests_for(
        "s3", "GetObject", {"Bucket": BUCKET, "Key": "runs/r1/items.json", "VersionId": "v1"}, facts
    )
    assert versioned[0].action == "s3:GetObjectVersion"


def test_given_a_missing_object_when_read_then_list_bucket_decides_between_403_and_404(
    facts: MotoFacts, bucket: Any
) -> None:
    get, listing = requests_for("s3", "GetObject", {"Bucket": BUCKET, "Key": "runs/none"}, facts)
    assert get.action == "s3:GetObject"
    assert (listing.action, listing.resource) == ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")
    assert "AccessDenied instead of NoSuchKey" in listing.note


def test_given_a_bucket_of_no_one_when_read_then_no_resource_account_is_known(
    facts: MotoFacts,
) -> None:
    request = requests_for("s3", "GetObject", {"Bucket": "nobody-s-bucket", "Key": "k"}, facts)[0]
    assert "s3:ResourceAccount" not in request.context


def test_given_sse_kms_when_objects_are_written_and_read_then_kms_is_asked_via_s3(
    facts: MotoFacts, bucket: Any
) -> None:
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    bucket.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    params = {"Bucket": BUCKET, "Key": "runs/r1/summary.json", "ContentType": "application/json"}
    put, generate = requests_for("s3", "PutObject", params, facts)
    assert (put.action, generate.action, generate.resource) == (
        "s3:PutObject",
        "kms:GenerateDataKey",
        key,
    )
    assert generate.context["kms:ViaService"] == f"s3.{REGION}.amazonaws.com"
    assert generate.context["kms:EncryptionContext:aws:s3:arn"] == put.resource
    bucket.put_object(Body=b"{}", **params)
    _, decrypt = requests_for("s3", "GetObject", params, facts)
    assert (decrypt.action, decrypt.resource) == ("kms:Decrypt", key)


def test_given_put_object_options_when_mapped_then_they_are_condition_keys(
    facts: MotoFacts, bucket: Any
) -> None:
    params = {
        "Bucket": BUCKET,
        "Key": "k",
        "ServerSideEncryption": "AES256",
        "ACL": "private",
        "Tagging": "a=b",
    }
    put, tagging = requests_for("s3", "PutObject", params, facts)
    assert put.context["s3:x-amz-server-side-encryption"] == "AES256"
    assert put.context["s3:x-amz-acl"] == "private"
    assert tagging.action == "s3:PutObjectTagging"


def test_given_a_listing_when_mapped_then_list_bucket_on_the_bucket_carries_the_prefix(
    facts: MotoFacts, bucket: Any
) -> None:
    params = {"Bucket": BUCKET, "Prefix": "runs/r1/", "MaxKeys": 10}
    request = only(requests_for("s3", "ListObjectsV2", params, facts))
    assert (request.action, request.resource) == ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")
    assert request.context["s3:prefix"] == "runs/r1/"
    assert request.context["s3:max-keys"] == "10"
    assert request.context["s3:ResourceAccount"] == ACCOUNT
    assert (
        "s3:prefix"
        not in only(requests_for("s3", "ListObjectsV2", {"Bucket": BUCKET}, facts)).context
    )


# --- Lambda ------------------------------------------------------------------------------------

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ci-keys-consumer"


@pytest.mark.parametrize(
    ("params", "resource"),
    [
        ({"FunctionName": "ci-keys-consumer"}, FUNCTION),
        ({"FunctionName": f"{ACCOUNT}:function:ci-keys-consumer"}, FUNCTION),
        ({"FunctionName": FUNCTION}, FUNCTION),
        ({"FunctionName": f"{FUNCTION}:live"}, f"{FUNCTION}:live"),
        ({"FunctionName": "ci-keys-consumer:7"}, f"{FUNCTION}:7"),
        ({"FunctionName": FUNCTION, "Qualifier": "live"}, f"{FUNCTION}:live"),
    ],
)
def test_given_an_invoke_when_mapped_then_invoke_function_is_on_the_function_as_invoked(
    facts: MotoFacts, params: dict[str, str], resource: str
) -> None:
    request = only(requests_for("lambda", "Invoke", params, facts))
    assert (request.action, request.resource) == ("lambda:InvokeFunction", resource)


# --- what is refused ---------------------------------------------------------------------------


def test_given_a_call_without_a_rule_when_mapped_then_it_fails_loudly(facts: MotoFacts) -> None:
    with pytest.raises(UnmappedCall, match=r"no authorization rule for iam\.DeleteUser"):
        requests_for("iam", "DeleteUser", {"UserName": "homer"}, facts)


def test_given_a_call_without_its_resource_parameter_when_mapped_then_it_fails(
    facts: MotoFacts,
) -> None:
    with pytest.raises(UnmappedCall, match="without SecretId"):
        requests_for("secretsmanager", "GetSecretValue", {}, facts)


def test_given_every_mapped_call_when_botocore_is_asked_then_the_operation_exists() -> None:
    session = botocore.session.get_session()
    names = {"states": "stepfunctions"}
    for prefix, operation in mapped_calls():
        model = session.get_service_model(names.get(prefix, prefix))
        assert operation in model.operation_names, (prefix, operation)
        assert iam_prefix(model.service_name) == prefix


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (AuthorizationRequest("iam:CreateAccessKeys", "*"), "not an action"),
        (AuthorizationRequest("nosuchservice:Get", "*"), "not an action"),
        (AuthorizationRequest("iam:CreateAccessKey", "*"), "the request must name it"),
        (AuthorizationRequest("iam:ListUsers", "arn:aws:iam::1:user/x"), "takes no resource type"),
        (
            AuthorizationRequest("iam:CreateAccessKey", "arn:aws:iam::1:role/x"),
            "of no resource type",
        ),
        (
            AuthorizationRequest("s3:GetObject", "arn:aws:s3:::b/k", {"s3:prefix": "x"}),
            "no condition key s3:prefix",
        ),
    ],
)
def test_given_a_request_that_does_not_fit_the_reference_when_checked_then_it_is_refused(
    request_: AuthorizationRequest, message: str
) -> None:
    with pytest.raises(ReferenceMismatch, match=message):
        reference.check(request_)


def test_given_requests_that_fit_the_reference_when_checked_then_they_pass() -> None:
    reference.check(
        AuthorizationRequest(
            "iam:CreateAccessKey",
            "arn:aws:iam::1:user/a/b",
            {"iam:ResourceTag/x": "y", "aws:ResourceTag/x": "y"},
        )
    )
    reference.check(
        AuthorizationRequest(
            "secretsmanager:GetSecretValue",
            f"{SECRETS}x-AbCdEf",
            {"secretsmanager:ResourceTag/team": "p"},
        )
    )
    reference.check(
        AuthorizationRequest(
            "kms:Decrypt",
            f"arn:aws:kms:{REGION}:1:key/k",
            {"kms:EncryptionContext:SecretARN": "x", "kms:ViaService": "s"},
        )
    )
    assert reference.data_version().startswith("0.1.")
    assert reference.resource_types("states:ListExecutions") == ["maprun", "statemachine"]
