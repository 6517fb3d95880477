"""Every container declares CPU and memory requests (directly, via its limits, or a LimitRange default).

Requests are what the scheduler packs nodes with and what a ResourceQuota counts. Without them the
pod is BestEffort on that resource: it lands on full nodes, is evicted first under pressure, and an
HPA on CPU utilisation cannot compute a percentage. A namespace with a requests quota rejects such
pods outright. A limit without a request counts (Kubernetes copies the limit into the request), and
so does a LimitRange default in the same namespace.

Passes::

    containers:
      - name: odoo
        resources:
          requests: {cpu: 500m, memory: 1Gi}

Fails::

    containers:
      - name: odoo
        resources:
          requests: {memory: 1Gi}     # no CPU request
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.workloads import WORKLOADS, containers
from govscan.rules.quotas._resources import declared, limit_range_defaults, resources_pointer
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="quotas.requests",
    domain="quotas",
    title="Container has no CPU or memory request",
    severity=Severity.MEDIUM,
    # production: defined capacity; non-production: quota-based scaling needs requests to count
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Set resources.requests.cpu and resources.requests.memory on every container "
    "(or give the namespace a LimitRange with defaultRequest).",
    kinds=(WORKLOADS,),
    controls=("scaling: defined autoscaling and database capacity", "scaling: quota-based scaling"),
    needs=("LimitRange",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    defaults, _ = limit_range_defaults(resource, ctx)
    for container in containers(resource, ctx):
        if container.ephemeral:
            continue  # ephemeral containers cannot declare resources
        missing = [
            name
            for name in ("cpu", "memory")
            if name not in defaults
            and not declared(container, "requests", name)
            and not declared(container, "limits", name)
        ]
        if missing:
            yield Violation(
                f"{container.label} has no {' or '.join(m.upper() if m == 'cpu' else m for m in missing)} request",
                resources_pointer(container, "requests"),
            )
