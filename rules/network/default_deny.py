"""Every production namespace has a default-deny ingress NetworkPolicy.

Without one, any pod in the cluster (a compromised sandbox pod, a debugging shell) can reach the
Odoo workers, PostgreSQL and Redis directly. A default-deny policy selects every pod
(`podSelector: {}`), lists `Ingress` in `policyTypes` (or omits policyTypes, which implies it) and
allows nothing; narrower policies then open exactly the flows needed (Traefik to Odoo, Odoo to
PostgreSQL). Namespaces are Namespace objects in the scan or the `metadata.namespace` of its
workloads; kube-system, kube-public and kube-node-lease are exempt (option `exempt_namespaces`).
Workloads without a namespace are not evaluated. Cilium/Calico-only policies are not read.

Passes (production)::

    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: erp-prod}
    spec:
      podSelector: {}
      policyTypes: [Ingress, Egress]

Fails (production)::

    kind: Namespace     # erp-prod, with only allow-* policies
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from govscan.rules._lib.namespaces import SYSTEM_NAMESPACES, Unnamespaced, namespace_subject
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    exempt_namespaces: tuple[str, ...] = SYSTEM_NAMESPACES


RULE = RuleMeta(
    id="network.default-deny",
    domain="network",
    title="Namespace has no default-deny ingress NetworkPolicy",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] (no ingress rules) to the "
    "namespace, then allow the flows you need.",
    kinds=("Namespace", WORKLOADS),
    controls=("security: strict access",),
    options=Options(),
    needs=("Namespace", "NetworkPolicy", WORKLOADS),
)


def is_default_deny(policy: Resource) -> bool:
    spec = policy.body.get("spec")
    if not isinstance(spec, Mapping):
        return False
    selector = spec.get("podSelector")
    if selector not in (None, {}) and not (
        isinstance(selector, Mapping) and not selector.get("matchLabels") and not selector.get("matchExpressions")
    ):
        return False
    types = spec.get("policyTypes")
    if types is not None and (not isinstance(types, list) or "Ingress" not in types):
        return False
    return spec.get("ingress") in (None, [])


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    subject = namespace_subject(resource, ctx, tuple(options.exempt_namespaces))
    if subject is None:
        return
    if isinstance(subject, Unnamespaced):
        yield NotEvaluated("no metadata.namespace: its NetworkPolicies cannot be matched before deploy time")
        return
    policies = ctx.of_kind("NetworkPolicy", namespace=subject.name)
    if any(is_default_deny(p) for p in policies):
        return
    said = f"none of its {len(policies)} NetworkPolicies is" if policies else "it has no NetworkPolicy, so none is"
    yield Violation(
        f"namespace {subject.name} has no default-deny ingress policy: {said} podSelector: {{}} with "
        "policyTypes [Ingress] and no ingress rules",
        subject.pointer,
    )
