"""Every container has a memory limit (directly or from a LimitRange default).

Memory is not compressible: a container without a limit that leaks grows until the node runs out,
and the kernel's OOM killer or the kubelet's eviction then takes down its neighbours, possibly the
Odoo workers or the PostgreSQL primary on the same node. With a limit only the leaking container
restarts. We do not require CPU limits: CPU is throttled, not killed, and CPU limits mostly add
latency (CFS throttling) to bursty workloads such as Odoo workers; requests are enough.

Passes (production)::

    resources:
      requests: {cpu: 500m, memory: 1Gi}
      limits: {memory: 2Gi}

Fails (production)::

    resources:
      requests: {cpu: 500m, memory: 1Gi}
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.workloads import WORKLOADS, containers
from govscan.rules.quotas._resources import declared, limit_range_defaults, resources_pointer
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="quotas.memory-limit",
    domain="quotas",
    title="Container has no memory limit",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Set resources.limits.memory on the container (or a LimitRange default.memory in the namespace).",
    kinds=(WORKLOADS,),
    controls=("scaling: defined autoscaling and database capacity",),
    needs=("LimitRange",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    _, defaults = limit_range_defaults(resource, ctx)
    if "memory" in defaults:
        return
    for container in containers(resource, ctx):
        if container.ephemeral or declared(container, "limits", "memory"):
            continue
        yield Violation(f"{container.label} has no memory limit", resources_pointer(container, "limits"))
