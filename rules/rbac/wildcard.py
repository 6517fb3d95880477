"""Roles name their verbs, resources and API groups instead of using `*`.

A `*` grants everything that exists today and everything installed tomorrow (new CRDs, new verbs such
as `escalate`), so the role's reach cannot be reviewed. List what the role needs. Aggregated
ClusterRoles (those with `aggregationRule`) are judged through the roles they aggregate. Kubernetes'
own default roles (bootstrap-labelled, `system:*`, `cluster-admin`, `admin`, `edit`, `view`) are not
flagged unless `include_default_roles` is true: the API server reconciles them, and what matters is
who they are bound to (see rbac.cluster-admin-binding). Non-resource rules (`nonResourceURLs`) are
not judged. `*/scale`-style subresource wildcards are not counted as a resource wildcard.

Passes::

    kind: Role
    rules:
      - apiGroups: [apps]
        resources: [deployments]
        verbs: [get, list, watch]

Fails::

    kind: Role
    rules:
      - apiGroups: ["*"]
        resources: [deployments]
        verbs: ["*"]
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
    id="rbac.wildcard",
    domain="rbac",
    title="Role uses a wildcard in verbs, resources or API groups",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Replace `*` with the explicit verbs, resources and API groups the role needs.",
    kinds=ROLE_KINDS,
    controls=("security: strict RBAC",),
    options=Options(),
)

FIELDS = (("apiGroups", "api_groups"), ("resources", "resources"), ("verbs", "verbs"))


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_aggregated(resource):
        return
    if not options.include_default_roles and is_default_role(resource):
        return
    for rule in policy_rules(resource.body):
        wild = [field for field, attr in FIELDS if "*" in getattr(rule, attr)]
        if not wild:
            continue
        first = wild[0]
        items = resource.body["rules"][rule.index].get(first) or []
        position = items.index("*") if "*" in items else None
        pointer = rule.field_pointer(first) + (f"/{position}" if position is not None else "")
        yield Violation(
            f'{resource.kind} {resource.name}: rule {rule.index} uses "*" in {_and(wild)}',
            pointer,
        )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
