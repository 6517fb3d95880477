"""IAM users get no administrator policy directly: neither AdministratorAccess nor a `*` on `*` policy.

An IAM user is a long-lived identity with a password and access keys; one holding administrator
rights is the credential attackers look for, and it bypasses the role, session and MFA controls
that federated or role-based access gives (CIS AWS 1.16: attach policies to groups or roles, not
users). Administrators assume a role (IAM Identity Center permission set, break-glass role with MFA).

Judged: `aws_iam_user_policy_attachment`, `aws_iam_policy_attachment` with `users`, and
`aws_iam_user_policy` (inline). An attachment fails when its `policy_arn` is one of `admin_policy_arns`
(default AdministratorAccess), or is an `aws_iam_policy` of the same plan whose document allows
Action `*` on Resource `*`. A policy ARN known only after apply that refers to no policy of the plan
is not evaluated.

Passes::

    resource "aws_iam_user_policy_attachment" "ci" {
      user       = aws_iam_user.ci.name
      policy_arn = aws_iam_policy.erp_backups_read.arn
    }

Fails::

    resource "aws_iam_user_policy_attachment" "admin" {
      user       = aws_iam_user.jdoe.name
      policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.rules._lib.cloud_iam import (
    ADMINISTRATOR_ACCESS,
    allow_statements,
    attached_policies,
    grants_everything,
    label,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Action, NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    admin_policy_arns: tuple[str, ...] = (ADMINISTRATOR_ACCESS,)
    """Managed policies that make their holder an administrator (the partition is ignored)."""


RULE = RuleMeta(
    id="rbac.iam-admin-user",
    domain="rbac",
    title="Administrator policy attached directly to an IAM user",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove the aws_iam_user_policy_attachment / aws_iam_policy_attachment `users` entry / "
    "aws_iam_user_policy that grants AdministratorAccess or `*` on `*`; give administrators an IAM role to "
    "assume (an IAM Identity Center permission set, or a break-glass role that requires MFA).",
    kinds=("aws_iam_user_policy_attachment", "aws_iam_policy_attachment", "aws_iam_user_policy"),
    platforms=CLOUD,
    controls=("security: least privilege (IAM)", "CIS AWS 1.16"),
    options=Options(),
    needs=("aws_iam_policy",),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind == "aws_iam_user_policy":
        user = _user(resource)
        for at, statement in allow_statements(resource):
            if statement is None:
                yield NotEvaluated(f"{at[1:]} is not a JSON policy document")
            elif grants_everything(statement):
                yield Violation(f'inline policy of user "{user}": {label(statement)} allows "*" on "*"', at)
        return
    users = _users(resource)
    if not users:
        return
    who = ", ".join(f'"{u}"' for u in users)
    referenced = attached_policies(ctx, resource)
    if referenced:
        for policy in referenced:
            for at, statement in allow_statements(policy):
                if statement is None:
                    yield NotEvaluated(f"{at[1:]} of policy {policy.name} is not a JSON policy document")
                elif grants_everything(statement):
                    yield Violation(
                        f'policy {_display(policy)} attached to user {who} allows "*" on "*" ({label(statement)})',
                        "/policy_arn",
                    )
                    break
        return
    arn = get(resource, "policy_arn")
    if isinstance(arn, str) and _normal(arn) in {_normal(a) for a in options.admin_policy_arns}:
        yield Violation(f"{arn.rsplit('/', 1)[-1]} is attached directly to user {who}", "/policy_arn")


def _users(resource: Resource) -> list[str]:
    if resource.kind == "aws_iam_user_policy_attachment":
        return [_user(resource)]
    users = get(resource, "users")
    return [str(u) for u in users] if isinstance(users, list) else []


def _user(resource: Resource) -> str:
    """The user's name, for the message only (the policy decides): never a reason to stop."""
    if resource.change is not None and resource.change.is_unknown("/user"):
        return "(known after apply)"
    return str(get(resource, "user") or "?")


def _display(policy: Resource) -> str:
    name = policy.body.get("name")  # for the message only; absent when known only after apply
    return name if isinstance(name, str) and name else policy.name


def _normal(arn: str) -> str:
    """`arn:aws-us-gov:iam::aws:policy/X` -> `arn:*:iam::aws:policy/x`."""
    parts = arn.strip().lower().split(":", 2)
    return ":".join([parts[0], "*", parts[2]]) if len(parts) == 3 else arn.strip().lower()
