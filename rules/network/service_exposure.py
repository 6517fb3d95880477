"""Production Services exposed outside the cluster say so: `govscan.io/exposure: public` or `internal`.

A LoadBalancer, a NodePort or `externalIPs` opens the service beyond the cluster network, often
straight to the internet, bypassing the ingress controller's TLS, rate limits and allow-lists (a
PostgreSQL or Redis Service switched to LoadBalancer for a quick debug is a classic leak). In
production every such Service must carry an explicit, reviewable decision:
`govscan.io/exposure: public` (meant for the internet, e.g. the Traefik entry Service) or
`internal` (private load balancer, VPN-only node ports).

Passes (production)::

    kind: Service
    metadata:
      annotations: {govscan.io/exposure: public}
    spec:
      type: LoadBalancer

Fails (production)::

    kind: Service          # postgres exposed for "debugging"
    spec:
      type: LoadBalancer
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.workloads import dig
from govscan.rules.network._routes import EXPOSURE_ANNOTATION
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join

ALLOWED = ("public", "internal")

RULE = RuleMeta(
    id="network.service-exposure",
    domain="network",
    title="Externally exposed Service has no exposure decision",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Annotate the Service govscan.io/exposure: public or internal after review, or make it ClusterIP "
    "behind the ingress controller.",
    kinds=("Service",),
    controls=("security: audited access",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    kind = dig(resource.body, ("spec", "type"))
    external_ips = dig(resource.body, ("spec", "externalIPs"))
    if kind in ("LoadBalancer", "NodePort"):
        said, where = f"type {kind}", "/spec/type"
    elif isinstance(external_ips, list) and external_ips:
        said, where = "externalIPs", "/spec/externalIPs"
    else:
        return
    value = resource.annotations.get(EXPOSURE_ANNOTATION)
    if value in ALLOWED:
        return
    if value is None:
        yield Violation(
            f"Service {resource.name} is exposed by {said} without a {EXPOSURE_ANNOTATION} annotation", where
        )
    else:
        yield Violation(
            f"Service {resource.name} is exposed by {said}; {EXPOSURE_ANNOTATION} is {str(value)[:40]!r}, "
            "expected public or internal",
            pointer_join("metadata", "annotations", EXPOSURE_ANNOTATION),
        )
