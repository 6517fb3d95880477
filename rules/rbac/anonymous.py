"""Nothing is bound to `system:anonymous` or `system:unauthenticated`.

Those subjects are every request without credentials: anyone who can reach the API server. The only
default exception is Kubernetes' own `system:public-info-viewer` (version and health endpoints);
option `allowed_roles` lists the roles that may be bound to them.

Passes::

    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: system:public-info-viewer}
    subjects: [{kind: Group, name: system:unauthenticated}]

Fails::

    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: view}
    subjects: [{kind: User, name: system:anonymous}]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import BINDING_KINDS, role_ref, subjects
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    allowed_roles: tuple[str, ...] = ("system:public-info-viewer",)


RULE = RuleMeta(
    id="rbac.anonymous",
    domain="rbac",
    title="Binding grants access to anonymous or unauthenticated users",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="block", development="warn", sandbox="warn"),
    remediation="Remove system:anonymous / system:unauthenticated from the binding; bind an authenticated "
    "identity instead.",
    kinds=BINDING_KINDS,
    controls=("security: strict RBAC",),
    options=Options(),
)

ANONYMOUS = ("system:anonymous", "system:unauthenticated")


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    ref = role_ref(resource)
    if ref is not None and ref[0] == "ClusterRole" and ref[1] in options.allowed_roles:
        return
    role = f"{ref[0]} {ref[1]}" if ref else "its role"
    for subject in subjects(resource):
        if subject.name in ANONYMOUS:
            yield Violation(
                f"{resource.kind} {resource.name} grants {role} to {subject.label} (anyone who can reach the API server)",
                subject.pointer,
            )
