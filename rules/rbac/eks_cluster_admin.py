"""EKS cluster-admin access (AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy on the cluster, system:masters) goes only to break-glass roles.

EKS access entries map IAM principals into the cluster. AmazonEKSClusterAdminPolicy is
`cluster-admin`; AmazonEKSAdminPolicy scoped to the whole cluster is `admin` in every namespace,
Odoo's and its database credentials included; an access entry in the `system:masters` group
bypasses RBAC entirely. Day-to-day access uses namespace-scoped policies (AmazonEKSEditPolicy on
`erp-qa`) or Kubernetes RBAC groups; cluster-wide admin is reserved for break-glass roles that need
MFA and page someone when used. Principals matching `allowed_principals` (globs on the ARN,
case-insensitive) pass.

Judged: `aws_eks_access_policy_association` (policy and `access_scope`) and `aws_eks_access_entry`
(`kubernetes_groups`). A principal or policy known only after apply is not evaluated.

Passes::

    resource "aws_eks_access_policy_association" "erp_qa_devs" {
      policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
      principal_arn = aws_iam_role.erp_developers.arn
      access_scope { type = "namespace"  namespaces = ["erp-qa"] }
    }

Fails (production)::

    resource "aws_eks_access_policy_association" "ops" {
      policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
      principal_arn = "arn:aws:iam::123456789012:role/ops"
      access_scope { type = "cluster" }
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")


@dataclass(frozen=True)
class Options:
    allowed_principals: tuple[str, ...] = ("*:role/*break-glass*", "*:role/*breakglass*", "*:role/*break_glass*")
    """IAM principal ARNs (globs, case-insensitive) that may hold cluster-wide admin."""


RULE = RuleMeta(
    id="rbac.eks-cluster-admin",
    domain="rbac",
    title="EKS access entry grants cluster-wide admin to a principal that is not break-glass",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Associate a namespace-scoped policy instead (policy_arn = "
    '`arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy`, access_scope { type = "namespace", '
    'namespaces = ["erp-qa"] }), drop `system:masters` from kubernetes_groups, and keep cluster admin for a '
    "break-glass role listed in `allowed_principals`.",
    kinds=("aws_eks_access_policy_association", "aws_eks_access_entry"),
    platforms=CLOUD,
    controls=("security: strict RBAC", "security: least privilege (IAM)"),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind == "aws_eks_access_entry":
        groups = get(resource, "kubernetes_groups")
        masters = isinstance(groups, list) and "system:masters" in groups
        if masters and not _allowed(resource, options):
            at = f"/kubernetes_groups/{groups.index('system:masters')}"
            yield Violation(f"{_principal(resource)} is put in system:masters (bypasses RBAC)", at)
        return
    policy = get(resource, "policy_arn")
    name = policy.rsplit("/", 1)[-1] if isinstance(policy, str) else ""
    if name not in ADMIN_POLICIES:
        return
    path: tuple[str | int, ...] = ("access_scope", "type")
    if isinstance(get(resource, "access_scope"), list):
        path = ("access_scope", 0, "type")
    scope_type = get(resource, *path)
    if str(scope_type or "").lower() != "cluster" or _allowed(resource, options):
        return
    yield Violation(f"{_principal(resource)} gets {name} on the whole cluster", "/policy_arn")


def _allowed(resource: Resource, options: Options) -> bool:
    principal = get(resource, "principal_arn")
    text = str(principal or "").lower()
    return any(fnmatchcase(text, p.lower()) for p in options.allowed_principals)


def _principal(resource: Resource) -> str:
    principal = get(resource, "principal_arn")
    return f"principal {principal}" if principal else "the principal"
