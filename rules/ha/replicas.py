"""Replicated workloads run enough replicas for their tier (an HPA's minReplicas counts).

A single replica means every node drain, rollout or crash is an outage. Production needs at least
two replicas (the default; set `min_replicas` per tier), counting a HorizontalPodAutoscaler's
`minReplicas` when one targets the workload. Non-production may run one.

Passes (production)::

    kind: Deployment
    spec:
      replicas: 3

Fails (production)::

    kind: Deployment
    spec:
      replicas: 1
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.ha import effective_replicas, hpa_for, replicas_pointer
from govscan.rules._lib.workloads import REPLICATED_KINDS
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    min_replicas: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="ha.replicas",
    domain="ha",
    title="Workload runs too few replicas for its tier",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Set spec.replicas (or the HPA's minReplicas) to at least the tier's minimum, 2 in production.",
    kinds=tuple(sorted(REPLICATED_KINDS)),
    controls=("availability: multi-instance application layer",),
    options=Options(),
    needs=(TIER, "HorizontalPodAutoscaler"),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    tier = ctx.tier_of(resource)
    minimum = int(options.min_replicas.get(tier.value, 1))
    count = effective_replicas(resource, ctx)
    if count is None or count >= minimum:
        return
    where = replicas_pointer(resource)
    hpa = hpa_for(resource, ctx)
    if hpa is not None:
        said = f"HorizontalPodAutoscaler {hpa.name} keeps only {count} replica(s)"
    elif where == "/spec":
        said = "replicas is unset (defaults to 1)"
    else:
        said = f"replicas is {count}"
    yield Violation(f"{resource.kind} {resource.name}: {said}; {tier.value} needs at least {minimum}", where)
