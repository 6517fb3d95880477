"""AWS IAM policies name the actions they allow instead of `*`, `iam:*` or a service wildcard on every resource.

An Allow statement with Action `*` (or `*:*`) makes whoever holds the policy an administrator;
`iam:*` lets them create users, attach policies and so make themselves one; `Allow` with `NotAction`
grants every action except a few, including the ones AWS adds tomorrow. A wildcarded action that
writes (`s3:*`, `rds:*`, `ec2:Delete*`) on Resource `*` reaches every bucket or database in the
account, including `erp-prod` and its backups. Read-only wildcards (`s3:Get*`, `ec2:Describe*`) and
single named actions on `*` are not flagged: many AWS actions (`logs:CreateLogGroup`,
`cloudwatch:PutMetricData`) take no resource-level permissions and only accept `*`.

Judged: `policy` of `aws_iam_policy`, `aws_iam_role_policy`, `aws_iam_user_policy` and
`aws_iam_group_policy`, and each inline policy of `aws_iam_role`. `aws_iam_policy_document` data
sources are not judged themselves: the policy that embeds the rendered JSON is. A policy that is not
valid JSON, or known only after apply, is not evaluated (never a pass). A role whose plan leaves
`inline_policy` wholly unknown writes no inline policy (the provider computes the block; its
`aws_iam_role_policy` resources are judged instead).

Passes::

    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::erp-backups/*"}

Fails::

    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_iam import (
    POLICY_KINDS,
    Statement,
    allow_statements,
    is_full_wildcard,
    is_write_wildcard,
    label,
)
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="rbac.iam-wildcard",
    domain="rbac",
    title="IAM policy allows `*`, `iam:*` or a write wildcard on every resource",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="In the policy JSON, replace `*` / `iam:*` / `NotAction` in Allow statements with the actions the "
    "principal needs (`s3:GetObject`, `s3:PutObject`), and replace Resource `*` with the ARNs they act on "
    "(`arn:aws:s3:::erp-backups/*`). Use AWS managed job-function policies or IAM Access Analyzer's generated "
    "policy as a starting point.",
    kinds=(*POLICY_KINDS, "aws_iam_role"),
    platforms=CLOUD,
    controls=("security: least privilege (IAM)",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    for at, statement in allow_statements(resource):
        if statement is None:
            yield NotEvaluated(f"{at[1:]} is not a JSON policy document")
            continue
        problem = _problem(statement)
        if problem:
            yield Violation(f"{at[1:]}: {label(statement)} {problem}", at)


def _problem(statement: Statement) -> str | None:
    if statement.not_actions:
        return f"allows every action except {', '.join(statement.not_actions)} (Allow with NotAction)"
    full = [a for a in statement.actions if is_full_wildcard(a)]
    if full:
        return f'allows every action ("{full[0]}")'
    iam = [a for a in statement.actions if a.strip().lower() == "iam:*"]
    if iam:
        return f'allows every IAM action ("{iam[0]}"): whoever holds it can make themselves administrator'
    if statement.every_resource:
        writes = [a for a in statement.actions if is_write_wildcard(a)]
        if writes:
            return f'allows {", ".join(writes)} on every resource (Resource "*")'
    return None
