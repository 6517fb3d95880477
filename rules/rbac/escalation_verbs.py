"""Roles do not grant `escalate`, `bind` or `impersonate`.

These verbs bypass RBAC's own guard rails: `escalate` lets the holder write roles with permissions it
does not have, `bind` lets it bind any role (cluster-admin included) to anyone, and `impersonate` lets
it act as another user, group or service account. Flagged: `escalate`/`bind` (or `*`) on roles or
clusterroles in `rbac.authorization.k8s.io` (or `*`), and `impersonate` on users, groups, service
accounts, uids or userextras, or wherever the verb is named explicitly. Kubernetes' default roles
(`admin` and `edit` may impersonate service accounts) are not flagged; see rbac.wildcard.

Passes::

    kind: ClusterRole
    rules:
      - apiGroups: [rbac.authorization.k8s.io]
        resources: [roles, rolebindings]
        verbs: [get, list, watch]

Fails::

    kind: ClusterRole
    rules:
      - apiGroups: [rbac.authorization.k8s.io]
        resources: [clusterroles]
        verbs: [escalate, bind]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import RBAC_GROUP, ROLE_KINDS, is_aggregated, is_default_role, policy_rules
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    include_default_roles: bool = False


RULE = RuleMeta(
    id="rbac.escalation-verbs",
    domain="rbac",
    title="Role grants escalate, bind or impersonate",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Remove escalate, bind and impersonate (and `*` verbs on RBAC resources); RBAC changes "
    "should go through reviewed manifests, not a running identity.",
    kinds=ROLE_KINDS,
    controls=("security: strict RBAC",),
    options=Options(),
)

ROLE_RESOURCES = ("roles", "clusterroles")
IMPERSONATE_TARGETS = (
    (("",), ("users", "groups", "serviceaccounts")),
    (("authentication.k8s.io",), ("uids", "userextras/*", "userextras")),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_aggregated(resource):
        return
    if not options.include_default_roles and is_default_role(resource):
        return
    for rule in policy_rules(resource.body):
        found: list[str] = []
        granted = rule.grants((RBAC_GROUP,), ROLE_RESOURCES, ("escalate", "bind"))
        if granted:
            on = [r for r in ROLE_RESOURCES if rule.matches_resource(r)]
            found.append(f"{', '.join(granted)} on {', '.join(on)}")
        impersonate = "impersonate" in rule.verbs or any(
            rule.grants(groups, targets, ("impersonate",)) for groups, targets in IMPERSONATE_TARGETS
        )
        if impersonate:
            found.append("impersonate")
        if found:
            yield Violation(
                f"{resource.kind} {resource.name}: rule {rule.index} grants {'; '.join(found)}",
                rule.field_pointer("verbs"),
            )
