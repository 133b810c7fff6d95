"""One botocore call -> the authorization requests AWS makes for it.

``requests_for(service, operation, params, facts)`` gives the requests AWS authorizes before it
acts: the IAM action (not always the operation's name: Lambda ``Invoke`` is
``lambda:InvokeFunction``, S3 ``ListObjectsV2`` is ``s3:ListBucket``), the resource's ARN as AWS
builds it (a user's ARN with its real IAM path, a secret's full ARN with its random suffix, an S3
object's ARN, ...), or ``*`` for an action that takes no resource type, and the request context's
condition keys (``iam:ResourceTag/<key>``, ``s3:ResourceAccount``, ``kms:ViaService``, ...).
Services that use a customer managed KMS key on the caller's behalf add the KMS request they make
(``kms:Decrypt``/``kms:GenerateDataKey``, ``kms:ViaService`` = the service's endpoint).

``requests_after(service, operation, params, parsed, facts)`` gives what AWS authorizes per item
of a response: ``BatchGetSecretValue`` authorizes each secret it returns as a ``GetSecretValue``,
and reports a denied one among its errors instead of failing the call.

Every request is checked against the Service Authorization Reference (``reference.check``). A call
without a rule raises ``UnmappedCall``: add its rule here, never let it through unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from testkit.authz import reference
from testkit.authz.facts import AccountFacts
from testkit.authz.policy import AuthorizationRequest, Context

__all__ = [
    "AuthorizationRequest",
    "UnmappedCall",
    "iam_prefix",
    "mapped_calls",
    "requests_after",
    "requests_for",
]


class UnmappedCall(LookupError):
    """An AWS call the guard has no authorization rule for, or cannot resolve the resource of."""


# botocore's service names whose IAM prefix differs.
_PREFIXES = {"stepfunctions": "states"}

# The owner of an access key that belongs to no user: not a valid IAM user name, so no ARN but a
# wildcard covers it (``_on_key_owner``).
NO_OWNER = "<no-owner>"
NO_OWNER_NOTE = "the key belongs to no user: AWS cannot tell whom to authorize it on"

# Calls AWS does not authorize at all.
_UNAUTHORIZED = {("sts", "GetCallerIdentity")}

# What a new secret's ARN ends in at CreateSecret: AWS adds six random characters, unknown before
# the secret exists; any six stand for them.
NEW_SECRET_SUFFIX = "-NewSec"  # noqa: S105  (part of an ARN, not a password)


def iam_prefix(service: str) -> str:
    """The IAM action prefix of a botocore service name ("stepfunctions" -> "states")."""
    return _PREFIXES.get(service, service)


Rule = Callable[["_Call"], list[AuthorizationRequest]]


class _Call:
    """One call, with what its rule needs: its parameters and the account's facts."""

    def __init__(
        self, prefix: str, operation: str, params: Mapping[str, Any], facts: AccountFacts
    ) -> None:
        self.prefix = prefix
        self.operation = operation
        self.params = params
        self.facts = facts

    @property
    def where(self) -> str:
        return f"{self.prefix}.{self.operation}"

    def param(self, name: str) -> Any:
        value = self.params.get(name)
        if value is None or value == "":
            raise UnmappedCall(f"{self.where} without {name}: no rule for the resource it acts on")
        return value

    def request(
        self,
        action: str,
        resource: str,
        context: Mapping[str, object] | None = None,
        note: str = "",
    ) -> AuthorizationRequest:
        facts = self.facts
        base: dict[str, object] = {
            "aws:SecureTransport": True,
            "aws:RequestedRegion": facts.region,
        }
        account = _account_of(resource)
        if account:
            base["aws:ResourceAccount"] = account
        return AuthorizationRequest(
            action, resource, Context({**base, **(context or {})}), note=note
        )

    # --- resources -------------------------------------------------------------------------

    def user(self, username: str) -> tuple[str, dict[str, object]]:
        """A user's ARN (with its real path) and its tags as condition keys."""
        facts = self.facts
        found = facts.user(username)
        if found is None:  # no such user: IAM answers NoSuchEntity once authorized on this ARN
            return f"arn:{facts.partition}:iam::{facts.account}:user/{username}", {}
        context: dict[str, object] = {}
        for key, value in found.tags.items():
            context[f"iam:ResourceTag/{key}"] = value
            context[f"aws:ResourceTag/{key}"] = value
        return found.arn, context

    def secret(self, secret_id: str) -> tuple[str, dict[str, object], str | None]:
        """A secret's full ARN, its tags as condition keys and its KMS key, if it exists."""
        facts = self.facts
        found = facts.secret(secret_id)
        if found is None:
            arn = (
                secret_id
                if secret_id.startswith("arn:")
                else f"arn:{facts.partition}:secretsmanager:{facts.region}:{facts.account}"
                f":secret:{secret_id}"
            )
            return arn, {}, None
        context: dict[str, object] = {}
        for key, value in found.tags.items():
            context[f"aws:ResourceTag/{key}"] = value
            context[f"secretsmanager:ResourceTag/{key}"] = value
        return found.arn, context, found.kms_key_id

    def kms(
        self, action: str, key_id: str | None, service: str, encryption_context: Mapping[str, str]
    ) -> list[AuthorizationRequest]:
        """What a service asks KMS on the caller's behalf with a customer managed key."""
        if not key_id:
            return []
        facts = self.facts
        arn = facts.kms_key_arn(key_id)
        if arn is None:
            return []
        context: dict[str, object] = {
            "kms:ViaService": f"{service}.{facts.region}.amazonaws.com",
            "kms:CallerAccount": facts.account,
        }
        for key, value in encryption_context.items():
            context[f"kms:EncryptionContext:{key}"] = value
        context["kms:EncryptionContextKeys"] = tuple(encryption_context)
        return [self.request(action, arn, context, note=f"{service} uses the key on your behalf")]


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else None


def _tags(items: object) -> dict[str, str]:
    if not isinstance(items, Sequence):
        return {}
    return {str(item["Key"]): str(item.get("Value", "")) for item in items}


# --- IAM -------------------------------------------------------------------------------------


def _on_named_user(action: str) -> Rule:
    def rule(call: _Call) -> list[AuthorizationRequest]:
        username = call.params.get("UserName")
        if not username:
            raise UnmappedCall(
                f"{call.where} without UserName acts on the caller's own IAM user; a role has none"
            )
        arn, context = call.user(str(username))
        return [call.request(action, arn, context)]

    return rule


def _on_key_owner(action: str) -> Rule:
    """A call that names a key only: AWS authorizes it on the key's owner. A key that belongs to
    no user (deleted) has none: AWS may then answer AccessDenied, as only a grant on every user
    can cover an owner it cannot tell; the request names such an owner (``NO_OWNER``), which no
    user's ARN pattern but a wildcard matches, and its denial is AWS's answer, not a missing
    grant (``NO_OWNER_NOTE``)."""

    def rule(call: _Call) -> list[AuthorizationRequest]:
        key_id = str(call.param("AccessKeyId"))
        owner = call.facts.access_key_owner(key_id)
        if owner is None:
            facts = call.facts
            arn = f"arn:{facts.partition}:iam::{facts.account}:user/{NO_OWNER}"
            return [call.request(action, arn, note=NO_OWNER_NOTE)]
        arn, context = call.user(owner)
        return [call.request(action, arn, context)]

    return rule


def _on_nothing(action: str) -> Rule:
    def rule(call: _Call) -> list[AuthorizationRequest]:
        return [call.request(action, "*")]

    return rule


# --- Secrets Manager ---------------------------------------------------------------------------


def _on_secret(action: str, kms_action: str | None = None) -> Rule:
    def rule(call: _Call) -> list[AuthorizationRequest]:
        arn, context, key_id = call.secret(str(call.param("SecretId")))
        context["secretsmanager:SecretId"] = arn
        if action in ("secretsmanager:GetSecretValue", "secretsmanager:UpdateSecretVersionStage"):
            context["secretsmanager:VersionStage"] = call.params.get("VersionStage")
        if action == "secretsmanager:GetSecretValue":
            context["secretsmanager:VersionId"] = call.params.get("VersionId")
        requests = [call.request(action, arn, context)]
        if kms_action is not None:
            requests += call.kms(kms_action, key_id, "secretsmanager", {"SecretARN": arn})
        return requests

    return rule


def _create_secret(call: _Call) -> list[AuthorizationRequest]:
    name = str(call.param("Name"))
    facts = call.facts
    existing = facts.secret(name)
    arn = (
        existing.arn
        if existing is not None
        else f"arn:{facts.partition}:secretsmanager:{facts.region}:{facts.account}:secret:"
        f"{name}{NEW_SECRET_SUFFIX}"
    )
    tags = _tags(call.params.get("Tags"))
    tag_context: dict[str, object] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        tag_context["aws:TagKeys"] = tuple(tags)
    context: dict[str, object] = {
        "secretsmanager:Name": name,
        "secretsmanager:Description": call.params.get("Description"),
        "secretsmanager:KmsKeyId": call.params.get("KmsKeyId"),
        **tag_context,
    }
    requests = [call.request("secretsmanager:CreateSecret", arn, context)]
    if tags:  # tagging at creation is also authorized as TagResource
        requests.append(
            call.request(
                "secretsmanager:TagResource",
                arn,
                {"secretsmanager:SecretId": arn, **tag_context},
                note="CreateSecret with Tags",
            )
        )
    if "SecretString" in call.params or "SecretBinary" in call.params:
        requests += call.kms(
            "kms:GenerateDataKey", call.params.get("KmsKeyId"), "secretsmanager", {"SecretARN": arn}
        )
    return requests


def _tag_secret(call: _Call) -> list[AuthorizationRequest]:
    arn, context, _ = call.secret(str(call.param("SecretId")))
    tags = _tags(call.params.get("Tags"))
    context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
    context["aws:TagKeys"] = tuple(tags)
    context["secretsmanager:SecretId"] = arn
    return [call.request("secretsmanager:TagResource", arn, context)]


def _batch_get_secret_value(call: _Call) -> list[AuthorizationRequest]:
    requests = [call.request("secretsmanager:BatchGetSecretValue", "*")]
    if call.params.get("Filters"):  # the batch is found by listing
        requests.append(
            call.request("secretsmanager:ListSecrets", "*", note="BatchGetSecretValue with Filters")
        )
    return requests


# --- SSM ---------------------------------------------------------------------------------------


def _parameter_arn(call: _Call, name: str) -> str:
    if name.startswith("arn:"):
        return name
    facts = call.facts
    return f"arn:{facts.partition}:ssm:{facts.region}:{facts.account}:parameter/{name.lstrip('/')}"


def _get_parameter(call: _Call) -> list[AuthorizationRequest]:
    return [call.request("ssm:GetParameter", _parameter_arn(call, str(call.param("Name"))))]


def _get_parameters(call: _Call) -> list[AuthorizationRequest]:
    return [
        call.request("ssm:GetParameters", _parameter_arn(call, str(name)))
        for name in call.param("Names")
    ]


# --- Step Functions ----------------------------------------------------------------------------


def _on_arn(action: str, *names: str) -> Rule:
    def rule(call: _Call) -> list[AuthorizationRequest]:
        for name in names:
            if call.params.get(name):
                return [call.request(action, str(call.params[name]))]
        raise UnmappedCall(f"{call.where} without {' or '.join(names)}")

    return rule


# --- S3 ----------------------------------------------------------------------------------------


def _bucket_context(call: _Call, bucket: str) -> dict[str, object]:
    found = call.facts.bucket(bucket)
    # S3 ARNs name no account: s3:ResourceAccount is the owner's (absent for no such bucket).
    if found is None:
        return {}
    return {"s3:ResourceAccount": found.account, "aws:ResourceAccount": found.account}


def _get_object(call: _Call) -> list[AuthorizationRequest]:
    facts = call.facts
    bucket, key = str(call.param("Bucket")), str(call.param("Key"))
    context = _bucket_context(call, bucket)
    action = "s3:GetObjectVersion" if call.params.get("VersionId") else "s3:GetObject"
    arn = f"arn:{facts.partition}:s3:::{bucket}/{key}"
    requests = [call.request(action, arn, context)]
    found = facts.s3_object(bucket, key)
    if found is None:
        # S3 answers 404 for a missing key only to a caller allowed s3:ListBucket; else 403.
        requests.append(
            call.request(
                "s3:ListBucket",
                f"arn:{facts.partition}:s3:::{bucket}",
                context,
                note=f"object {key} does not exist: S3 answers AccessDenied instead of NoSuchKey "
                "without s3:ListBucket",
            )
        )
    elif found.sse_algorithm == "aws:kms":
        requests += call.kms("kms:Decrypt", found.kms_key_id, "s3", {"aws:s3:arn": arn})
    return requests


def _put_object(call: _Call) -> list[AuthorizationRequest]:
    facts = call.facts
    bucket, key = str(call.param("Bucket")), str(call.param("Key"))
    arn = f"arn:{facts.partition}:s3:::{bucket}/{key}"
    context = _bucket_context(call, bucket)
    for param, condition_key in (
        ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
        ("SSEKMSKeyId", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
        ("ACL", "s3:x-amz-acl"),
        ("StorageClass", "s3:x-amz-storage-class"),
    ):
        if call.params.get(param):
            context[condition_key] = call.params[param]
    requests = [call.request("s3:PutObject", arn, context)]
    if call.params.get("Tagging"):
        requests.append(
            call.request("s3:PutObjectTagging", arn, _bucket_context(call, bucket), note="Tagging")
        )
    algorithm, key_id = call.params.get("ServerSideEncryption"), call.params.get("SSEKMSKeyId")
    if algorithm is None:
        found = facts.bucket(bucket)
        if found is not None:
            algorithm, key_id = found.sse_algorithm, found.kms_key_id
    if algorithm == "aws:kms":
        requests += call.kms("kms:GenerateDataKey", key_id, "s3", {"aws:s3:arn": arn})
    return requests


def _list_objects(call: _Call) -> list[AuthorizationRequest]:
    facts = call.facts
    bucket = str(call.param("Bucket"))
    context = _bucket_context(call, bucket)
    for param, condition_key in (
        ("Prefix", "s3:prefix"),
        ("Delimiter", "s3:delimiter"),
        ("MaxKeys", "s3:max-keys"),
    ):
        if call.params.get(param) is not None:
            context[condition_key] = call.params[param]
    return [call.request("s3:ListBucket", f"arn:{facts.partition}:s3:::{bucket}", context)]


# --- Lambda ------------------------------------------------------------------------------------


def _invoke(call: _Call) -> list[AuthorizationRequest]:
    """``lambda:InvokeFunction`` on the function as invoked: a name, partial or full ARN becomes
    the full ARN; a version or alias (in the name or as ``Qualifier``) stays on it, as Lambda
    authorizes a qualified invoke on the version's or alias's ARN."""
    facts = call.facts
    name = str(call.param("FunctionName"))
    if name.startswith("arn:"):
        parts = name.split(":")
        region, account, rest = parts[3], parts[4], parts[6:]
    elif ":function:" in name:  # <account>:function:<name>[:qualifier]
        account, _, tail = name.partition(":function:")
        region, rest = facts.region, tail.split(":")
    else:
        region, account, rest = facts.region, facts.account, name.split(":")
    function, qualifier = rest[0], rest[1] if len(rest) > 1 else None
    qualifier = call.params.get("Qualifier") or qualifier
    arn = f"arn:{facts.partition}:lambda:{region}:{account}:function:{function}"
    return [call.request("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)]


# --- EventBridge -------------------------------------------------------------------------------


def _put_events(call: _Call) -> list[AuthorizationRequest]:
    """``events:PutEvents`` on each entry's bus (a name or an ARN; ``default`` when absent), with
    the entry's ``events:source`` and ``events:detail-type``: one request per distinct bus,
    source and detail type, as each entry must be allowed."""
    facts = call.facts
    seen: dict[tuple[str, str, str], AuthorizationRequest] = {}
    for entry in call.param("Entries"):
        bus = str(entry.get("EventBusName") or "default")
        arn = (
            bus
            if bus.startswith("arn:")
            else f"arn:{facts.partition}:events:{facts.region}:{facts.account}:event-bus/{bus}"
        )
        source, detail_type = str(entry.get("Source")), str(entry.get("DetailType"))
        context = {"events:source": source, "events:detail-type": detail_type}
        seen.setdefault((arn, source, detail_type), call.request("events:PutEvents", arn, context))
    return list(seen.values())


# --- STS ---------------------------------------------------------------------------------------


def _assume_role(call: _Call) -> list[AuthorizationRequest]:
    """``sts:AssumeRole`` on the role, with the session name and the external id as condition
    keys. This is the caller's side only: the role's trust policy must name the caller too, which
    the guard decides against the planned member role (``members.trust_decision``).

    Without ``aws:ResourceAccount``: AWS does not document that key as present in this request's
    context, so a policy may not count on it (the guard gives it to every other request on a
    resource of an account)."""
    context: dict[str, object] = {
        "sts:RoleSessionName": call.params.get("RoleSessionName"),
        "sts:ExternalId": call.params.get("ExternalId"),
        "aws:ResourceAccount": None,
    }
    return [call.request("sts:AssumeRole", str(call.param("RoleArn")), context)]


# --- the rules ---------------------------------------------------------------------------------

_RULES: dict[tuple[str, str], Rule] = {
    ("iam", "CreateAccessKey"): _on_named_user("iam:CreateAccessKey"),
    ("iam", "DeleteAccessKey"): _on_named_user("iam:DeleteAccessKey"),
    ("iam", "UpdateAccessKey"): _on_named_user("iam:UpdateAccessKey"),
    ("iam", "ListAccessKeys"): _on_named_user("iam:ListAccessKeys"),
    ("iam", "GetUser"): _on_named_user("iam:GetUser"),
    ("iam", "ListUserTags"): _on_named_user("iam:ListUserTags"),
    ("iam", "GetAccessKeyLastUsed"): _on_key_owner("iam:GetAccessKeyLastUsed"),
    ("iam", "ListUsers"): _on_nothing("iam:ListUsers"),
    ("iam", "GetAccountAuthorizationDetails"): _on_nothing("iam:GetAccountAuthorizationDetails"),
    ("secretsmanager", "GetSecretValue"): _on_secret(
        "secretsmanager:GetSecretValue", "kms:Decrypt"
    ),
    ("secretsmanager", "PutSecretValue"): _on_secret(
        "secretsmanager:PutSecretValue", "kms:GenerateDataKey"
    ),
    ("secretsmanager", "UpdateSecretVersionStage"): _on_secret(
        "secretsmanager:UpdateSecretVersionStage"
    ),
    ("secretsmanager", "DescribeSecret"): _on_secret("secretsmanager:DescribeSecret"),
    ("secretsmanager", "RestoreSecret"): _on_secret("secretsmanager:RestoreSecret"),
    ("secretsmanager", "DeleteSecret"): _on_secret("secretsmanager:DeleteSecret"),
    ("secretsmanager", "CreateSecret"): _create_secret,
    ("secretsmanager", "TagResource"): _tag_secret,
    ("secretsmanager", "BatchGetSecretValue"): _batch_get_secret_value,
    ("secretsmanager", "ListSecrets"): _on_nothing("secretsmanager:ListSecrets"),
    ("ssm", "GetParameter"): _get_parameter,
    ("ssm", "GetParameters"): _get_parameters,
    ("states", "ListExecutions"): _on_arn("states:ListExecutions", "stateMachineArn", "mapRunArn"),
    ("states", "DescribeExecution"): _on_arn("states:DescribeExecution", "executionArn"),
    ("states", "StartExecution"): _on_arn("states:StartExecution", "stateMachineArn"),
    ("states", "StopExecution"): _on_arn("states:StopExecution", "executionArn"),
    ("states", "GetExecutionHistory"): _on_arn("states:GetExecutionHistory", "executionArn"),
    ("states", "DescribeStateMachine"): _on_arn("states:DescribeStateMachine", "stateMachineArn"),
    ("s3", "GetObject"): _get_object,
    ("s3", "HeadObject"): _get_object,
    ("s3", "PutObject"): _put_object,
    ("s3", "ListObjectsV2"): _list_objects,
    ("s3", "ListObjects"): _list_objects,
    ("lambda", "Invoke"): _invoke,
    ("lambda", "InvokeWithResponseStream"): _invoke,
    ("events", "PutEvents"): _put_events,
    ("sts", "AssumeRole"): _assume_role,
}


def mapped_calls() -> list[tuple[str, str]]:
    """Every (IAM prefix, operation) with a rule, and those AWS does not authorize."""
    return sorted([*_RULES, *_UNAUTHORIZED])


def requests_for(
    service: str, operation: str, params: Mapping[str, Any], facts: AccountFacts
) -> list[AuthorizationRequest]:
    """The requests AWS authorizes before it acts on this call (empty: none needed).

    ``service`` is botocore's service name or the IAM prefix ("stepfunctions" or "states");
    ``params`` the call's API parameters. Raises ``UnmappedCall`` for a call without a rule and
    ``reference.ReferenceMismatch`` for a request that does not fit the Service Authorization
    Reference.
    """
    prefix = iam_prefix(service)
    if (prefix, operation) in _UNAUTHORIZED:
        return []
    rule = _RULES.get((prefix, operation))
    if rule is None:
        raise UnmappedCall(
            f"no authorization rule for {prefix}.{operation}: add one to testkit/authz/requests.py "
            "(which IAM actions, on which resource, with which condition keys) before the engine "
            "may call it"
        )
    requests = rule(_Call(prefix, operation, params, facts))
    for request in requests:
        reference.check(request)
    return requests


def requests_after(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    parsed: Mapping[str, Any],
    facts: AccountFacts,
) -> dict[str, list[AuthorizationRequest]]:
    """Per item of a successful response, what AWS authorizes before it returns that item.

    ``BatchGetSecretValue``: each secret it returns (by name) as ``GetSecretValue`` on the
    secret, with ``kms:Decrypt`` for a customer managed key. Empty for every other call.
    """
    if (iam_prefix(service), operation) != ("secretsmanager", "BatchGetSecretValue"):
        return {}
    per_item: dict[str, list[AuthorizationRequest]] = {}
    rule = _on_secret("secretsmanager:GetSecretValue", "kms:Decrypt")
    for value in parsed.get("SecretValues", []):
        name = str(value.get("Name") or value.get("ARN"))
        call = _Call(
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": value.get("ARN") or name, "VersionStage": "AWSCURRENT"},
            facts,
        )
        requests = [
            AuthorizationRequest(
                r.action,
                r.resource,
                r.context,
                note=r.note or "a secret BatchGetSecretValue returns",
            )
            for r in rule(call)
        ]
        for request in requests:
            reference.check(request)
        per_item[name] = requests
    return per_item
