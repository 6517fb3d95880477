"""Autoscalers set maxReplicas, within the tier's cost cap outside production.

An autoscaler without a ceiling (a KEDA ScaledObject without `maxReplicaCount` scales to 100) turns
a traffic spike, a retry storm or a stuck queue into an unbounded bill, and in a shared
non-production cluster into everyone else's outage. Production must state its ceiling (defined
autoscaling, sized against database connections); non-production tiers must also stay under a cost
cap (option `max_replicas_by_tier`, default staging 10, qa 5, development 3, sandbox 3; add a
`production` entry to cap production too).

Passes (qa)::

    kind: HorizontalPodAutoscaler
    spec:
      minReplicas: 1
      maxReplicas: 3

Fails (qa)::

    kind: HorizontalPodAutoscaler
    spec:
      maxReplicas: 20
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    max_replicas_by_tier: Mapping[str, int] = field(
        default_factory=lambda: {"staging": 10, "qa": 5, "development": 3, "sandbox": 3}
    )


RULE = RuleMeta(
    id="quotas.hpa-cap",
    domain="quotas",
    title="Autoscaler has no maxReplicas or exceeds the tier's cost cap",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="warn", sandbox="warn"),
    remediation="Set maxReplicas (KEDA: maxReplicaCount) to a ceiling within the tier's cap.",
    kinds=("HorizontalPodAutoscaler", "ScaledObject"),
    controls=("scaling: defined autoscaling", "scaling: quota-based scaling with cost caps"),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.kind == "ScaledObject" and not resource.group.startswith("keda.sh"):
        return
    field_name = "maxReplicaCount" if resource.kind == "ScaledObject" else "maxReplicas"
    spec = resource.body.get("spec")
    value = dig(resource.body, ("spec", field_name))
    if not isinstance(value, int) or isinstance(value, bool):
        where = f"/spec/{field_name}" if isinstance(spec, dict) and field_name in spec else "/spec"
        said = "is not a number" if value is not None else "is not set"
        if resource.kind == "ScaledObject" and value is None:
            said = "is not set (KEDA defaults it to 100)"
        yield Violation(f"{resource.kind} {resource.name}: {field_name} {said}", where)
        return
    tier = ctx.tier_of(resource)
    caps = options.max_replicas_by_tier if isinstance(options.max_replicas_by_tier, Mapping) else {}
    cap = caps.get(tier.value)
    if isinstance(cap, int) and not isinstance(cap, bool) and value > cap:
        yield Violation(
            f"{resource.kind} {resource.name}: {field_name} is {value}, above the {tier.value} cap of {cap}",
            f"/spec/{field_name}",
        )
