"""Every namespace in a shared non-production tier has a ResourceQuota and a LimitRange.

Non-production clusters are shared: one runaway QA deployment or forgotten sandbox load test
should hit a cost cap, not starve staging. A ResourceQuota caps what the namespace may request in
total; a LimitRange gives containers default requests and limits so the quota can be enforced.
Production is reported for information only: there, capacity is planned per workload (requests,
HPAs, database sizing) and a quota that is too tight blocks scale-out at the worst moment.

Namespaces are Namespace objects in the scan, or the `metadata.namespace` of workloads in it;
kube-system, kube-public and kube-node-lease are exempt (option `exempt_namespaces`).

Passes (qa)::

    kind: Namespace        # erp-qa
    ---
    kind: ResourceQuota    # namespace: erp-qa
    ---
    kind: LimitRange       # namespace: erp-qa

Fails (qa)::

    kind: Namespace        # erp-qa, with neither a ResourceQuota nor a LimitRange
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.namespaces import SYSTEM_NAMESPACES, Unnamespaced, namespace_subject
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    exempt_namespaces: tuple[str, ...] = SYSTEM_NAMESPACES


RULE = RuleMeta(
    id="quotas.namespace-quota",
    domain="quotas",
    title="Namespace has no ResourceQuota or no LimitRange",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="info", staging="warn", qa="warn", development="warn", sandbox="warn"),
    remediation="Add a ResourceQuota (requests.cpu, requests.memory, limits.memory, pods) and a LimitRange "
    "with defaultRequest/default for containers to the namespace.",
    kinds=("Namespace", WORKLOADS),
    controls=("scaling: quota-based scaling with cost caps",),
    options=Options(),
    needs=("Namespace", "ResourceQuota", "LimitRange", WORKLOADS),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    subject = namespace_subject(resource, ctx, tuple(options.exempt_namespaces))
    if subject is None:
        return
    if isinstance(subject, Unnamespaced):
        yield NotEvaluated("no metadata.namespace: the namespace (and its quota) is decided at deploy time")
        return
    missing = [kind for kind in ("ResourceQuota", "LimitRange") if not ctx.of_kind(kind, namespace=subject.name)]
    if missing:
        yield Violation(f"namespace {subject.name} has no {' and no '.join(missing)}", subject.pointer)
