"""Production web tiers roll out with RollingUpdate, not the `Recreate` strategy.

`strategy.type: Recreate` stops every old pod before starting any new one, so each Odoo release is a
full outage of the site. Checked on Deployments selected by a Service in their namespace (a web tier:
Ingresses and IngressRoutes reach pods through Services); metrics-only Services (every port named like
`metrics`, or a Service named `*-metrics`) do not make a web tier.

Skipped: Deployments that mount a ReadWriteOnce (or ReadWriteOncePod) PersistentVolumeClaim. There
Recreate is needed, because the new pod cannot attach the volume while the old one holds it (move the
data to ReadWriteMany storage or object storage to drop Recreate). A claim that is not in the scan
leaves the rule not evaluated, as its access mode is unknown.

Passes (production)::

    kind: Deployment
    spec:
      strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}

Fails (production)::

    kind: Deployment
    spec:
      strategy: {type: Recreate}    # and a Service selects its pods
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from govscan.rules._lib.ha import access_modes, pvc_claims, selecting_services
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

METRICS_PORT = re.compile(r"metric|prometheus|monitoring", re.IGNORECASE)
SINGLE_WRITER = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})

RULE = RuleMeta(
    id="ha.no-recreate",
    domain="ha",
    title="Production web tier uses the Recreate rollout strategy",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Use strategy.type: RollingUpdate (e.g. maxUnavailable: 0, maxSurge: 1); if the pod needs a "
        "ReadWriteOnce volume, move that data to ReadWriteMany or object storage first."
    ),
    kinds=("Deployment",),
    controls=("availability: multi-instance application layer",),
    needs=("PersistentVolumeClaim", "Service"),
)


def serves_traffic(service: Resource) -> bool:
    """False for metrics-only Services (every port named like metrics, or the Service named *-metrics)."""
    if service.name.endswith("-metrics"):
        return False
    ports = dig(service.body, ("spec", "ports"))
    if not isinstance(ports, list) or not ports:
        return True
    names = [str(p.get("name") or "") if isinstance(p, dict) else "" for p in ports]
    return not all(METRICS_PORT.search(n) for n in names)


def check(resource: Resource, ctx: Context, options: None) -> Iterator[Violation | NotEvaluated]:
    if dig(resource.body, ("spec", "strategy", "type")) != "Recreate":
        return
    services = [s for s in selecting_services(resource, ctx) if serves_traffic(s)]
    if not services:
        return  # not a web tier (workers, cron runners)
    unknown = []
    for _, claim in pvc_claims(resource, ctx):
        pvcs = [p for p in ctx.of_kind("PersistentVolumeClaim", namespace=resource.namespace) if p.name == claim]
        if not pvcs:
            unknown.append(claim)
        elif any(SINGLE_WRITER & set(access_modes(p)) for p in pvcs):
            return  # Recreate is required with a single-writer volume
    if unknown:
        yield NotEvaluated(f"mounts PersistentVolumeClaim {unknown[0]}, which is not in the scan (access mode unknown)")
        return
    yield Violation(
        f"Deployment {resource.name} is a web tier (Service {services[0].name} selects it) but uses the Recreate "
        "strategy: every rollout stops all pods before new ones start",
        "/spec/strategy/type",
    )
