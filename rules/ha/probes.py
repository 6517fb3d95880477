"""Long-running containers declare a readinessProbe and a livenessProbe.

Without a readiness probe a Service sends traffic to an Odoo pod that is still loading its registry or
has lost its database connection; without a liveness probe a hung worker is never restarted. Checked
on the app containers (not init containers) of Deployments, StatefulSets, DaemonSets, ReplicaSets and
Argo Rollouts, and of bare Pods that restart (`restartPolicy: Always`, not Helm hooks). Jobs and
CronJobs run to completion and are not checked. A startupProbe does not replace either: it only
delays them. The probes required are the `probes` option.

Passes::

    containers:
      - name: odoo
        readinessProbe: {httpGet: {path: /web/health, port: 8069}}
        livenessProbe: {httpGet: {path: /web/health, port: 8069}}

Fails::

    containers:
      - name: odoo
        readinessProbe: {httpGet: {path: /web/health, port: 8069}}   # no livenessProbe
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.ha import is_helm_hook
from govscan.rules._lib.workloads import LONG_RUNNING_KINDS, containers, dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    probes: tuple[str, ...] = ("readinessProbe", "livenessProbe")


RULE = RuleMeta(
    id="ha.probes",
    domain="ha",
    title="Long-running container lacks a readiness or liveness probe",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation=(
        "Add readinessProbe (is the container ready for traffic?) and livenessProbe (is it hung?) to each app "
        "container, e.g. httpGet on Odoo's /web/health, tcpSocket on 5432/6379, or exec for workers."
    ),
    kinds=(*sorted(LONG_RUNNING_KINDS), "Pod"),
    controls=("availability: restart automation", "availability: tested failover"),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.kind == "Pod":
        restart = dig(resource.body, ("spec", "restartPolicy"))
        if is_helm_hook(resource) or restart in ("Never", "OnFailure"):
            return  # run-to-completion pods (tests, one-off tasks)
    for container in containers(resource, ctx, init=False):
        if container.ephemeral:
            continue
        missing = [p for p in options.probes if not isinstance(container.body.get(p), dict)]
        if missing:
            said = " and no ".join(missing)
            yield Violation(f"{container.label} has no {said}", container.pointer)
