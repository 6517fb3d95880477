"""Each replicated workload has a PodDisruptionBudget that allows some, but not all, pods to be evicted.

Node drains, cluster upgrades and autoscaler scale-downs evict pods through the eviction API. Without
a PodDisruptionBudget (PDB) a drain may take every replica of Odoo down at once; with a budget that
allows no disruption (`maxUnavailable: 0`, `minAvailable: 100%` or `minAvailable` >= replicas) the
drain hangs and the platform team cannot patch nodes. A budget allowing every pod down
(`minAvailable: 0`, `maxUnavailable` >= replicas or `100%`) protects nothing.

Checked on each Deployment, StatefulSet, ReplicaSet or Rollout running at least two replicas (an HPA's
`minReplicas` counts; single replicas are `ha.replicas`' business): a PDB in its namespace must select
its pod template labels, and the budget must leave between 1 and replicas-1 pods evictable. Checked on
each PodDisruptionBudget: exactly one of `minAvailable` / `maxUnavailable` is set, and it is not a value
that blocks or allows everything whatever the replica count (0, 0%, 100%, negative).
Prefer `maxUnavailable: 1`: it stays correct when the HPA scales.

Passes (production)::

    kind: Deployment            # replicas: 3, template labels app: odoo
    ---
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 1
      selector: {matchLabels: {app: odoo}}

Fails (production)::

    kind: PodDisruptionBudget
    spec:
      minAvailable: 3           # with 3 replicas, no pod may ever be evicted
      selector: {matchLabels: {app: odoo}}
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.ha import effective_replicas, labels_text, replicas_pointer, selecting_pdbs
from govscan.rules._lib.workloads import REPLICATED_KINDS, dig, pod_spec, template_labels
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="ha.pdb",
    domain="ha",
    title="Replicated workload lacks a PodDisruptionBudget that allows safe node drains",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Add a PodDisruptionBudget selecting the workload's pod labels with `maxUnavailable: 1` (or a "
        "minAvailable below the replica count); never 0 disruptions, never all pods."
    ),
    kinds=(*sorted(REPLICATED_KINDS), "PodDisruptionBudget"),
    controls=("availability: multi-instance application layer, tested failover",),
    needs=("HorizontalPodAutoscaler", "PodDisruptionBudget"),
)

PERCENT = re.compile(r"^\s*(-?\d+)\s*%\s*$")


def parse_budget(value: Any) -> tuple[int, bool] | None:
    """An IntOrString budget as (number, is_percent), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, False
    if isinstance(value, str):
        match = PERCENT.match(value)
        if match:
            return int(match.group(1)), True
        if value.strip().lstrip("-").isdigit():
            return int(value.strip()), False
    return None


def absolute_problem(field: str, number: int, percent: bool) -> str | None:
    """What is wrong with a budget whatever the replica count, or None."""
    shown = f"{number}%" if percent else str(number)
    if number < 0:
        return f"{field} is {shown}, which Kubernetes rejects"
    if field == "maxUnavailable" and number == 0:
        return f"maxUnavailable is {shown}: no pod may ever be evicted, so node drains hang"
    if field == "minAvailable" and percent and number >= 100:
        return f"minAvailable is {shown}: no pod may ever be evicted, so node drains hang"
    if field == "minAvailable" and number == 0:
        return f"minAvailable is {shown}: every pod may be evicted at once, so the budget protects nothing"
    if field == "maxUnavailable" and percent and number >= 100:
        return f"maxUnavailable is {shown}: every pod may be evicted at once, so the budget protects nothing"
    return None


def check_pdb(pdb: Resource) -> Iterator[Violation]:
    spec = pdb.body.get("spec")
    if not isinstance(spec, dict):
        yield Violation(f"PodDisruptionBudget {pdb.name} has no spec: set maxUnavailable: 1 and a selector", "")
        return
    present = [f for f in ("minAvailable", "maxUnavailable") if spec.get(f) is not None]
    if len(present) == 2:
        yield Violation(
            f"PodDisruptionBudget {pdb.name} sets both minAvailable and maxUnavailable; Kubernetes accepts "
            "only one (keep maxUnavailable: 1)",
            "/spec/maxUnavailable",
        )
    if not present:
        yield Violation(
            f"PodDisruptionBudget {pdb.name} sets neither minAvailable nor maxUnavailable, so its budget is "
            "undefined; set maxUnavailable: 1",
            "/spec",
        )
    for field in present:
        parsed = parse_budget(spec[field])
        if parsed is None:
            yield Violation(
                f"PodDisruptionBudget {pdb.name}: {field} is not an integer or a percentage", f"/spec/{field}"
            )
            continue
        problem = absolute_problem(field, *parsed)
        if problem:
            yield Violation(f"PodDisruptionBudget {pdb.name}: {problem}", f"/spec/{field}")


def evictable(field: str, number: int, percent: bool, count: int) -> int:
    """How many of `count` pods the budget lets the eviction API take down at once (rounding as Kubernetes)."""
    scaled = math.ceil(count * number / 100) if percent else number
    if field == "maxUnavailable":
        return max(0, min(count, scaled))
    return max(0, count - scaled)


def check_workload(resource: Resource, ctx: Context) -> Iterator[Violation | NotEvaluated]:
    count = effective_replicas(resource, ctx)
    if count is None:
        yield NotEvaluated("replicas is not a number")
        return
    if count < 2:
        return  # a single replica cannot be protected by any budget; ha.replicas reports it
    pdbs = selecting_pdbs(resource, ctx)
    if not pdbs:
        labels = template_labels(resource, ctx)
        pod = pod_spec(resource, ctx)
        if not labels:
            where = f"{pod.pointer.rsplit('/spec', 1)[0]}/metadata" if pod else "/spec"
            yield Violation(
                f"{resource.kind} {resource.name} runs {count} replicas but its pod template has no labels, so "
                "no PodDisruptionBudget can select it",
                where,
            )
            return
        ns = resource.namespace or "its namespace"
        yield Violation(
            f"{resource.kind} {resource.name} runs {count} replicas but no PodDisruptionBudget in {ns} selects "
            f"its pods ({labels_text(labels)}); a node drain may evict them all at once",
            replicas_pointer(resource),
        )
        return
    for pdb in pdbs:
        raw_spec = pdb.body.get("spec")
        spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
        present = [f for f in ("minAvailable", "maxUnavailable") if spec.get(f) is not None]
        if len(present) != 1:
            continue  # reported on the PDB itself
        field = present[0]
        parsed = parse_budget(spec[field])
        if parsed is None or absolute_problem(field, *parsed):
            continue  # reported on the PDB itself
        allowed = evictable(field, parsed[0], parsed[1], count)
        value = f"{parsed[0]}%" if parsed[1] else str(parsed[0])
        if allowed == 0:
            yield Violation(
                f"PodDisruptionBudget {pdb.name} ({field}: {value}) allows no eviction of {resource.kind} "
                f"{resource.name}'s {count} replicas, so node drains hang; use maxUnavailable: 1",
                replicas_pointer(resource),
            )
        elif allowed >= count:
            yield Violation(
                f"PodDisruptionBudget {pdb.name} ({field}: {value}) lets all {count} replicas of "
                f"{resource.kind} {resource.name} be evicted at once; use maxUnavailable: 1",
                replicas_pointer(resource),
            )


def check(resource: Resource, ctx: Context, options: None) -> Iterator[Violation | NotEvaluated]:
    if resource.kind == "PodDisruptionBudget":
        if resource.group.startswith("policy") or resource.group == "":
            yield from check_pdb(resource)
        return
    if dig(resource.body, ("spec",)) is None:
        yield NotEvaluated("the workload has no spec")
        return
    yield from check_workload(resource, ctx)
