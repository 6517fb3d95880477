"""Workloads that do not call the Kubernetes API do not mount an API token.

An automounted token lets anyone who gets code execution in the pod talk to the API server as its
ServiceAccount. Same semantics as Polaris' automountServiceAccountToken: the pod spec's
`automountServiceAccountToken: false` passes; `true` on the pod fails (it overrides the
ServiceAccount); unset passes only when the pod's ServiceAccount (an object in the scan, same
namespace) sets `automountServiceAccountToken: false`. govscan adds one thing: a workload whose
ServiceAccount is a subject of a RoleBinding or ClusterRoleBinding in the scan evidently needs the
API, so its token is not flagged.

Passes::

    kind: Deployment
    spec:
      template:
        spec:
          serviceAccountName: odoo
          automountServiceAccountToken: false

Fails::

    kind: Deployment
    spec:
      template:
        spec:
          serviceAccountName: odoo   # no ServiceAccount with automountServiceAccountToken: false
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.rbac import BINDING_KINDS, binds_service_account
from govscan.rules._lib.workloads import WORKLOADS, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="rbac.automount-token",
    domain="rbac",
    title="Workload automounts a Kubernetes API token it does not need",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="warn", staging="info", qa="info", development="off", sandbox="off"),
    remediation="Set automountServiceAccountToken: false on the pod spec (or on its ServiceAccount); "
    "workloads that call the API keep their token and get a RoleBinding.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC",),
    needs=(*BINDING_KINDS, "ServiceAccount"),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    pod = pod_spec(resource, ctx)
    if pod is None:
        return
    own = pod.spec.get("automountServiceAccountToken")
    if own is False:
        return
    name = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
    if not isinstance(name, str):
        name = "default"
    if binds_service_account(ctx, resource.namespace, name):
        return
    if own is True:
        yield Violation(
            f"{resource.kind} {resource.name} sets automountServiceAccountToken: true, mounting the API token "
            f'of ServiceAccount "{name}", which no binding in the scan grants any API access',
            f"{pod.pointer}/automountServiceAccountToken",
        )
        return
    for account in ctx.of_kind("ServiceAccount", namespace=resource.namespace):
        if account.name == name and account.body.get("automountServiceAccountToken") is False:
            return
    yield Violation(
        f'{resource.kind} {resource.name} automounts the API token of ServiceAccount "{name}" '
        f"(automountServiceAccountToken is unset on the pod and not false on the ServiceAccount)",
        pod.pointer,
    )
