"""No long-lived IAM user access keys: workloads and CI assume roles (instance profiles, IRSA, OIDC) instead.

An `aws_iam_access_key` is a secret that never expires: it ends up in CI variables, `.env` files
and laptops, its secret lands in the Terraform state, and nobody rotates it. EC2 instance profiles,
EKS IRSA / Pod Identity and GitHub Actions / GitLab OIDC federation give short-lived credentials
with no secret to leak. Where AWS still requires a user key (SES SMTP credentials for Odoo's
outgoing mail server), list that user in `allowed_users` (glob patterns) or waive the finding with an
owner and an expiry. A key with `status = "Inactive"` passes; a status known only after apply is
judged as the provider default, Active.

Passes::

    resource "aws_iam_role" "odoo_worker" {
      assume_role_policy = data.aws_iam_policy_document.irsa.json
    }

Fails (production)::

    resource "aws_iam_access_key" "ci" {
      user = aws_iam_user.github_ci.name
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    allowed_users: tuple[str, ...] = ()
    """IAM user names (globs) that may hold keys because AWS requires one (`ses-smtp-*`)."""


RULE = RuleMeta(
    id="rbac.iam-user-access-key",
    domain="rbac",
    title="Long-lived IAM user access key",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="info"),
    remediation="Remove the aws_iam_access_key and give the workload a role: an instance profile, EKS IRSA / Pod "
    "Identity, or an OIDC trust (`token.actions.githubusercontent.com`) for CI. Where AWS requires a user key "
    "(SES SMTP), list the user in `allowed_users` and rotate the key on a schedule.",
    kinds=("aws_iam_access_key",),
    platforms=CLOUD,
    controls=("security: no long-lived credentials", "CIS AWS 1.14"),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    status_unknown = resource.change is not None and resource.change.is_unknown("/status")
    if not status_unknown and str(get(resource, "status") or "Active").lower() == "inactive":
        return
    unknown_user = resource.change is not None and resource.change.is_unknown("/user")
    # the name decides only when some users are allowed keys; otherwise it is for the message
    user = None if unknown_user and not options.allowed_users else get(resource, "user")
    if isinstance(user, str) and any(fnmatchcase(user, p) for p in options.allowed_users):
        return
    who = f'user "{user}"' if isinstance(user, str) else "a user known only after apply"
    yield Violation(f"a long-lived access key is created for {who}", "/user" if user is not None else "")
