"""AWS IAM policies allow `iam:PassRole` only on named roles, never on every role.

`iam:PassRole` lets a principal hand a role to a service: start an EC2 instance, a Lambda function or
an ECS task that runs as that role. Allowed on Resource `*` (or on `arn:aws:iam::<account>:role/*`),
it lets whoever holds the policy run code as any role in the account, the administrator role
included: a classic privilege escalation. `iam:*`, `iam:Pass*` and `*` grant it too, and so does an
Allow with `NotAction` that does not exclude it. Name the roles the principal may pass, and add an
`iam:PassedToService` condition.

Judged: `policy` of `aws_iam_policy`, `aws_iam_role_policy`, `aws_iam_user_policy`,
`aws_iam_group_policy`, and each inline policy of `aws_iam_role` (as in rbac.iam-wildcard). A policy
that is not valid JSON, or known only after apply, is not evaluated.

Passes::

    {"Effect": "Allow", "Action": "iam:PassRole",
     "Resource": "arn:aws:iam::123456789012:role/odoo-worker"}

Fails::

    {"Effect": "Allow", "Action": ["ecs:RunTask", "iam:PassRole"], "Resource": "*"}
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_iam import POLICY_KINDS, Statement, action_matches, allow_statements, label
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="rbac.iam-passrole",
    domain="rbac",
    title="IAM policy allows iam:PassRole on every role",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="In the statement that allows `iam:PassRole` (or `iam:*` / `*`), set Resource to the ARNs of the "
    "roles the principal may pass (`arn:aws:iam::123456789012:role/odoo-worker`) and add a Condition "
    '`{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}`.',
    kinds=(*POLICY_KINDS, "aws_iam_role"),
    platforms=CLOUD,
    controls=("security: least privilege (IAM)", "security: privilege escalation"),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    for at, statement in allow_statements(resource):
        if statement is None:
            yield NotEvaluated(f"{at[1:]} is not a JSON policy document")
        elif statement.grants("iam:PassRole") and _every_role(statement):
            how = _how(statement)
            yield Violation(f"{at[1:]}: {label(statement)} allows iam:PassRole{how} on every role", at)


def _every_role(statement: Statement) -> bool:
    if statement.not_resources:
        return True
    for arn in statement.resources:
        text = arn.strip()
        if text == "*" or text.endswith(":role/*") or text.endswith(":*") or text == "arn:aws:iam::*:*":
            return True
    return False


def _how(statement: Statement) -> str:
    if statement.not_actions:
        return " (Allow with NotAction)"
    granting = next((a for a in statement.actions if action_matches(a, "iam:PassRole")), "")
    return "" if granting.strip().lower() == "iam:passrole" else f' (through "{granting}")'
