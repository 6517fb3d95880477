"""Ingress and Traefik IngressRoute plumbing shared by the network rules: middlewares, backends, paths."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from govscan.rules._lib.workloads import dig
from govscan.scanner.model import Resource

TRAEFIK_GROUPS = ("traefik.io", "traefik.containo.us")
MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"
ENTRYPOINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints"
EXPOSURE_ANNOTATION = "govscan.io/exposure"

_NAME_HINTS = {
    "rateLimit": ("ratelimit", "rate-limit", "rate_limit", "throttle"),
    "ipAllowList": ("ipallowlist", "ipwhitelist", "ip-allowlist", "ip-whitelist", "allowlist", "whitelist"),
    "redirectScheme": ("redirect-https", "https-redirect", "redirect-to-https", "redirectscheme", "redirect-scheme"),
}


def is_ingress_route(resource: Resource) -> bool:
    return resource.kind == "IngressRoute" and resource.group in TRAEFIK_GROUPS


def is_route(resource: Resource) -> bool:
    return is_ingress_route(resource) or (resource.kind == "Ingress" and resource.group.startswith("networking.k8s.io"))


@dataclass(frozen=True)
class MiddlewareRef:
    name: str
    resolved: bool
    features: frozenset[str] = field(default_factory=frozenset)
    """Traefik middleware types it applies (rateLimit, ipAllowList, redirectScheme, ...)."""


def _middleware(ctx: Any, namespace: str | None, name: str) -> Resource | None:
    candidates: list[Resource] = ctx.of_kind("Middleware", namespace=namespace)
    for mw in candidates:
        if mw.name == name and mw.group in TRAEFIK_GROUPS:
            return mw
    return None


def _features(ctx: Any, mw: Resource, depth: int = 0) -> frozenset[str]:
    spec = mw.body.get("spec")
    if not isinstance(spec, Mapping):
        return frozenset()
    found = {str(k) for k in spec}
    if "ipWhiteList" in found:
        found.add("ipAllowList")
    chained = dig(spec, ("chain", "middlewares"))
    if depth < 5 and isinstance(chained, list):
        for item in chained:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                inner = _middleware(ctx, str(item.get("namespace") or mw.namespace or "") or None, item["name"])
                if inner is not None:
                    found |= _features(ctx, inner, depth + 1)
    if "redirectScheme" in found and str(dig(spec, ("redirectScheme", "scheme")) or "https") != "https":
        found.discard("redirectScheme")
    return frozenset(found)


def _guess(name: str) -> frozenset[str]:
    low = name.lower()
    return frozenset(f for f, hints in _NAME_HINTS.items() if any(h in low for h in hints))


def resolve(ctx: Any, namespace: str | None, name: str) -> MiddlewareRef:
    mw = _middleware(ctx, namespace, name)
    if mw is not None:
        return MiddlewareRef(name, True, _features(ctx, mw))
    return MiddlewareRef(name, False, _guess(name))


def route_middlewares(ctx: Any, resource: Resource, route: Mapping[str, Any]) -> list[MiddlewareRef]:
    """Middlewares of one IngressRoute route (spec.routes[i].middlewares)."""
    found = []
    items = route.get("middlewares")
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            namespace = str(item.get("namespace") or resource.namespace or "") or None
            found.append(resolve(ctx, namespace, item["name"]))
    return found


def annotation_middlewares(ctx: Any, resource: Resource) -> list[MiddlewareRef]:
    """Middlewares named by an Ingress's router.middlewares annotation (`<ns>-<name>@kubernetescrd`)."""
    text = resource.annotations.get(MIDDLEWARES_ANNOTATION)
    if not isinstance(text, str):
        return []
    found = []
    for part in text.split(","):
        ref = part.strip()
        if not ref:
            continue
        ref, _, provider = ref.partition("@")
        match = None
        if provider in ("", "kubernetescrd"):
            for mw in ctx.of_kind("Middleware"):
                if mw.group in TRAEFIK_GROUPS and f"{mw.namespace}-{mw.name}" == ref:
                    match = mw
                    break
        if match is not None:
            found.append(MiddlewareRef(ref, True, _features(ctx, match)))
        else:
            found.append(MiddlewareRef(ref, False, _guess(ref)))
    return found


def routes(resource: Resource) -> Iterator[tuple[int, Mapping[str, Any]]]:
    items = dig(resource.body, ("spec", "routes"))
    for i, route in enumerate(items if isinstance(items, list) else ()):
        if isinstance(route, Mapping):
            yield i, route


_HOST = re.compile(r"Host(?:SNI|Regexp)?\(([^)]*)\)")
_PATH = re.compile(r"(!?)\s*Path(Prefix|Regexp)?\(([^)]*)\)")
_QUOTED = re.compile(r"[`\"']([^`\"']*)[`\"']")


def match_hosts(match: str) -> list[str]:
    return [h for m in _HOST.finditer(match) for h in _QUOTED.findall(m.group(1))]


def match_reaches(match: str, path: str) -> bool:
    """Whether a Traefik rule can match `path` (no Path matcher means every path)."""
    positive = []
    for m in _PATH.finditer(match):
        negated, kind, args = m.group(1), m.group(2) or "", _QUOTED.findall(m.group(3))
        for arg in args:
            covers = path.startswith(arg.rstrip("/") + "/") or path == arg or arg in ("", "/")
            if kind == "Regexp":
                covers = True  # too clever to judge: assume it can
            if negated and covers:
                return False
            if not negated:
                positive.append(covers)
    return not positive or any(positive)


def match_targets(match: str, path: str) -> bool:
    """Whether the rule names `path` itself (a dedicated route for it)."""
    for m in _PATH.finditer(match):
        if m.group(1):
            continue
        for arg in _QUOTED.findall(m.group(3)):
            if arg.rstrip("/") and path.startswith(arg.rstrip("/")) and arg.rstrip("/").startswith("/web/database"):
                return True
    return False


@dataclass(frozen=True)
class IngressPath:
    host: str
    path: str
    path_type: str
    service: str | None
    pointer: str


def ingress_paths(resource: Resource) -> Iterator[IngressPath]:
    spec = resource.body.get("spec")
    if not isinstance(spec, Mapping):
        return
    default = spec.get("defaultBackend") or spec.get("backend")
    if isinstance(default, Mapping):
        yield IngressPath("", "/", "Prefix", _backend_service(default), "/spec/defaultBackend")
    rules = spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        if not isinstance(rule, Mapping):
            continue
        host = str(rule.get("host") or "")
        paths = dig(rule, ("http", "paths"))
        for j, item in enumerate(paths if isinstance(paths, list) else ()):
            if not isinstance(item, Mapping):
                continue
            backend = item.get("backend")
            service = _backend_service(backend) if isinstance(backend, Mapping) else None
            yield IngressPath(
                host,
                str(item.get("path") or "/"),
                str(item.get("pathType") or "ImplementationSpecific"),
                service,
                f"/spec/rules/{i}/http/paths/{j}",
            )


def _backend_service(backend: Mapping[str, Any]) -> str | None:
    name = dig(backend, ("service", "name")) or backend.get("serviceName")
    return name if isinstance(name, str) else None


def ingress_path_reaches(item: IngressPath, path: str) -> bool:
    if item.path_type == "Exact":
        return item.path == path
    if any(ch in item.path for ch in "()*$^[|?"):
        return True  # a regular expression path (nginx use-regex): assume it can match
    prefix = item.path.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")
