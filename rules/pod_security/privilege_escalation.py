"""Every container sets `allowPrivilegeEscalation: false` (Pod Security Standards, restricted).

Without it a process can gain more privileges than its parent (setuid binaries such as `su` or
`sudo`, file capabilities), so a compromised web worker can climb to root inside the container.
The field defaults to true and exists only on containers (a pod-level value is ignored by
Kubernetes), so set it on each container, init containers included. Windows pods are exempt.

Passes::

    containers:
      - name: odoo
        securityContext:
          allowPrivilegeEscalation: false

Fails::

    containers:
      - name: odoo
        securityContext:
          runAsNonRoot: true
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import boolean_field_violations
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.privilege-escalation",
    domain="pod-security",
    title="Container allows privilege escalation",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Set securityContext.allowPrivilegeEscalation: false on every container.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards restricted: Privilege Escalation)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    yield from boolean_field_violations(resource, ctx, "allowPrivilegeEscalation", wanted=False)
