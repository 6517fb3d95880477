"""Workloads run on their own ServiceAccount, not the namespace's `default` one.

Every pod that names no ServiceAccount shares `default`: whatever anyone ever binds to it, every such
pod gets, and audit logs cannot tell the workloads apart. Create a ServiceAccount per workload and set
`serviceAccountName`. Pods that do not mount an API token at all (`automountServiceAccountToken:
false` on the pod) carry no API identity and pass.

Passes::

    kind: Deployment
    spec:
      template:
        spec:
          serviceAccountName: odoo

Fails::

    kind: Deployment
    spec:
      template:
        spec:
          containers: [{name: odoo, image: odoo:17.0}]
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.workloads import WORKLOADS, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="rbac.default-service-account",
    domain="rbac",
    title="Workload runs on the default ServiceAccount",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="warn", staging="info", qa="info", development="off", sandbox="off"),
    remediation="Create a ServiceAccount for the workload and set spec.template.spec.serviceAccountName "
    "(or set automountServiceAccountToken: false if it never calls the API).",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC", "security: audited access"),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    pod = pod_spec(resource, ctx)
    if pod is None:
        return
    if pod.spec.get("automountServiceAccountToken") is False:
        return
    for key in ("serviceAccountName", "serviceAccount"):
        value = pod.spec.get(key)
        if isinstance(value, str) and value:
            if value == "default":
                yield Violation(
                    f'{resource.kind} {resource.name} runs on the "default" ServiceAccount ({key}: default)',
                    f"{pod.pointer}/{key}",
                )
            return
    yield Violation(
        f'{resource.kind} {resource.name} runs on the "default" ServiceAccount (serviceAccountName is unset)',
        pod.pointer,
    )
