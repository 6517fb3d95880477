"""Roles do not read Secrets broadly: no `list`/`watch` on secrets, `get` only on named Secrets.

Read access to Secrets is read access to every credential they hold. `list` and `watch` are worse
than `get`: they return every Secret in scope (the whole cluster for a ClusterRole bound by a
ClusterRoleBinding) with their values, and nobody needs to know the names in advance. `get` without
`resourceNames` reads any Secret whose name can be guessed. Grant `get` on the named Secrets the
workload needs (`resourceNames`), or mount them instead. Operators that manage Secrets (External
Secrets, cert-manager, CloudNativePG) legitimately need this: waive them with an owner and expiry,
which is why production only warns. Kubernetes' default roles are not flagged (see rbac.wildcard).

Passes::

    kind: Role
    rules:
      - apiGroups: [""]
        resources: [secrets]
        resourceNames: [odoo-db-credentials]
        verbs: [get]

Fails::

    kind: Role
    rules:
      - apiGroups: [""]
        resources: [secrets]
        verbs: [get, list, watch]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import ROLE_KINDS, is_aggregated, is_default_role, policy_rules
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    include_default_roles: bool = False


RULE = RuleMeta(
    id="rbac.secrets-read",
    domain="rbac",
    title="Role can read Secrets broadly (list/watch, or get without resourceNames)",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="warn", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Drop list/watch on secrets; grant get only with resourceNames naming the Secrets needed, "
    "or mount the Secrets into the pod instead of reading them through the API.",
    kinds=ROLE_KINDS,
    controls=("security: strict RBAC",),
    options=Options(),
)

READ_VERBS = ("get", "list", "watch")


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_aggregated(resource):
        return
    if not options.include_default_roles and is_default_role(resource):
        return
    scope = "cluster-wide when bound by a ClusterRoleBinding" if resource.kind == "ClusterRole" else "in its namespace"
    for rule in policy_rules(resource.body):
        verbs = rule.grants(("",), ("secrets",), READ_VERBS)
        if not verbs:
            continue
        bulk = [v for v in verbs if v in ("list", "watch")]
        via = ' (via "*")' if "*" in rule.verbs or "*" in rule.resources else ""
        if bulk:
            yield Violation(
                f"{resource.kind} {resource.name}: rule {rule.index} grants {', '.join(verbs)} on secrets{via}; "
                f"{' and '.join(bulk)} return every Secret {scope}, values included",
                rule.field_pointer("verbs"),
            )
        elif not rule.resource_names:
            yield Violation(
                f"{resource.kind} {resource.name}: rule {rule.index} grants get on any secret{via} "
                f"(no resourceNames); name the Secrets it needs",
                rule.field_pointer("verbs"),
            )
