"""Containers must run as non-root: `runAsNonRoot: true` and never `runAsUser: 0` (PSS, restricted).

`runAsNonRoot: true`, on the pod securityContext or on every container, makes the kubelet refuse to
start a container whose image would run as UID 0; `runAsUser: 0` anywhere asks for root outright.
Root in a container is one kernel bug away from root on the node. Set `runAsNonRoot: true` on the
pod, with a numeric `runAsUser` when the image starts as root: the Odoo image runs as `odoo` (101),
while the official postgres and redis images start as root and need `runAsUser: 999` (CloudNativePG's
operand images already run as 26). A container-level value overrides the pod's.

Passes::

    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 101

Fails::

    spec:
      securityContext:
        runAsUser: 0
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.podsecurity import field_pointer, inherited_issues, names, own, pod_view, shown
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.run-as-non-root",
    domain="pod-security",
    title="Container may run as root",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Set securityContext.runAsNonRoot: true on the pod (or every container) and never runAsUser: 0.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards restricted: Running as Non-root)",),
    options=Options(),
)


def _is_root(value: Any) -> bool:
    return not isinstance(value, bool) and value in (0, "0")


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for issue in inherited_issues(view, "runAsNonRoot", lambda value: value is True):
        if issue.kind == "missing":
            (container,) = issue.containers
            yield Violation(
                f"{container.label} does not set securityContext.runAsNonRoot: true (nor does the pod)",
                issue.pointer,
            )
        elif issue.kind == "container":
            (container,) = issue.containers
            yield Violation(
                f"{container.label} sets securityContext.runAsNonRoot: {shown(issue.value)}; it must be true",
                issue.pointer,
            )
        else:
            inherited = f" (inherited by {names(list(issue.containers))})" if issue.containers else ""
            yield Violation(
                f"pod securityContext.runAsNonRoot is {shown(issue.value)}{inherited}; it must be true", issue.pointer
            )
    if _is_root(view.security_context.get("runAsUser")):
        yield Violation("pod securityContext.runAsUser is 0 (root)", view.pod_field_pointer("runAsUser"))
    for container in view.containers:
        if _is_root(own(container, "runAsUser")):
            yield Violation(
                f"{container.label} sets securityContext.runAsUser: 0 (root)", field_pointer(container, "runAsUser")
            )
