"""The IAM policy evaluator (testkit/authz/policy.py): pure, no AWS needed.

Each rule is the IAM User Guide's: evaluation order, Action/Resource matching, and the condition
operators with their handling of missing keys, multiple keys and multiple values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from testkit.authz.policy import (
    AuthorizationRequest,
    Context,
    Outcome,
    Policy,
    PolicyError,
    PolicySet,
    evaluate,
)

USER = "arn:aws:iam::123456789012:user/homer"


def allow(action: Any = "iam:CreateAccessKey", resource: Any = USER, **extra: Any) -> Any:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def request(
    action: str = "iam:CreateAccessKey", resource: str = USER, **context: Any
) -> AuthorizationRequest:
    return AuthorizationRequest(action, resource, context)


def outcome(policy: Any, req: AuthorizationRequest) -> Outcome:
    return evaluate([policy], req).outcome


def with_condition(condition: dict[str, Any]) -> Any:
    return allow(Condition=condition)


def ctx(**values: Any) -> dict[str, Any]:
    """Context keys with ':' and '/' given as double and single underscores."""
    return {k.replace("__", ":").replace("_SLASH_", "/"): v for k, v in values.items()}


def decide(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    return evaluate(
        [with_condition(condition)], AuthorizationRequest("iam:CreateAccessKey", USER, context)
    ).allowed


# --- evaluation order ------------------------------------------------------------------------


def test_given_an_allow_statement_when_the_request_matches_then_it_is_allowed() -> None:
    decision = evaluate([allow()], request())
    assert decision.outcome is Outcome.ALLOW
    assert decision.allowed
    assert decision.statement is not None and decision.statement.effect == "Allow"
    assert "allows iam:CreateAccessKey" in decision.reason


def test_given_no_statement_for_the_action_when_evaluated_then_it_is_implicitly_denied() -> None:
    decision = evaluate([allow()], request("iam:DeleteAccessKey"))
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.statement is None and decision.matched == ()
    assert decision.reason == "no statement allows iam:DeleteAccessKey"


def test_given_no_policies_when_evaluated_then_it_is_implicitly_denied() -> None:
    assert evaluate([], request()).outcome is Outcome.IMPLICIT_DENY


def test_given_an_allow_and_a_matching_deny_when_evaluated_then_the_deny_wins() -> None:
    deny = {"Statement": {"Sid": "NoKeys", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}}
    decision = evaluate([allow(), Policy("guardrail", deny)], request())
    assert decision.outcome is Outcome.EXPLICIT_DENY
    assert decision.statement is not None and decision.statement.label == "guardrail/NoKeys"
    assert "explicitly denies" in decision.reason


def test_given_a_deny_whose_condition_fails_when_evaluated_then_the_allow_applies() -> None:
    deny = {
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    }
    req = request(**ctx(aws__SecureTransport=True))
    assert evaluate([deny, allow()], req).outcome is Outcome.ALLOW


def test_given_a_deny_on_another_resource_when_evaluated_then_it_does_not_apply() -> None:
    deny = {"Statement": {"Effect": "Deny", "Action": "*", "Resource": USER + "x"}}
    assert evaluate([deny, allow()], request()).outcome is Outcome.ALLOW


def test_given_two_allowing_statements_when_evaluated_then_both_are_matched() -> None:
    twice = {"Statement": [allow()["Statement"][0], allow("iam:*")["Statement"][0]]}
    decision = evaluate([twice], request())
    assert [s.index for s in decision.matched] == [0, 1]


# --- actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "iam:CreateAccessKey",
        "IAM:createaccesskey",
        "iam:Create*",
        "iam:?reateAccessKey",
        "*",
        ["s3:GetObject", "iam:CreateAccessKey"],
    ],
)
def test_given_an_action_pattern_when_it_covers_the_action_then_it_allows(pattern: Any) -> None:
    assert outcome(allow(pattern), request()) is Outcome.ALLOW


@pytest.mark.parametrize("pattern", ["iam:Create", "iam:CreateAccessKeys", "s3:*", "iam:?"])
def test_given_an_action_pattern_when_it_misses_the_action_then_it_denies(pattern: str) -> None:
    assert outcome(allow(pattern), request()) is Outcome.IMPLICIT_DENY


def test_given_not_action_when_evaluated_then_only_other_actions_are_covered() -> None:
    policy = {"Statement": {"Effect": "Allow", "NotAction": "iam:Delete*", "Resource": "*"}}
    assert outcome(policy, request("iam:CreateAccessKey")) is Outcome.ALLOW
    assert outcome(policy, request("iam:DeleteAccessKey")) is Outcome.IMPLICIT_DENY


# --- resources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        USER,
        [USER + "2", USER],
        "arn:aws:iam::123456789012:user/*",
        "arn:aws:iam::*:user/homer",
        "arn:aws:iam::123456789012:user/hom?r",
        "*",
    ],
)
def test_given_a_resource_pattern_when_it_covers_the_arn_then_it_allows(pattern: Any) -> None:
    assert outcome(allow(resource=pattern), request()) is Outcome.ALLOW


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:iam::123456789012:user/Homer",
        "arn:aws:iam::123456789012:user/ci/*",
        "arn:aws:iam::123456789012:user/hom?",
        "arn:aws:iam::123456789012:user/homer2",
    ],
)
def test_given_a_resource_pattern_when_it_misses_the_arn_then_it_denies(pattern: str) -> None:
    decision = evaluate([allow(resource=pattern)], request())
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert f"does not cover resource {USER}" in decision.reason


def test_given_a_trailing_star_when_matching_then_it_crosses_slashes_and_colons() -> None:
    pattern = "arn:aws:states:us-east-1:123456789012:execution:ci-keys/*:*"
    child = "arn:aws:states:us-east-1:123456789012:execution:ci-keys/Map:a1b2"
    assert (
        outcome(
            allow("states:DescribeExecution", pattern), request("states:DescribeExecution", child)
        )
        is Outcome.ALLOW
    )
    path = "arn:aws:iam::123456789012:user/ci/deep/homer"
    assert outcome(
        allow(resource="arn:aws:iam::123456789012:user/ci/*"), request(resource=path)
    ) is (Outcome.ALLOW)


def test_given_a_request_on_star_when_the_statement_names_an_arn_then_it_does_not_cover() -> None:
    assert outcome(allow("iam:ListUsers", USER), request("iam:ListUsers", "*")) is (
        Outcome.IMPLICIT_DENY
    )
    assert outcome(allow("iam:ListUsers", "*"), request("iam:ListUsers", "*")) is Outcome.ALLOW


def test_given_not_resource_when_evaluated_then_only_other_resources_are_covered() -> None:
    policy = {"Statement": {"Effect": "Allow", "Action": "iam:*", "NotResource": USER}}
    assert outcome(policy, request()) is Outcome.IMPLICIT_DENY
    assert outcome(policy, request(resource=USER + "2")) is Outcome.ALLOW
    assert outcome(policy, request("iam:ListUsers", "*")) is Outcome.ALLOW


# --- conditions: string operators --------------------------------------------------------------


def test_given_string_equals_when_the_value_matches_exactly_then_the_condition_holds() -> None:
    condition = {"StringEquals": {"iam:ResourceTag/rotate": "yes"}}
    assert decide(condition, {"iam:ResourceTag/rotate": "yes"})
    assert not decide(condition, {"iam:ResourceTag/rotate": "Yes"})  # values keep their case
    assert not decide(condition, {"iam:ResourceTag/rotate": "y*"})


def test_given_string_equals_when_the_key_is_missing_then_the_condition_fails() -> None:
    decision = evaluate(
        [with_condition({"StringEquals": {"iam:ResourceTag/rotate": "yes"}})], request()
    )
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert "absent from the request" in decision.reason


def test_given_several_values_when_one_matches_then_the_condition_holds() -> None:
    condition = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}
    assert decide(condition, {"aws:RequestedRegion": "us-east-1"})
    assert not decide(condition, {"aws:RequestedRegion": "us-west-2"})


def test_given_string_not_equals_when_evaluated_then_its_values_are_nored() -> None:
    condition = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}
    assert not decide(condition, {"aws:RequestedRegion": "us-east-1"})
    assert decide(condition, {"aws:RequestedRegion": "us-west-2"})


def test_given_a_negated_operator_when_the_key_is_missing_then_the_condition_holds() -> None:
    assert decide({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, {})
    assert decide({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, {})


def test_given_string_equals_ignore_case_when_only_case_differs_then_it_holds() -> None:
    assert decide(
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Platform"}},
        {"aws:PrincipalTag/team": "pLATFORM"},
    )
    assert not decide(
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "Platform"}},
        {"aws:PrincipalTag/team": "platform"},
    )


def test_given_string_like_when_evaluated_then_star_and_question_mark_are_wildcards() -> None:
    condition = {"StringLike": {"s3:prefix": ["runs/*", "item?.json"]}}
    assert decide(condition, {"s3:prefix": "runs/abc/"})
    assert decide(condition, {"s3:prefix": "item1.json"})
    assert not decide(condition, {"s3:prefix": "Runs/abc"})
    assert not decide({"StringNotLike": {"s3:prefix": "runs/*"}}, {"s3:prefix": "runs/x"})
    assert decide({"StringNotLike": {"s3:prefix": "runs/*"}}, {"s3:prefix": "other/x"})


def test_given_condition_key_names_when_their_case_differs_then_they_still_match() -> None:
    condition = {"StringEquals": {"IAM:resourcetag/Rotate": "yes"}}
    assert decide(condition, {"iam:ResourceTag/rotate": "yes"})


# --- conditions: ARN, Bool, Null, numbers -------------------------------------------------------


def test_given_arn_like_when_evaluated_then_each_arn_part_is_matched_on_its_own() -> None:
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:states:*:123456789012:stateMachine:ci-*"}}
    assert decide(
        condition, {"aws:SourceArn": "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys"}
    )
    assert not decide(
        condition, {"aws:SourceArn": "arn:aws:states:us-east-1:999999999999:stateMachine:ci-keys"}
    )
    assert not decide(condition, {"aws:SourceArn": "not-an-arn"})
    # a wildcard in one part never reaches into the next (a glob over the whole ARN would)
    assert not decide(
        {"ArnLike": {"aws:SourceArn": "arn:aws:states:us-*:stateMachine:x"}},
        {"aws:SourceArn": "arn:aws:states:us-east-1:1:stateMachine:x"},
    )


def test_given_arn_equals_when_evaluated_then_it_compares_like_arn_like() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ci-keys-plan"
    assert decide({"ArnEquals": {"aws:SourceArn": arn}}, {"aws:SourceArn": arn})
    assert decide({"ArnEquals": {"aws:SourceArn": arn[:-4] + "*"}}, {"aws:SourceArn": arn})
    assert not decide({"ArnNotEquals": {"aws:SourceArn": arn}}, {"aws:SourceArn": arn})
    assert decide({"ArnNotLike": {"aws:SourceArn": arn}}, {"aws:SourceArn": arn + "x"})


def test_given_bool_when_evaluated_then_true_and_false_compare_without_case() -> None:
    assert decide({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True})
    assert decide({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"})
    assert not decide({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True})
    assert not decide({"Bool": {"aws:SecureTransport": "true"}}, {})


@pytest.mark.parametrize(
    ("wanted", "context", "holds"),
    [
        ("true", {}, True),
        ("true", {"iam:ResourceTag/rotate": "x"}, False),
        ("false", {"iam:ResourceTag/rotate": "x"}, True),
        ("false", {}, False),
        (["true", "false"], {}, True),
        ("false", {"aws:TagKeys": []}, False),
    ],
)
def test_given_null_when_evaluated_then_it_tests_whether_the_key_is_absent(
    wanted: Any, context: dict[str, Any], holds: bool
) -> None:
    key = "aws:TagKeys" if "aws:TagKeys" in context else "iam:ResourceTag/rotate"
    assert decide({"Null": {key: wanted}}, context) is holds


@pytest.mark.parametrize(
    ("operator", "wanted", "holds"),
    [
        ("NumericEquals", "5", True),
        ("NumericNotEquals", "5", False),
        ("NumericLessThan", "6", True),
        ("NumericLessThanEquals", "5", True),
        ("NumericGreaterThan", "5", False),
        ("NumericGreaterThanEquals", 5, True),
        ("NumericEquals", "five", False),
    ],
)
def test_given_a_numeric_operator_when_evaluated_then_it_compares_numbers(
    operator: str, wanted: Any, holds: bool
) -> None:
    assert decide({operator: {"s3:max-keys": wanted}}, {"s3:max-keys": 5}) is holds


# --- conditions: IfExists, several keys and operators, sets -------------------------------------


def test_given_if_exists_when_the_key_is_missing_then_the_condition_holds() -> None:
    condition = {"StringEqualsIfExists": {"iam:ResourceTag/rotate": "yes"}}
    assert decide(condition, {})
    assert decide(condition, {"iam:ResourceTag/rotate": "yes"})
    assert not decide(condition, {"iam:ResourceTag/rotate": "no"})


def test_given_several_keys_under_one_operator_when_evaluated_then_all_must_hold() -> None:
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1", "s3:ResourceAccount": "1"}}
    assert decide(condition, {"aws:RequestedRegion": "us-east-1", "s3:ResourceAccount": "1"})
    assert not decide(condition, {"aws:RequestedRegion": "us-east-1", "s3:ResourceAccount": "2"})


def test_given_several_operators_when_evaluated_then_all_must_hold() -> None:
    condition = {
        "StringEquals": {"s3:ResourceAccount": "1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    assert decide(condition, {"s3:ResourceAccount": "1", "aws:SecureTransport": True})
    assert not decide(condition, {"s3:ResourceAccount": "1", "aws:SecureTransport": False})


def test_given_for_any_value_when_one_request_value_matches_then_it_holds() -> None:
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "owner"]}}
    assert decide(condition, {"aws:TagKeys": ["cost", "team"]})
    assert not decide(condition, {"aws:TagKeys": ["cost"]})
    assert not decide(condition, {})  # a missing key: false
    assert not decide(condition, {"aws:TagKeys": []})
    assert decide(condition, {"aws:TagKeys": "team"})  # a single value is a set of one


def test_given_for_all_values_when_every_request_value_matches_then_it_holds() -> None:
    condition = {"ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost-*"]}}
    assert decide(condition, {"aws:TagKeys": ["team", "cost-centre"]})
    assert not decide(condition, {"aws:TagKeys": ["team", "owner"]})
    assert decide(condition, {})  # a missing key: true
    assert decide(condition, {"aws:TagKeys": []})


def test_given_a_set_operator_with_a_negated_operator_when_evaluated_then_each_value_is_nored() -> (
    None
):
    condition = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "admin"]}}
    assert decide(condition, {"aws:TagKeys": ["team", "cost"]})
    assert not decide(condition, {"aws:TagKeys": ["team", "admin"]})
    assert decide(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "admin"}},
        {"aws:TagKeys": ["admin", "team"]},
    )


def test_given_a_multivalued_key_without_a_set_operator_when_evaluated_then_it_refuses() -> None:
    with pytest.raises(PolicyError, match="ForAnyValue: or ForAllValues:"):
        decide({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team"]})


# --- what the evaluator refuses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Action": "iam:*", "Resource": "*"}, "Effect must be Allow or Deny"),
        ({"Effect": "Allow", "Resource": "*"}, "exactly one of Action and NotAction"),
        (
            {"Effect": "Allow", "Action": "x", "NotAction": "y", "Resource": "*"},
            "exactly one of Action",
        ),
        ({"Effect": "Allow", "Action": "iam:*"}, "exactly one of Resource and NotResource"),
        ({"Effect": "Allow", "Action": "CreateAccessKey", "Resource": "*"}, "no service prefix"),
        ({"Effect": "Allow", "Action": 3, "Resource": "*"}, "string or a list of strings"),
        ({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}, "principal"),
        (
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}"},
            "policy variables",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            },
            "not modelled",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "${aws:username}"}},
            },
            "policy variables",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}},
            },
            "unknown set operator",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"NullIfExists": {"aws:TagKeys": "true"}},
            },
            "not a valid operator",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Null": {"aws:TagKeys": "maybe"}},
            },
            "Null takes true or false",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:TagKeys": []}},
            },
            "at least one value",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:TagKeys": [{"a": 1}]}},
            },
            "string, number or bool",
        ),
        (
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": []},
            "must be an object",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {}},
            },
            "must map condition keys",
        ),
    ],
)
def test_given_a_malformed_or_unmodelled_statement_when_parsed_then_it_is_refused(
    statement: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        PolicySet([{"Version": "2012-10-17", "Statement": [statement]}])


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"Version": "2012-10-17"}, "has no Statement"),
        ({"Statement": "x"}, "object or a list"),
        ({"Statement": ["x"]}, "is not an object"),
        ("{not json", "is not JSON"),
        (42, "is not a policy document"),
    ],
)
def test_given_a_malformed_policy_when_parsed_then_it_is_refused(policy: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        PolicySet([policy])


def test_given_variables_in_a_2008_policy_when_parsed_then_they_are_literal() -> None:
    policy = {
        "Version": "2008-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${x}",
        },
    }
    assert outcome(policy, request("s3:GetObject", "arn:aws:s3:::b/${x}")) is Outcome.ALLOW


# --- policies and requests as values --------------------------------------------------------------


def test_given_a_policy_as_json_text_when_evaluated_then_it_is_read() -> None:
    decision = evaluate([json.dumps(allow())], request())
    assert decision.allowed
    assert decision.statement is not None and decision.statement.label == "policy 0/statement 0"


def test_given_a_parsed_policy_set_when_evaluated_again_then_it_is_reused() -> None:
    policies = PolicySet([Policy("rotate", allow())])
    assert PolicySet.of(policies) is policies
    assert evaluate(policies, request()).allowed


def test_given_request_contexts_when_compared_then_key_case_is_ignored_and_none_is_absent() -> None:
    first = Context({"IAM:ResourceTag/Rotate": "yes", "absent": None, "n": 3})
    second = Context({"iam:resourcetag/rotate": "yes", "N": "3"})
    assert first == second and hash(first) == hash(second)
    assert "absent" not in first and len(first) == 2
    assert first["iam:resourcetag/rotate"] == "yes"
    assert set(first) == {"IAM:ResourceTag/Rotate", "n"}
    assert first.merged({"x": ["a", True]})["x"] == ("a", "true")
    assert "Context(" in repr(first)
    assert first != {"n": "3"}
    with pytest.raises(PolicyError, match="a string, a bool or a list"):
        Context({"x": object()})


def test_given_requests_when_compared_then_notes_are_ignored() -> None:
    first = AuthorizationRequest("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "x"}, note="a")
    second = AuthorizationRequest("s3:ListBucket", "arn:aws:s3:::b", {"S3:Prefix": "x"}, note="b")
    assert first == second and len({first, second}) == 1
    assert first.with_context({"s3:delimiter": "/"}).context["s3:delimiter"] == "/"
    assert first.describe() == "s3:ListBucket on arn:aws:s3:::b"
    with pytest.raises(PolicyError, match="<service>:<name>"):
        AuthorizationRequest("ListBucket", "*")
