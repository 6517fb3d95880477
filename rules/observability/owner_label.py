"""Production workloads carry an owner label, so every alert reaches a team.

An alert on a workload nobody owns is noise: it pages the platform team at night for a service they
cannot fix, and the Odoo module team never hears of it. Each workload (Deployments, StatefulSets,
DaemonSets, Jobs, CronJobs, Pods, Rollouts and configured workload kinds) must have a non-empty
label named in `label_keys` (default `app.kubernetes.io/owner`, `owner`, `team`, `govscan.io/owner`)
on its own metadata or on its pod template. Helm hook resources (tests, migrations) are skipped.

Passes (production)::

    metadata:
      labels: {app.kubernetes.io/owner: erp-team}

Fails (production)::

    metadata:
      labels: {app.kubernetes.io/name: odoo}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.ha import is_helm_hook
from govscan.rules._lib.workloads import WORKLOADS, template_labels
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    label_keys: tuple[str, ...] = ("app.kubernetes.io/owner", "owner", "team", "govscan.io/owner")


RULE = RuleMeta(
    id="observability.owner-label",
    domain="observability",
    title="Workload has no owner label",
    severity=Severity.LOW,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Add an owner label (e.g. app.kubernetes.io/owner: erp-team) to the workload's metadata.labels; "
        "alert routing uses it to page the right team."
    ),
    kinds=(WORKLOADS,),
    controls=("observability: alert ownership",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_helm_hook(resource):
        return
    pod_labels = template_labels(resource, ctx)
    for key in options.label_keys:
        for labels in (resource.labels, pod_labels):
            value = labels.get(key)
            if value is not None and str(value).strip():
                return
    metadata = resource.body.get("metadata")
    has_labels = isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict)
    yield Violation(
        f"{resource.kind} {resource.name} has no owner label (one of {', '.join(options.label_keys)}); "
        "its alerts reach no team",
        "/metadata/labels" if has_labels else "/metadata",
    )
