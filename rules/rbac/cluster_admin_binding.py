"""Bindings grant cluster-admin (or an equivalent all-wildcard role) only to break-glass subjects.

cluster-admin can do anything to anything, including reading every Secret and granting itself more.
A ClusterRoleBinding or RoleBinding to the `cluster-admin` ClusterRole, or to a role in the scan that
grants every verb on every resource in every API group, must name only break-glass subjects (option
`break_glass_subjects`: `name`, `Kind:name` or `ServiceAccount:namespace/name`, globs allowed).
Kubernetes' `system:` subjects (such as the `system:masters` group) are allowed unless
`allow_system_subjects` is false. Give people and controllers narrowly scoped roles instead.

Passes::

    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: cluster-admin}
    subjects: [{kind: Group, name: system:masters}]

Fails::

    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: cluster-admin}
    subjects: [{kind: User, name: alice@example.com}]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import BINDING_KINDS, referenced_role, role_ref, subjects, superuser_rule
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    break_glass_subjects: tuple[str, ...] = ()
    allow_system_subjects: bool = True


RULE = RuleMeta(
    id="rbac.cluster-admin-binding",
    domain="rbac",
    title="Binding grants cluster-admin outside the break-glass list",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Bind a narrowly scoped Role instead, or add the subject to the rule's break_glass_subjects "
    "option if it is an audited emergency identity.",
    kinds=BINDING_KINDS,
    controls=("security: strict RBAC", "security: audited access"),
    options=Options(),
    needs=("ClusterRole", "Role"),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    ref = role_ref(resource)
    if ref is None:
        return
    kind, name = ref
    if kind == "ClusterRole" and name == "cluster-admin":
        what = "the cluster-admin ClusterRole"
    else:
        role = referenced_role(resource, ctx)
        rule = superuser_rule(role) if role is not None else None
        if rule is None:
            return
        what = f'{kind} "{name}" (equivalent to cluster-admin: rule {rule.index} grants every verb on every resource)'
    scope = f" in namespace {resource.namespace}" if resource.kind == "RoleBinding" and resource.namespace else ""
    for subject in subjects(resource):
        if options.allow_system_subjects and subject.is_system:
            continue
        if subject.matches_any(options.break_glass_subjects):
            continue
        yield Violation(
            f"{resource.kind} {resource.name} grants {what}{scope} to {subject.label}, which is not a break-glass subject",
            subject.pointer,
        )
