"""A stand-in for GitLab's REST API v4 (GitLab.com or a self-managed instance, under
``/api/v4``): projects, groups and their CI/CD variables, as GitLab documents them.

- Every request needs ``PRIVATE-TOKEN: <token>`` (or ``Authorization: Bearer <token>``);
  without a known token: 401 ``{"message": "401 Unauthorized"}``.
- A project or a group is named by its id or its URL-encoded full path
  (``group%2Fsubgroup%2Fproject``); one the stand-in does not hold is 404
  ``{"message": "404 Project Not Found"}`` (``Group``).
- ``GET|PUT .../variables/<key>`` take ``filter[environment_scope]``; a variable of another scope
  is 404 ``{"message": "404 Variable Not Found"}``. ``POST .../variables`` creates one (400
  ``{"message": {"key": ["(KEY) has already been taken"]}}`` when the key and scope exist).
- A masked value must be one line of at least 8 characters from the Base64 alphabet and
  ``@:.~-_``; otherwise 400 ``{"message": {"value": ["is invalid"]}}``. A variable created with
  ``masked_and_hidden`` never shows its value again (``"value": null``, ``"hidden": true``),
  and an update of it that sends ``masked`` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from testkit.standins.server import Answer, StandIn, StandInRequest

UNAUTHORIZED = Answer(401, {"message": "401 Unauthorized"})
KEY = re.compile(r"[A-Za-z0-9_]{1,255}")
MASKABLE = re.compile(r"[A-Za-z0-9+/=@:.~_-]{8,}")
HIDDEN_VISIBILITY = "The visibility setting cannot be changed for masked and hidden variables."


@dataclass
class Namespace:
    """A project or a group: its id, its full path and its variables by (key, scope)."""

    id: int
    full_path: str
    variables: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def _shown(variable: dict[str, Any]) -> dict[str, Any]:
    return {**variable, "value": None} if variable["hidden"] else dict(variable)


class GitLabStandIn(StandIn):
    def __init__(self) -> None:
        super().__init__("/api/v4")
        self.tokens: set[str] = set()
        self.namespaces: dict[str, dict[str, Namespace]] = {"projects": {}, "groups": {}}
        self.refusals: list[tuple[str, str, Answer]] = []

    def add_project(self, full_path: str) -> Namespace:
        return self._add("projects", full_path)

    def add_group(self, full_path: str) -> Namespace:
        return self._add("groups", full_path)

    def _add(self, kind: str, full_path: str) -> Namespace:
        namespace = Namespace(id=len(self.namespaces[kind]) + 100, full_path=full_path)
        self.namespaces[kind][full_path] = namespace
        return namespace

    def refuse(self, method: str, path_start: str, status: int, message: str) -> None:
        """Answer requests of ``method`` under ``path_start`` (decoded, without ``/api/v4``) with
        a refusal, as GitLab does when a token's role is too low."""
        self.refusals.append((method, path_start, Answer(status, {"message": message})))

    def variable(self, kind: str, full_path: str, key: str, scope: str = "*") -> dict[str, Any]:
        """What a project's or group's variable holds, hidden or not."""
        return self.namespaces[kind][full_path].variables[(key, scope)]

    def route(self, request: StandInRequest) -> Answer:
        token = request.headers.get("private-token") or request.headers.get(
            "authorization", ""
        ).removeprefix("Bearer ")
        if token not in self.tokens:
            return UNAUTHORIZED
        for method, path_start, answer in self.refusals:
            if request.method == method and request.path.startswith(path_start):
                return answer
        kind, name, *rest = request.segments
        namespace = self._find(kind, name)
        if namespace is None:
            noun = "Group" if kind == "groups" else "Project"
            return Answer(404, {"message": f"404 {noun} Not Found"})
        if not rest and request.method == "GET":
            return Answer(200, {"id": namespace.id, "full_path": namespace.full_path})
        if rest == ["variables"] and request.method == "POST":
            return self._create(namespace, request.body or {})
        if len(rest) == 2 and rest[0] == "variables":
            scope = request.query.get("filter[environment_scope]", "*")
            return self._variable(namespace, request, rest[1], scope)
        return Answer(404, {"message": "404 Not Found"})

    def _find(self, kind: str, name: str) -> Namespace | None:
        for namespace in self.namespaces.get(kind, {}).values():
            if name in (str(namespace.id), namespace.full_path):
                return namespace
        return None

    def _create(self, namespace: Namespace, body: dict[str, Any]) -> Answer:
        key, scope = str(body.get("key", "")), str(body.get("environment_scope", "*"))
        hidden = bool(body.get("masked_and_hidden"))
        variable = {
            "variable_type": body.get("variable_type", "env_var"),
            "key": key,
            "value": body.get("value"),
            "protected": bool(body.get("protected", False)),
            "masked": bool(body.get("masked", False)) or hidden,
            "hidden": hidden,
            "raw": bool(body.get("raw", False)),
            "environment_scope": scope,
            "description": body.get("description"),
        }
        if not KEY.fullmatch(key):
            return Answer(400, {"message": {"key": ["is invalid"]}})
        if (key, scope) in namespace.variables:
            return Answer(400, {"message": {"key": [f"({key}) has already been taken"]}})
        if not isinstance(variable["value"], str) or (
            variable["masked"] and not MASKABLE.fullmatch(variable["value"])
        ):
            return Answer(400, {"message": {"value": ["is invalid"]}})
        namespace.variables[(key, scope)] = variable
        return Answer(201, _shown(variable))

    def _variable(
        self, namespace: Namespace, request: StandInRequest, key: str, scope: str
    ) -> Answer:
        variable = namespace.variables.get((key, scope))
        if variable is None:
            return Answer(404, {"message": "404 Variable Not Found"})
        if request.method == "GET":
            return Answer(200, _shown(variable))
        if request.method != "PUT":
            return Answer(404, {"message": "404 Not Found"})
        body = request.body or {}
        if variable["hidden"] and "masked" in body:
            return Answer(400, {"message": HIDDEN_VISIBILITY})
        changes = {
            name: body[name] for name in ("value", "protected", "masked", "raw") if name in body
        }
        updated = {**variable, **changes}
        if updated["masked"] and not MASKABLE.fullmatch(str(updated["value"])):
            return Answer(400, {"message": {"value": ["is invalid"]}})
        variable.update(updated)
        return Answer(200, _shown(variable))
