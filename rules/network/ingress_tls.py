"""Ingresses and Traefik IngressRoutes serve HTTPS, not plain HTTP.

Odoo sessions, passwords and customer data must never cross the network in clear text. An Ingress
passes with `spec.tls`, Traefik's `router.tls: "true"` annotation, or a load-balancer certificate
annotation (AWS ALB `certificate-arn`, GKE managed or pre-shared certificates); an IngressRoute
passes with `spec.tls` (even `tls: {}`, Traefik's default certificate) or when it only uses entry
points other than `web`/`http` (TLS is then set on the entry point). A route on the plain `web`
entry point passes when it only redirects to HTTPS (a `redirectScheme` middleware, or nginx
`force-ssl-redirect: "true"` when TLS ends at a cloud load balancer). An Ingress
with TLS that still sets `kubernetes.io/ingress.allow-http: "true"` fails.

Passes::

    kind: IngressRoute          # traefik.io/v1alpha1
    spec:
      entryPoints: [websecure]
      routes: [...]
      tls: {secretName: odoo-tls}

Fails::

    kind: IngressRoute
    spec:
      entryPoints: [web]        # plain HTTP, no redirect
      routes: [...]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from govscan.rules._lib.workloads import dig
from govscan.rules.network._routes import (
    ENTRYPOINTS_ANNOTATION,
    annotation_middlewares,
    is_ingress_route,
    route_middlewares,
    routes,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    plain_entry_points: tuple[str, ...] = ("web", "http")
    certificate_annotations: tuple[str, ...] = (
        "alb.ingress.kubernetes.io/certificate-arn",
        "networking.gke.io/managed-certificates",
        "ingress.gcp.kubernetes.io/pre-shared-cert",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    )


RULE = RuleMeta(
    id="network.ingress-tls",
    domain="network",
    title="Ingress route serves plain HTTP without TLS",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Add spec.tls (with a cert-manager certificate) and serve on the TLS entry point; keep plain HTTP "
    "only as a redirectScheme: https route.",
    kinds=("Ingress", "IngressRoute"),
    controls=("security: strict access", "security: audited access"),
    options=Options(),
    needs=("Middleware",),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.kind == "IngressRoute":
        if is_ingress_route(resource):
            yield from _ingress_route(resource, ctx, options)
        return
    if resource.labels.get("acme.cert-manager.io/http01-solver") == "true":
        return  # cert-manager's temporary HTTP-01 solver must be plain HTTP
    yield from _ingress(resource, ctx, options)


def _ingress(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    annotations = resource.annotations
    tls = dig(resource.body, ("spec", "tls"))
    has_tls = (
        (isinstance(tls, list) and bool(tls))
        or str(annotations.get("traefik.ingress.kubernetes.io/router.tls", "")).lower() == "true"
        or any(annotations.get(a) for a in options.certificate_annotations)
    )
    if has_tls:
        if str(annotations.get("kubernetes.io/ingress.allow-http", "")).lower() == "true":
            yield Violation(
                f'Ingress {resource.name} has TLS but kubernetes.io/ingress.allow-http is "true": '
                "plain HTTP is served as well",
                pointer_join("metadata", "annotations", "kubernetes.io/ingress.allow-http"),
            )
        return
    if any("redirectScheme" in m.features for m in annotation_middlewares(ctx, resource)):
        return
    if str(annotations.get("nginx.ingress.kubernetes.io/force-ssl-redirect", "")).lower() == "true":
        return  # TLS terminated in front of nginx (cloud load balancer); plain HTTP is redirected
    entry_points = [e.strip() for e in str(annotations.get(ENTRYPOINTS_ANNOTATION, "")).split(",") if e.strip()]
    if entry_points:
        plain = [e for e in entry_points if e in options.plain_entry_points]
        if not plain:
            return  # TLS configured on the entry point itself
        yield Violation(
            f"Ingress {resource.name} serves entry point {plain[0]!r} without TLS or an HTTPS redirect",
            pointer_join("metadata", "annotations", ENTRYPOINTS_ANNOTATION),
        )
        return
    spec = resource.body.get("spec")
    yield Violation(
        f"Ingress {resource.name} has no spec.tls: it serves plain HTTP",
        "/spec" if isinstance(spec, Mapping) else "",
    )


def _ingress_route(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    spec = resource.body.get("spec")
    if not isinstance(spec, Mapping) or spec.get("tls") is not None:
        return
    redirects = [
        any("redirectScheme" in m.features for m in route_middlewares(ctx, resource, route))
        for _, route in routes(resource)
    ]
    if redirects and all(redirects):
        return
    entry_points = spec.get("entryPoints")
    if isinstance(entry_points, list) and entry_points:
        for i, entry in enumerate(entry_points):
            if entry in options.plain_entry_points:
                yield Violation(
                    f"IngressRoute {resource.name} serves entry point {entry!r} without TLS or an HTTPS redirect",
                    f"/spec/entryPoints/{i}",
                )
                return
        return
    yield Violation(
        f"IngressRoute {resource.name} has no tls and no entryPoints, so it also listens on the plain-HTTP entry point",
        "/spec",
    )
