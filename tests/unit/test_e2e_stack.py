"""The end-to-end stack adopts a user that LocalStack made although its answer was lost.

The text is what `terraform apply` printed when the provider resent a `CreateUser` to
LocalStack: the first attempt had made the user, so the second was refused.
"""

from testkit.stack import own_resources_made_twice

APPLY_OUTPUT = """
Error: creating IAM User (e2e-gi-87f750-publisher): operation error IAM: CreateUser, \
https response error StatusCode: 409, RequestID: 538be80c, \
EntityAlreadyExists: User e2e-gi-87f750-publisher already exists

  with aws_iam_user.demo["publisher"],
  on main.tf line 15, in resource "aws_iam_user" "demo":
  15: resource "aws_iam_user" "demo" {

Error: creating IAM Role (someone-elses-role): operation error IAM: CreateRole, \
https response error StatusCode: 409, \
EntityAlreadyExists: Role with name someone-elses-role already exists.

  with aws_iam_role.other,
  on main.tf line 40, in resource "aws_iam_role" "other":
"""


def test_given_a_create_refused_for_the_stacks_own_user_then_that_user_is_adopted() -> None:
    assert own_resources_made_twice(APPLY_OUTPUT, "e2e-gi-87f750") == [
        ('aws_iam_user.demo["publisher"]', "e2e-gi-87f750-publisher")
    ]


def test_given_a_name_of_another_stack_then_nothing_is_adopted() -> None:
    assert own_resources_made_twice(APPLY_OUTPUT, "e2e-gi-000000") == []


def test_given_another_error_then_nothing_is_adopted() -> None:
    output = "Error: creating IAM User (e2e-gi-87f750-x): AccessDenied\n\n  with aws_iam_user.x,"
    assert own_resources_made_twice(output, "e2e-gi-87f750") == []
