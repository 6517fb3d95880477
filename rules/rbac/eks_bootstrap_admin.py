"""EKS clusters do not make their creator a hidden cluster admin (`bootstrap_cluster_creator_admin_permissions = false`).

With `access_config { bootstrap_cluster_creator_admin_permissions = true }` the IAM principal that ran
`terraform apply` (a CI role, or someone's SSO session) becomes cluster-admin through an access
entry nobody wrote down, and keeps it after they leave. Set it to false and grant admin through an
explicit `aws_eks_access_policy_association` (see rbac.eks-cluster-admin). A cluster without an
`access_config` block in the plan (older providers) is not judged; one whose access_config is known
only after apply is not evaluated.

Passes::

    access_config {
      authentication_mode                         = "API"
      bootstrap_cluster_creator_admin_permissions = false
    }

Fails (production)::

    access_config {
      authentication_mode                         = "API_AND_CONFIG_MAP"
      bootstrap_cluster_creator_admin_permissions = true
    }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="rbac.eks-bootstrap-admin",
    domain="rbac",
    title="EKS cluster makes its creator cluster admin",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="warn", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Set access_config { bootstrap_cluster_creator_admin_permissions = false } on the aws_eks_cluster "
    "and grant cluster admin through an explicit aws_eks_access_entry + aws_eks_access_policy_association for a "
    "break-glass role.",
    kinds=("aws_eks_cluster",),
    platforms=CLOUD,
    controls=("security: strict RBAC",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    config = get(resource, "access_config")
    path: tuple[str | int, ...] = ("access_config", "bootstrap_cluster_creator_admin_permissions")
    if isinstance(config, list):
        path = ("access_config", 0, "bootstrap_cluster_creator_admin_permissions")
    if config and get(resource, *path) is True:
        yield Violation(
            f"cluster {_display(resource)}: the principal that creates it becomes cluster admin",
            "/" + "/".join(str(p) for p in path),
        )


def _display(cluster: Resource) -> str:
    name = cluster.body.get("name")  # for the message only; absent when known only after apply
    return name if isinstance(name, str) and name else cluster.name
