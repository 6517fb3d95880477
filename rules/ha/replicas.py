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

from govscan.rules._lib.workloads import REPLICATED_KINDS, dig, replicas
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


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
)


def hpa_min_replicas(resource: Resource, ctx: Context) -> tuple[Resource, int] | None:
    """The HorizontalPodAutoscaler scaling this workload and its minReplicas (default 1)."""
    for hpa in ctx.of_kind("HorizontalPodAutoscaler", namespace=resource.namespace):
        target = dig(hpa.body, ("spec", "scaleTargetRef"))
        if isinstance(target, dict) and target.get("kind") == resource.kind and target.get("name") == resource.name:
            value = dig(hpa.body, ("spec", "minReplicas"))
            return hpa, value if isinstance(value, int) else 1
    return None


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    tier = ctx.tier_of(resource)
    minimum = int(options.min_replicas.get(tier.value, 1))
    scaled = hpa_min_replicas(resource, ctx)
    if scaled is not None:
        hpa, count = scaled
        if count < minimum:
            yield Violation(
                f"HorizontalPodAutoscaler {hpa.name} keeps only {count} replica(s) of {resource.kind} "
                f"{resource.name}; {tier.value} needs at least {minimum}",
                "/spec/replicas" if "replicas" in (resource.body.get("spec") or {}) else "/spec",
            )
        return
    declared = replicas(resource)
    if declared is not None and declared < minimum:
        where = (
            "/spec/replicas"
            if isinstance(resource.body.get("spec"), dict) and "replicas" in resource.body["spec"]
            else "/spec"
        )
        said = "replicas is unset (defaults to 1)" if where == "/spec" else f"replicas is {declared}"
        yield Violation(f"{resource.kind} {resource.name}: {said}; {tier.value} needs at least {minimum}", where)
