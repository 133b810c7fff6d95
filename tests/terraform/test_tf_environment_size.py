"""Lambda's 4 KB of environment, measured as AWS measures it, on real plans.

Lambda refuses a function whose environment passes 4 KB (``InvalidParameterValueException``:
"... exceeded the 4KB limit. String measured: {\\"KEY\\":\\"value\\",...}"): it measures the JSON
of the whole map, key names, quotes and escapes included. ``aws_measure`` is that measure as
LocalStack implements it (``json.dumps`` with compact separators, every character beyond ASCII
escaped, in UTF-8 bytes), the largest of the forms AWS could count. The fixture
(fixtures/environment) is planned with the real AWS provider against moto's server; the
functions' environments come from ``terraform show -json``.

The module must accept exactly the inputs whose environment Lambda accepts: a plan succeeds and
every planned environment measures at most 4,096 bytes, or the plan is refused and says how many
bytes it measured. Each case is an instance of a base (planned first) with more tags or excluded
names and a name of the same length, so its measure is predicted from the base's environment:
exactly 4,096 bytes and 4,097, in ASCII and beyond it; 200 excluded names of 12 characters; and
the inputs the module once took for its largest environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from testkit.terraform import BUILD, Terraform

FIXTURE = Path(__file__).parent / "fixtures" / "environment"
LIMIT = 4096
# Tags that pad the environment to a chosen size, each value up to the 256 characters a tag value
# may hold.
PADS = [f"p{index:02d}" for index in range(16)]
TAG_VALUE_LIMIT = 256
# Characters beyond ASCII and what each adds to the measure: one of the Basic Multilingual Plane
# (\uXXXX), one outside it (a surrogate pair, \uXXXX\uXXXX).
BEYOND_ASCII = (("🔐", 12), ("é", 6))
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"

# The instances the cases are predicted from, all well within the limit: the padding tags empty, a
# plain configuration, and the long inputs of the module's former largest environment (without
# its excluded names).
BASES: dict[str, dict[str, Any]] = {
    "padded": {"name": "env-padded", "tags": {pad: "" for pad in PADS}},
    "plain": {"name": "env-plain"},
    "long": {
        "name": "n" + "x" * 47,
        "kms_key_arn": KMS_KEY,
        "max_key_age_days": 1000,
        "event_bus_name": f"arn:aws:events:us-east-1:123456789012:event-bus/{'b' * 200}",
        "member_external_id": "x" * 39,
    },
}


def aws_measure(variables: Mapping[str, str]) -> int:
    """The size Lambda gives an environment: its compact JSON, every character beyond ASCII
    escaped (\\uXXXX), in bytes."""
    return len(json.dumps(dict(variables), separators=(",", ":")).encode())


def padding(size: int, *, beyond_ascii: bool = False) -> dict[str, str]:
    """The padding tags, their values adding ``size`` bytes to the measure: ASCII characters (a
    byte each), or first some characters beyond ASCII and ASCII for the rest."""
    characters: list[str] = []
    left = size
    for character, cost in BEYOND_ASCII if beyond_ascii else ():
        count = min(left // cost, 20)
        characters += [character] * count
        left -= count * cost
    characters += ["x"] * left
    values = {pad: "" for pad in PADS}
    for index, character in enumerate(characters):
        values[PADS[index % len(PADS)]] += character
    assert all(len(value) <= TAG_VALUE_LIMIT for value in values.values())
    return values


def with_inputs(environment: Mapping[str, str], inputs: Mapping[str, Any]) -> dict[str, str]:
    """``environment`` with its settings document grown by these inputs: the tags its
    secret_tags, the excluded names the module's own account's exclude_users, written as the
    module writes the document (Terraform's jsonencode: keys sorted, compact, characters beyond
    ASCII as they are; the padding holds none of <, > and &, which it escapes)."""
    settings = json.loads(environment["SETTINGS"])
    if "tags" in inputs:
        settings["secret_tags"] = dict(inputs["tags"])
    if "exclude_users" in inputs:
        own = settings["state_machine_arn"].split(":")[4]
        settings["accounts"][own]["exclude_users"] = sorted(inputs["exclude_users"])
    document = json.dumps(settings, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return {**environment, "SETTINGS": document}


def same_length(name: str, tag: str) -> str:
    """A name of ``name``'s length (and kind) ending in ``tag``: the module's resource names, and
    so its environment's size, stay those of ``name``."""
    return name[: len(name) - len(tag)] + tag


def plan(
    terraform: Terraform, endpoint: str, instances: Mapping[str, Mapping[str, Any]], label: str
) -> tuple[dict[str, Any] | None, str]:
    """The fixture planned with these instances: (the plan, "") or, refused, (None, its output)."""
    terraform.init(FIXTURE)
    return terraform.plan_json(
        FIXTURE, {"instances": instances}, endpoint, BUILD / f"environment-{label}"
    )


def environments(planned: Mapping[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """Instance -> function -> its planned environment variables."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for change in planned["resource_changes"]:
        if change["type"] != "aws_lambda_function" or change["mode"] != "managed":
            continue
        instance = re.fullmatch(r'module\.rotator\["([^"]+)"\]', change["module_address"])
        assert instance is not None, change["module_address"]
        (environment,) = change["change"]["after"]["environment"]
        found.setdefault(instance.group(1), {})[change["index"]] = environment["variables"]
    return found


@pytest.fixture(scope="module")
def bases(terraform: Terraform, moto_endpoint: str) -> dict[str, dict[str, str]]:
    """Each base's planned environment (every function gets the same)."""
    planned, refusal = plan(terraform, moto_endpoint, BASES, "bases")
    assert planned is not None, refusal
    found = {}
    for instance, by_function in environments(planned).items():
        (environment,) = {
            json.dumps(variables, sort_keys=True) for variables in by_function.values()
        }
        found[instance] = json.loads(environment)
    assert set(found) == set(BASES)
    return found


@pytest.fixture(scope="module")
def cases(bases: dict[str, dict[str, str]]) -> dict[str, tuple[dict[str, Any], int]]:
    """Case -> (the instance's inputs, the measure AWS gives its environment)."""
    room = LIMIT - aws_measure(bases["padded"])
    at_limit_beyond = padding(room, beyond_ascii=True)
    over_beyond = {**at_limit_beyond, PADS[-1]: at_limit_beyond[PADS[-1]].replace("x", "é", 1)}
    grown = {
        "at-limit": ("padded", {"tags": padding(room)}),
        "at-limit-beyond-ascii": ("padded", {"tags": at_limit_beyond}),
        "over": ("padded", {"tags": padding(room + 1)}),
        "over-beyond-ascii": ("padded", {"tags": over_beyond}),
        "names-200x12": ("plain", {"exclude_users": [f"user-{n:07d}" for n in range(200)]}),
        "former-largest": ("long", {"exclude_users": [f"{n:02d}{'e' * 62}" for n in range(41)]}),
    }
    found = {}
    for index, (case, (base, inputs)) in enumerate(grown.items()):
        environment = with_inputs(bases[base], inputs)
        name = same_length(BASES[base]["name"], f"c{index}")
        found[case] = ({**BASES[base], **inputs, "name": name}, aws_measure(environment))
    return found


def test_the_module_plans_environments_lambda_accepts(bases: dict[str, dict[str, str]]) -> None:
    """GIVEN the bases WHEN planned THEN each function's environment measures at most 4 KB."""
    for instance, environment in bases.items():
        assert aws_measure(environment) <= LIMIT, instance


def test_an_environment_of_exactly_4_kb_is_planned(
    terraform: Terraform, moto_endpoint: str, cases: dict[str, tuple[dict[str, Any], int]]
) -> None:
    """GIVEN inputs whose environment measures exactly 4,096 bytes, in ASCII and with characters
    beyond it WHEN planned THEN the plan succeeds, and every planned environment measures
    4,096 bytes as AWS counts them."""
    accepted = {case: cases[case] for case in ("at-limit", "at-limit-beyond-ascii")}
    assert {case: measure for case, (_, measure) in accepted.items()} == dict.fromkeys(
        accepted, LIMIT
    )
    planned, refusal = plan(
        terraform, moto_endpoint, {case: inputs for case, (inputs, _) in accepted.items()}, "limit"
    )
    assert planned is not None, refusal
    measured = {
        case: {aws_measure(variables) for variables in by_function.values()}
        for case, by_function in environments(planned).items()
    }
    assert measured == {case: {LIMIT} for case in accepted}


def test_an_environment_past_4_kb_is_refused_at_plan_with_its_measure(
    terraform: Terraform, moto_endpoint: str, cases: dict[str, tuple[dict[str, Any], int]]
) -> None:
    """GIVEN inputs every validation accepts whose environment Lambda would refuse: one byte
    over, in ASCII and beyond it (a character that counts 6 bytes), 200 excluded names of 12
    characters, the module's former largest environment WHEN planned THEN the plan is refused at
    each function of each, saying how many bytes Lambda would measure and which parts of the
    settings document are the largest."""
    refused = {
        case: cases[case]
        for case in ("over", "over-beyond-ascii", "names-200x12", "former-largest")
    }
    assert all(measure > LIMIT for _, measure in refused.values()), refused
    planned, refusal = plan(
        terraform, moto_endpoint, {case: inputs for case, (inputs, _) in refused.items()}, "over"
    )
    assert planned is None, "the plan must be refused"
    text = " ".join(refusal.split())
    for case, (inputs, measure) in refused.items():
        for suffix in ("plan", "read-records", "rotate", "roll-back", "record-outcomes", "finish"):
            expected = (
                f"The environment variables of {inputs['name']}-{suffix} measure {measure} bytes "
                "as Lambda counts them"
            )
            assert expected in text, f"{case}: {expected!r} not in the refusal:\n{refusal[-3000:]}"
    assert "The largest parts of the document: exclude_users (" in text
