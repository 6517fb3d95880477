"""Containers drop ALL capabilities and add back at most NET_BIND_SERVICE (PSS, restricted).

The runtime's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW...) is more than an ERP
web worker, a database or a cache needs; dropping ALL removes that attack surface, and
NET_BIND_SERVICE is the one capability the restricted profile lets you add back (to bind a port
below 1024). Set `capabilities: {drop: [ALL]}` on every container, init containers included.
Windows pods are exempt.

Passes::

    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]

Fails::

    securityContext:
      capabilities:
        drop: [NET_RAW]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_list, field_pointer, normalize_capability, own, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.capabilities-restricted",
    domain="pod-security",
    title="Container does not drop ALL capabilities, or adds one other than NET_BIND_SERVICE",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Set securityContext.capabilities.drop: [ALL] and add at most NET_BIND_SERVICE.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards restricted: Capabilities)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None or view.windows:
        return
    for container in view.containers:
        drop = as_list(own(container, "capabilities", "drop"))
        if not any(normalize_capability(c) == "ALL" for c in drop):
            said = "drops " + ", ".join(str(c) for c in drop) if drop else "does not drop capabilities"
            yield Violation(
                f"{container.label} {said}; securityContext.capabilities.drop must include ALL",
                field_pointer(container, "capabilities", "drop"),
            )
        for i, capability in enumerate(as_list(own(container, "capabilities", "add"))):
            if normalize_capability(capability) != "NET_BIND_SERVICE":
                yield Violation(
                    f"{container.label} adds capability {capability}; restricted allows only NET_BIND_SERVICE",
                    f"{container.pointer}/securityContext/capabilities/add/{i}",
                )
