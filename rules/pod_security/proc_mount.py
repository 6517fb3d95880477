"""Containers keep the default /proc mask (Pod Security Standards, baseline).

`securityContext.procMount: Unmasked` exposes the node's /proc paths the runtime normally masks
(kernel keys, sysrq triggers, timer lists): information leaks and a step towards escape. Leave
`procMount` unset or `Default`.

Passes::

    securityContext:
      procMount: Default

Fails::

    securityContext:
      procMount: Unmasked
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import field_pointer, own, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.proc-mount",
    domain="pod-security",
    title="Container unmasks /proc (procMount other than Default)",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove securityContext.procMount or set it to Default.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: /proc Mount Type)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for container in view.containers:
        value = own(container, "procMount")
        if value is not None and value != "Default":
            yield Violation(
                f"{container.label} sets securityContext.procMount: {value}; only Default is allowed",
                field_pointer(container, "procMount"),
            )
