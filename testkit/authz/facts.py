"""What an authorization request needs to know about the account that the call itself does not say.

A call names a user, AWS authorizes it on the user's ARN, which carries the user's IAM path; a call
names a secret, AWS authorizes it on the secret's full ARN, which ends in six random characters;
``s3:ResourceAccount`` is the account that owns the bucket. ``AccountFacts`` is what
``requests`` asks; ``MotoFacts`` answers from moto's in-process backends (inside ``mock_aws``).

A call signed with a role's temporary credentials acts in the role's account, as the role: the
guard asks ``assumed_role`` whose credentials an access key is, and decides the call with the facts
of that account (``for_account``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol


@dataclass(frozen=True)
class UserFacts:
    name: str  # as IAM spells it
    path: str
    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AssumedRoleFacts:
    """The role session an access key of temporary credentials belongs to."""

    account: str  # the role's account
    role_arn: str
    session_name: str

    @property
    def session_arn(self) -> str:
        partition = self.role_arn.split(":")[1]
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:{partition}:sts::{self.account}:assumed-role/{role_name}/{self.session_name}"


@dataclass(frozen=True)
class SecretFacts:
    name: str
    arn: str  # the full ARN, random suffix included
    kms_key_id: str | None  # as given at creation (ARN, id or alias); None: aws/secretsmanager
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BucketFacts:
    name: str
    account: str  # the owner
    sse_algorithm: str | None  # default encryption: "AES256", "aws:kms" or None
    kms_key_id: str | None  # default encryption's KMSMasterKeyID


@dataclass(frozen=True)
class ObjectFacts:
    bucket: str
    key: str
    sse_algorithm: str | None
    kms_key_id: str | None


class AccountFacts(Protocol):
    """The emulated account, as far as authorization needs it."""

    @property
    def partition(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def region(self) -> str: ...

    def user(self, name: str) -> UserFacts | None: ...

    def access_key_owner(self, access_key_id: str) -> str | None: ...

    def assumed_role(self, access_key_id: str) -> AssumedRoleFacts | None:
        """The role session whose temporary credentials ``access_key_id`` is; None for any other
        key (an IAM user's, or credentials the emulator does not know)."""
        ...

    def for_account(self, account: str) -> AccountFacts:
        """The same facts, of another account (a member account a role acts in)."""
        ...

    def secret(self, secret_id: str) -> SecretFacts | None: ...

    def bucket(self, name: str) -> BucketFacts | None: ...

    def s3_object(self, bucket: str, key: str) -> ObjectFacts | None: ...

    def kms_key_arn(self, key_id: str) -> str | None:
        """The key's ARN; None for an AWS managed key (its key policy, not IAM, allows its use
        through the service) or an alias that names no key."""
        ...


def _tags(items: object) -> dict[str, str]:
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    if isinstance(items, list):
        return {str(item["Key"]): str(item.get("Value", "")) for item in items}
    return {}


@dataclass(frozen=True)
class MotoFacts:
    """Facts read from moto's backends at the moment of each call (use inside ``mock_aws``)."""

    account: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"

    # --- IAM ---------------------------------------------------------------------------------

    def _iam(self) -> Any:
        from moto.iam.models import iam_backends  # noqa: PLC0415  (moto is imported when used)

        return iam_backends[self.account]["global"]

    def user(self, name: str) -> UserFacts | None:
        backend = self._iam()
        found = backend.users.get(name)
        if found is None:  # IAM user names are unique without case, and resolve that way
            lowered = name.lower()
            found = next(
                (u for u in list(backend.users.values()) if u.name.lower() == lowered), None
            )
        if found is None:
            return None
        arn = f"arn:{self.partition}:iam::{self.account}:user{found.path}{found.name}"
        tags = _tags(backend.tagger.list_tags_for_resource(found.arn)["Tags"])
        return UserFacts(found.name, found.path, arn, tags)

    def access_key_owner(self, access_key_id: str) -> str | None:
        for found in list(self._iam().users.values()):
            if any(key.access_key_id == access_key_id for key in list(found.access_keys)):
                return str(found.name)
        return None

    def assumed_role(self, access_key_id: str) -> AssumedRoleFacts | None:
        """From moto's STS backend of the account that holds the key (moto records an assumed
        role's temporary key in the IAM backend of the role's account, with the role's ARN)."""
        from moto.iam.models import get_account_id_from  # noqa: PLC0415
        from moto.sts.models import sts_backends  # noqa: PLC0415

        account = get_account_id_from(access_key_id)
        session = sts_backends[account][self.partition].get_assumed_role_from_access_key(
            access_key_id
        )
        if session is None:
            return None
        return AssumedRoleFacts(str(account), str(session.role_arn), str(session.session_name))

    def for_account(self, account: str) -> MotoFacts:
        return replace(self, account=account)

    # --- Secrets Manager -----------------------------------------------------------------------

    def secret(self, secret_id: str) -> SecretFacts | None:
        from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415

        store = secretsmanager_backends[self.account][self.region].secrets
        try:
            found = store.get(secret_id)
        except KeyError:
            found = None
        if found is None:
            return None
        return SecretFacts(
            name=found.name,
            arn=found.arn,
            kms_key_id=getattr(found, "kms_key_id", None),
            tags=_tags(getattr(found, "tags", None)),
        )

    # --- S3 ----------------------------------------------------------------------------------

    @staticmethod
    def _s3_bucket(name: str) -> Any:
        from moto.s3.models import s3_backends  # noqa: PLC0415

        owner = s3_backends.bucket_accounts.get(name)
        if owner is None:
            return None
        partition, account = owner  # moto keys S3 backends by account, then partition
        return s3_backends[account][partition].buckets.get(name)

    def bucket(self, name: str) -> BucketFacts | None:
        found = self._s3_bucket(name)
        if found is None:
            return None
        rule = ((found.encryption or {}).get("Rule") or {}).get(
            "ApplyServerSideEncryptionByDefault"
        ) or {}
        return BucketFacts(
            name=name,
            account=str(found.account_id),
            sse_algorithm=rule.get("SSEAlgorithm"),
            kms_key_id=rule.get("KMSMasterKeyID"),
        )

    def s3_object(self, bucket: str, key: str) -> ObjectFacts | None:
        found_bucket = self._s3_bucket(bucket)
        if found_bucket is None or key not in found_bucket.keys:
            return None
        found = found_bucket.keys[key]
        return ObjectFacts(
            bucket=bucket,
            key=key,
            sse_algorithm=getattr(found, "encryption", None),
            kms_key_id=getattr(found, "kms_key_id", None),
        )

    # --- KMS ---------------------------------------------------------------------------------

    def kms_key_arn(self, key_id: str) -> str | None:
        alias = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
        if alias.startswith("alias/aws/"):
            return None  # an AWS managed key
        if key_id.startswith("arn:") and ":key/" in key_id:
            return key_id
        from moto.kms.models import kms_backends  # noqa: PLC0415

        backend = kms_backends[self.account][self.region]
        if alias.startswith("alias/"):
            resolved = backend.get_key_id_from_alias(alias)
            if resolved is None:
                return None
            alias = resolved
        found = backend.keys.get(alias)
        if found is not None:
            return str(found.arn)
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{alias}"
