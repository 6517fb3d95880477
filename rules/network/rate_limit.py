"""Public production routes are rate limited.

A login page or the Odoo JSON-RPC endpoint without a rate limit invites credential stuffing and
lets one scraper saturate every Odoo worker. A route passes with a Traefik `rateLimit` middleware
(on each IngressRoute route, or on an Ingress through the `router.middlewares` annotation,
resolved through Middleware objects in the scan, chains included) or nginx-ingress
`limit-rps` / `limit-rpm` / `limit-connections` annotations. Routes annotated
`govscan.io/exposure: internal`, or on an ingress class matching `internal_ingress_classes`, are
not public. A middleware that is not in the scan counts when its name says so (`rate-limit`); any
other unresolved middleware leaves the route "not evaluated". Production warns rather than blocks:
rate limiting often lives at the CDN or WAF, which a manifest cannot show.

Passes (production)::

    routes:
      - match: Host(`erp.example.com`)
        middlewares: [{name: odoo-ratelimit}]     # Middleware with spec.rateLimit

Fails (production)::

    routes:
      - match: Host(`erp.example.com`)
        services: [{name: odoo, port: 8069}]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from govscan.rules._lib.workloads import dig
from govscan.rules.network._routes import (
    EXPOSURE_ANNOTATION,
    MiddlewareRef,
    annotation_middlewares,
    is_ingress_route,
    route_middlewares,
    routes,
)
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

LIMIT_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "ingress.kubernetes.io/limit-rps",
    "ingress.kubernetes.io/limit-connections",
    "haproxy.org/rate-limit-requests",
)


@dataclass(frozen=True)
class Options:
    internal_ingress_classes: tuple[str, ...] = ("*internal*", "*private*")


RULE = RuleMeta(
    id="network.rate-limit",
    domain="network",
    title="Public production route has no rate limit",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="warn", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Attach a Traefik Middleware with spec.rateLimit to the route (or nginx limit-rps), or mark an "
    "internal route govscan.io/exposure: internal.",
    kinds=("Ingress", "IngressRoute"),
    controls=("security: strict access",),
    options=Options(),
    needs=("Middleware",),
)


def _internal(resource: Resource, options: Options) -> bool:
    if resource.annotations.get(EXPOSURE_ANNOTATION) == "internal":
        return True
    cls = dig(resource.body, ("spec", "ingressClassName")) or resource.annotations.get("kubernetes.io/ingress.class")
    return isinstance(cls, str) and any(fnmatchcase(cls, p) for p in options.internal_ingress_classes)


def _verdict(middlewares: list[MiddlewareRef]) -> bool | None:
    """True when rate limited, False when not, None when an unresolved middleware might be."""
    if any("rateLimit" in m.features for m in middlewares):
        return True
    unresolved = [m.name for m in middlewares if not m.resolved]
    return None if unresolved else False


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if _internal(resource, options):
        return
    if resource.kind == "IngressRoute":
        if not is_ingress_route(resource):
            return
        for i, route in routes(resource):
            verdict = _verdict(route_middlewares(ctx, resource, route))
            if verdict is None:
                yield NotEvaluated(f"route {i} uses middlewares that are not in the scan")
            elif not verdict:
                has = isinstance(route.get("middlewares"), list)
                yield Violation(
                    f"IngressRoute {resource.name} route {i} ({str(route.get('match', ''))[:80]}) has no rateLimit middleware",
                    f"/spec/routes/{i}/middlewares" if has else f"/spec/routes/{i}",
                )
        return
    if any(resource.annotations.get(a) for a in LIMIT_ANNOTATIONS):
        return
    verdict = _verdict(annotation_middlewares(ctx, resource))
    if verdict is None:
        yield NotEvaluated("router.middlewares names middlewares that are not in the scan")
    elif not verdict:
        yield Violation(
            f"Ingress {resource.name} has no rate limit (no rateLimit middleware, no nginx limit-rps/limit-connections)",
            "/metadata/annotations" if resource.annotations else "/metadata",
        )
