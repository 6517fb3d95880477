"""Odoo's database manager (`/web/database`) is not reachable from the routes in front of Odoo.

The database manager can create, duplicate, back up (download every customer record), restore
and drop databases; only the master password stands between it and the internet, and it is a
favourite target of brute-force bots. An Odoo route (a host or backend Service named like odoo, or
a Service whose pods run an odoo image) passes when:

- its Traefik middlewares include an `ipAllowList` (`ipWhiteList` on Traefik v2), or the Ingress
  has nginx `whitelist-source-range` / `allowlist-source-range`, or an nginx snippet handling
  `/web/database`;
- its path cannot match `/web/database` (e.g. only `/websocket`), or a dedicated route for
  `/web/database` in the namespace carries an IP allow-list or points away from Odoo;
- the Odoo containers behind it run with `--no-database-list`, or their mounted odoo.conf
  (ConfigMap or Secret in the scan) sets `list_db = False`.

Passes::

    containers:
      - name: odoo
        args: ["--no-database-list", "--proxy-mode"]

Fails::

    kind: IngressRoute
    spec:
      routes:
        - match: Host(`erp.example.com`)
          services: [{name: odoo, port: 8069}]     # odoo.conf keeps list_db = True (default)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.rules._lib.images import parse_image
from govscan.rules._lib.workloads import (
    containers,
    dig,
    pod_spec,
    service_selector_matches,
    template_labels,
)
from govscan.rules.network._routes import (
    annotation_middlewares,
    ingress_path_reaches,
    ingress_paths,
    is_ingress_route,
    match_hosts,
    match_reaches,
    match_targets,
    route_middlewares,
    routes,
)
from govscan.scanner.context import Context
from govscan.scanner.model import WORKLOADS, Resource, RuleMeta, Severity, Violation, enforcement_table

MANAGER = "/web/database"
LIST_DB_OFF = re.compile(r"(?im)^\s*list_db\s*=\s*(false|0|no|off)\s*$")
ALLOWLIST_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/whitelist-source-range",
    "nginx.ingress.kubernetes.io/allowlist-source-range",
    "ingress.kubernetes.io/whitelist-source-range",
)
SNIPPET_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/configuration-snippet",
)

RULE = RuleMeta(
    id="network.odoo-database-manager",
    domain="network",
    title="Odoo database manager (/web/database) is reachable",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Run Odoo with --no-database-list (list_db = False in odoo.conf), or put an ipAllowList "
    "middleware on a dedicated PathPrefix(`/web/database`) route.",
    kinds=("Ingress", "IngressRoute"),
    controls=("security: strict RBAC", "security: audited access"),
    needs=("Service", "Ingress", "IngressRoute", "Middleware", "ConfigMap", "Secret", WORKLOADS),
)


def _odoo_image(resource: Resource, ctx: Any) -> bool:
    known: dict[int, bool] = ctx.cached("network.odoo-database-manager.odoo-image", dict)
    if id(resource) not in known:
        known[id(resource)] = any(
            (image := parse_image(c.body.get("image"))) is not None
            and "odoo" in image.short_repository.rsplit("/", 1)[-1]
            for c in containers(resource, ctx, init=False)
        )
    return known[id(resource)]


def _backends(ctx: Any, namespace: str | None, service: str) -> list[Resource]:
    """Workloads behind a Service of the scan (matched by its selector), worked out once per Service name."""
    known: dict[tuple[str | None, str], list[Resource]] = ctx.cached("network.odoo-database-manager.backends", dict)
    key = (namespace, service)
    if key not in known:
        found: dict[int, Resource] = {}
        for svc in ctx.of_kind("Service", namespace=namespace):
            selector = dig(svc.body, ("spec", "selector"))
            if svc.name == service and isinstance(selector, Mapping) and selector:
                found.update((id(w), w) for w in _workloads_selected(ctx, namespace, selector))
        known[key] = list(found.values())
    return known[key]


def _workloads_selected(ctx: Any, namespace: str | None, selector: Mapping[str, Any]) -> list[Resource]:
    """Workloads in the namespace whose pod labels hold every pair of a Service selector."""

    def build() -> dict[tuple[str, Any], list[tuple[Resource, Mapping[str, Any]]]]:
        by_pair: dict[tuple[str, Any], list[tuple[Resource, Mapping[str, Any]]]] = {}
        for workload in ctx.of_kind(WORKLOADS, namespace=namespace):
            labels = template_labels(workload, ctx)
            for pair in labels.items():
                if isinstance(pair[1], str | int | bool):
                    by_pair.setdefault(pair, []).append((workload, labels))
        return by_pair

    by_pair = ctx.cached(f"network.odoo-database-manager.workloads-by-label/{namespace}", build)
    first = next(iter(selector.items()))
    if not isinstance(first[1], str | int | bool):
        return []
    return [w for w, labels in by_pair.get(first, ()) if service_selector_matches(selector, labels)]


def _list_db_off_in(ctx: Any, namespace: str | None, names: set[str] | None) -> bool:
    for conf in ctx.of_kind("ConfigMap", "Secret", namespace=namespace):
        if names is not None and conf.name not in names:
            continue
        for key in ("data", "stringData"):
            data = conf.body.get(key)
            if isinstance(data, Mapping) and any(isinstance(v, str) and LIST_DB_OFF.search(v) for v in data.values()):
                return True
    return False


def _mounted_configs(workload: Resource, ctx: Any) -> set[str]:
    pod = pod_spec(workload, ctx)
    names: set[str] = set()
    volumes = pod.spec.get("volumes") if pod else None
    for volume in volumes if isinstance(volumes, list) else ():
        if not isinstance(volume, Mapping):
            continue
        for ref in (dig(volume, ("configMap", "name")), dig(volume, ("secret", "secretName"))):
            if isinstance(ref, str):
                names.add(ref)
        sources = dig(volume, ("projected", "sources"))
        for source in sources if isinstance(sources, list) else ():
            for kind in ("configMap", "secret"):
                ref = dig(source, (kind, "name"))
                if isinstance(ref, str):
                    names.add(ref)
    return names


def _manager_disabled(workload: Resource, ctx: Any) -> bool:
    for container in containers(workload, ctx, init=False):
        words = [w for key in ("command", "args") for w in (container.body.get(key) or []) if isinstance(w, str)]
        if any("--no-database-list" in w for w in words):
            return True
    return _list_db_off_in(ctx, workload.namespace, _mounted_configs(workload, ctx))


class _Odoo:
    """What the scan knows about the Odoo behind a route."""

    def __init__(self, resource: Resource, ctx: Any) -> None:
        self.resource, self.ctx = resource, ctx

    def is_odoo(self, host: str, service: str | None) -> bool:
        if "odoo" in host.lower() or (service and "odoo" in service.lower()):
            return True
        return bool(service) and any(
            _odoo_image(w, self.ctx) for w in _backends(self.ctx, self.resource.namespace, service or "")
        )

    def disabled(self, service: str | None) -> bool:
        workloads = [w for w in _backends(self.ctx, self.resource.namespace, service or "") if _odoo_image(w, self.ctx)]
        if workloads:
            return all(_manager_disabled(w, self.ctx) for w in workloads)
        return _list_db_off_in(self.ctx, self.resource.namespace, None)


def _dedicated_block(ctx: Any, namespace: str | None) -> bool:
    """A route in the namespace made for /web/database that allow-lists it or sends it away from Odoo."""
    for other in ctx.of_kind("IngressRoute", namespace=namespace):
        if not is_ingress_route(other):
            continue
        for _, route in routes(other):
            if not match_targets(str(route.get("match", "")), MANAGER):
                continue
            if any("ipAllowList" in m.features for m in route_middlewares(ctx, other, route)):
                return True
            services = [s.get("name") for s in route.get("services") or [] if isinstance(s, Mapping)]
            if services and not any(isinstance(s, str) and "odoo" in s.lower() for s in services):
                return True
    for other in ctx.of_kind("Ingress", namespace=namespace):
        for item in ingress_paths(other):
            if item.path.startswith(MANAGER) and (
                any(other.annotations.get(a) for a in ALLOWLIST_ANNOTATIONS)
                or not (item.service and "odoo" in item.service.lower())
            ):
                return True
    return False


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    odoo = _Odoo(resource, ctx)
    if resource.kind == "IngressRoute":
        if not is_ingress_route(resource):
            return
        for i, route in routes(resource):
            match = str(route.get("match", ""))
            if not match_reaches(match, MANAGER) or match_targets(match, MANAGER):
                continue
            hosts = match_hosts(match) or [""]
            services = [s.get("name") for s in route.get("services") or [] if isinstance(s, Mapping)]
            services = [s for s in services if isinstance(s, str)] or [None]
            odoo_services = [s for s in services if any(odoo.is_odoo(h, s) for h in hosts)]
            if not odoo_services:
                continue
            if any("ipAllowList" in m.features for m in route_middlewares(ctx, resource, route)):
                continue
            if _dedicated_block(ctx, resource.namespace) or all(odoo.disabled(s) for s in odoo_services):
                continue
            yield Violation(
                f"IngressRoute {resource.name} route {i} ({match[:80]}) exposes Odoo's database manager {MANAGER} "
                "without an ipAllowList middleware or --no-database-list",
                f"/spec/routes/{i}",
            )
        return
    annotations = resource.annotations
    if any(annotations.get(a) for a in ALLOWLIST_ANNOTATIONS):
        return
    if any(MANAGER in str(annotations.get(a, "")) for a in SNIPPET_ANNOTATIONS):
        return
    if any("ipAllowList" in m.features for m in annotation_middlewares(ctx, resource)):
        return
    for item in ingress_paths(resource):
        if not ingress_path_reaches(item, MANAGER) or item.path.startswith(MANAGER):
            continue
        if not odoo.is_odoo(item.host, item.service):
            continue
        if _dedicated_block(ctx, resource.namespace) or odoo.disabled(item.service):
            continue
        yield Violation(
            f"Ingress {resource.name} routes {item.host or '*'}{item.path} to Odoo (service {item.service}), "
            f"exposing the database manager {MANAGER} without an IP allow-list or --no-database-list",
            item.pointer,
        )
        return
