"""No container runs privileged (Pod Security Standards, baseline).

A privileged container has every capability and every host device: it is root on the node, and one
compromised Odoo worker becomes a compromised cluster. Remove `securityContext.privileged: true`
(or set it to false); grant the one capability the workload really needs instead. Node agents that
genuinely need it (CSI drivers, CNI) belong in a waived, separately owned namespace.

Passes::

    containers:
      - name: odoo
        securityContext:
          privileged: false

Fails::

    containers:
      - name: odoo
        securityContext:
          privileged: true
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
    id="pod-security.privileged",
    domain="pod-security",
    title="Container runs privileged",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove securityContext.privileged: true (or set it to false) and add only the capability needed.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Privileged Containers)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for container in view.containers:
        if own(container, "privileged") is True:
            yield Violation(
                f"{container.label} runs privileged (securityContext.privileged: true)",
                field_pointer(container, "privileged"),
            )
