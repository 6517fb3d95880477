"""Replicated workloads spread their pods over zones or nodes (topology spread or pod anti-affinity).

Replicas that the scheduler packs onto one node or into one zone fail together: a node reboot or a
zone outage takes the whole Odoo web tier down even with three replicas. Production workloads with at
least two replicas (an HPA's `minReplicas` counts) need a `topologySpreadConstraints` entry or a pod
anti-affinity term (required or preferred) on one of the `topology_keys` (default
`topology.kubernetes.io/zone` and `kubernetes.io/hostname`), whose label selector selects the
workload's own pods (a selector that matches other pods spreads nothing).

Passes (production)::

    spec:
      replicas: 3
      template:
        metadata: {labels: {app: odoo}}
        spec:
          topologySpreadConstraints:
            - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
               labelSelector: {matchLabels: {app: odoo}}}

Fails (production)::

    spec:
      replicas: 3
      template:
        spec:
          containers: [{name: odoo, image: odoo:17.0}]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.ha import effective_replicas
from govscan.rules._lib.workloads import REPLICATED_KINDS, dig, label_selector_matches, pod_spec, template_labels
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    topology_keys: tuple[str, ...] = ("topology.kubernetes.io/zone", "kubernetes.io/hostname")


RULE = RuleMeta(
    id="ha.zone-spread",
    domain="ha",
    title="Replicated workload does not spread its pods over zones or nodes",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Add a topologySpreadConstraints entry (topologyKey topology.kubernetes.io/zone or kubernetes.io/hostname, "
        "labelSelector matching the pod labels) or a podAntiAffinity term on one of those keys."
    ),
    kinds=tuple(sorted(REPLICATED_KINDS)),
    controls=("availability: zone-aware",),
    options=Options(),
    needs=("HorizontalPodAutoscaler",),
)


def spreads_own_pods(term: Any, labels: Mapping[str, Any]) -> bool:
    """A spread constraint / affinity term counts the workload's own pods (matchLabelKeys always do)."""
    if not isinstance(term, dict):
        return False
    selector = term.get("labelSelector")
    if isinstance(selector, dict):
        return label_selector_matches(selector, labels)
    return bool(term.get("matchLabelKeys"))


def spread_terms(spec: Mapping[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(kind of term, term, pointer suffix) of every topology spread constraint and anti-affinity term."""
    constraints = spec.get("topologySpreadConstraints")
    if isinstance(constraints, list):
        for i, term in enumerate(constraints):
            yield "topologySpreadConstraints", term, f"/topologySpreadConstraints/{i}"
    anti = dig(spec, ("affinity", "podAntiAffinity"))
    if not isinstance(anti, dict):
        return
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, list):
        for i, term in enumerate(required):
            yield (
                "podAntiAffinity",
                term,
                f"/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/{i}",
            )
    preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
    if isinstance(preferred, list):
        for i, weighted in enumerate(preferred):
            yield (
                "podAntiAffinity",
                dig(weighted, ("podAffinityTerm",)),
                f"/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/{i}/podAffinityTerm",
            )


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    count = effective_replicas(resource, ctx)
    if count is None:
        yield NotEvaluated("replicas is not a number")
        return
    if count < 2:
        return
    pod = pod_spec(resource, ctx)
    if pod is None:
        yield NotEvaluated("the workload has no pod template")
        return
    keys = set(options.topology_keys)
    labels = template_labels(resource, ctx)
    misdirected: str | None = None
    for kind, term, _ in spread_terms(pod.spec):
        if not isinstance(term, dict) or term.get("topologyKey") not in keys:
            continue
        if spreads_own_pods(term, labels):
            return
        misdirected = misdirected or kind
    if misdirected:
        yield Violation(
            f"{resource.kind} {resource.name}: its {misdirected} on {' / '.join(sorted(keys))} has a labelSelector "
            f"that does not select its own pods, so its {count} replicas are not spread",
            f"{pod.pointer}/{misdirected}" if misdirected == "topologySpreadConstraints" else f"{pod.pointer}/affinity",
        )
        return
    yield Violation(
        f"{resource.kind} {resource.name} runs {count} replicas with no topologySpreadConstraints or pod "
        f"anti-affinity on {' or '.join(sorted(keys))}; they may all land on one node or zone",
        pod.pointer,
    )
