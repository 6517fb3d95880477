"""integration-change: how the system talks to others changes: credentials, routes, egress, endpoints.

Signals:

- a Secret's keys, an ExternalSecret's remote keys or store, a SealedSecret's keys, a SecretStore
  (key names only: values never appear);
- Ingress hosts, paths, TLS and backends; Traefik IngressRoute routes; Gateway API routes and
  listeners; a Service's `externalName`;
- egress network policy (NetworkPolicy and Cilium policies with egress rules; cloud security
  group egress rules);
- environment variables (and ConfigMap keys) that name endpoints, URLs, hosts or webhooks
  (`SHIPPING_API_URL`, `SMTP_HOST`, `ERP_WEBHOOK`), or whose value is a URL.

Is integration-change::

    env: [{name: CARRIER_API_URL, value: https://api.carrier.example/v1}]
      ->  [{name: CARRIER_API_URL, value: https://api.carrier.example/v2}]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.rules._lib.release import label, value_at, verb
from govscan.rules._lib.workloads import Container, containers, is_workload
from govscan.scanner.model import (
    ChangeKind,
    ClassifierMeta,
    Platform,
    ReleaseClass,
    Resource,
    ResourceChange,
    Signal,
)

META = ClassifierMeta(ReleaseClass.INTEGRATION_CHANGE, "Credentials, routes, egress or endpoints change")

ENDPOINT_NAME = re.compile(
    r"(?:^|_)(?:URLS?|URIS?|ENDPOINTS?|WEBHOOKS?|HOSTS?|HOSTNAME|ADDR|ADDRESS|DSN|SERVERS?|BROKERS?)(?:_|$)"
)
URL_VALUE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
ROUTE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Ingress": ("/spec/rules", "/spec/tls", "/spec/defaultBackend", "/spec/ingressClassName"),
    "IngressRoute": ("/spec/routes", "/spec/entryPoints", "/spec/tls"),
    "IngressRouteTCP": ("/spec/routes", "/spec/entryPoints", "/spec/tls"),
    "HTTPRoute": ("/spec/hostnames", "/spec/rules", "/spec/parentRefs"),
    "GRPCRoute": ("/spec/hostnames", "/spec/rules", "/spec/parentRefs"),
    "TLSRoute": ("/spec/hostnames", "/spec/rules", "/spec/parentRefs"),
    "TCPRoute": ("/spec/rules", "/spec/parentRefs"),
    "Gateway": ("/spec/listeners", "/spec/addresses"),
    "Service": ("/spec/externalName",),
}
EGRESS_POLICY_KINDS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})
EGRESS_FIELDS = ("/spec/egress", "/spec/egressDeny", "/spec/policyTypes", "/specs")
SECRET_STORE_KINDS = frozenset({"SecretStore", "ClusterSecretStore"})


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    resource = change.resource
    if resource.platform is not Platform.K8S:
        yield from _cloud_egress(change)
        return
    kind = resource.kind
    if kind == "Secret" and resource.api_version == "v1":
        yield from _secret_keys(change, ("/data", "/stringData"))
    elif kind == "SealedSecret":
        yield from _secret_keys(change, ("/spec/encryptedData",))
    elif kind == "ExternalSecret":
        yield from _external_secret(change)
    elif kind in SECRET_STORE_KINDS:
        yield Signal(f"{verb(change)} {label(resource)}: where secrets come from")
    elif kind in ROUTE_FIELDS:
        yield from _routes(change, ROUTE_FIELDS[kind])
    elif kind in EGRESS_POLICY_KINDS:
        yield from _egress(change)
    elif kind == "ConfigMap":
        yield from _configmap_endpoints(change)
    if is_workload(resource, ctx) and change.kind is not ChangeKind.REMOVED:
        yield from _env_endpoints(change, ctx)


def _touched(change: ResourceChange, prefixes: tuple[str, ...]) -> str | None:
    """The first changed field under one of `prefixes` (or the resource itself when added or removed)."""
    if change.kind is not ChangeKind.MODIFIED:
        return ""
    return next((f for f in change.fields for p in prefixes if f == p or f.startswith(p + "/")), None)


def _keys(resource: Resource | None, prefixes: tuple[str, ...]) -> set[str]:
    keys: set[str] = set()
    for prefix in prefixes:
        value = value_at(resource.body, prefix) if resource is not None else None
        if isinstance(value, dict):
            keys.update(str(k) for k in value)
    return keys


def _secret_keys(change: ResourceChange, prefixes: tuple[str, ...]) -> Iterator[Signal]:
    resource = change.resource
    if change.kind is not ChangeKind.MODIFIED:
        keys = ", ".join(sorted(_keys(resource, prefixes))) or "none"
        yield Signal(f"{verb(change)} {label(resource)} (keys: {keys})")
        return
    changed = sorted(
        {f[len(p) + 1 :].split("/", 1)[0].replace("~1", "/").replace("~0", "~")
         for f in change.fields for p in prefixes if f.startswith(p + "/")}
    )  # fmt: skip
    if changed:
        pointer = next(f for f in change.fields for p in prefixes if f.startswith(p + "/"))
        yield Signal(f"{label(resource)}: keys {', '.join(changed)} change", pointer)


def _external_secret(change: ResourceChange) -> Iterator[Signal]:
    resource = change.resource
    hit = _touched(change, ("/spec/data", "/spec/dataFrom", "/spec/secretStoreRef", "/spec/target"))
    if hit is None:
        return
    remote = []
    for item in value_at(resource.body, "/spec/data") or []:
        key = value_at(item, "/remoteRef/key")
        if isinstance(key, str):
            remote.append(key)
    shown = f" (remote keys: {', '.join(sorted(set(remote)))})" if remote else ""
    what = f"{label(resource)}: {hit} changes" if hit else f"{verb(change)} {label(resource)}"
    yield Signal(f"{what}{shown}", hit)


def _hosts(resource: Resource) -> list[str]:
    body = resource.body
    hosts = [value_at(rule, "/host") for rule in value_at(body, "/spec/rules") or [] if isinstance(rule, dict)]
    hosts += value_at(body, "/spec/hostnames") or []
    hosts += [value_at(route, "/match") for route in value_at(body, "/spec/routes") or [] if isinstance(route, dict)]
    return sorted({h for h in hosts if isinstance(h, str) and h})


def _routes(change: ResourceChange, fields: tuple[str, ...]) -> Iterator[Signal]:
    resource = change.resource
    is_plain_service = resource.kind == "Service" and value_at(resource.body, "/spec/externalName") is None
    if is_plain_service and change.kind is not ChangeKind.MODIFIED:
        return
    hit = _touched(change, fields)
    if hit is None:
        return
    hosts = _hosts(resource)
    shown = f" ({', '.join(hosts)})" if hosts else ""
    what = f"{label(resource)}: routes change at {hit}" if hit else f"{verb(change)} {label(resource)}"
    yield Signal(f"{what}{shown}", hit)


def _has_egress(resource: Resource) -> bool:
    body = resource.body
    types = value_at(body, "/spec/policyTypes") or []
    return bool(value_at(body, "/spec/egress") or value_at(body, "/spec/egressDeny")) or "Egress" in types


def _egress(change: ResourceChange) -> Iterator[Signal]:
    resource = change.resource
    if change.kind is not ChangeKind.MODIFIED:
        if _has_egress(resource):
            yield Signal(f"{verb(change)} egress policy {label(resource)}")
        return
    hit = _touched(change, EGRESS_FIELDS)
    if hit:
        yield Signal(f"{label(resource)}: egress rules change at {hit}", hit)


def _cloud_egress(change: ResourceChange) -> Iterator[Signal]:
    resource = change.resource
    if resource.kind == "aws_security_group":
        hit = _touched(change, ("/egress",))
        if hit:
            yield Signal(f"{label(resource)}: egress rules change", hit)
    elif resource.kind == "aws_vpc_security_group_egress_rule" or (
        resource.kind == "aws_security_group_rule" and resource.body.get("type") == "egress"
    ):
        yield Signal(f"{verb(change)} egress rule {label(resource)}")


def _is_endpoint(name: str, value: Any) -> bool:
    normal = re.sub(r"[^A-Za-z0-9]+", "_", name).upper()
    return bool(ENDPOINT_NAME.search(normal)) or (isinstance(value, str) and bool(URL_VALUE.match(value.strip())))


def _env(container: Container | None) -> dict[str, Any]:
    if container is None:
        return {}
    found = {}
    for item in container.body.get("env") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            found[item["name"]] = item
    return found


def _env_endpoints(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    before = {c.name: c for c in containers(change.base, ctx)} if change.base is not None else {}
    for container in containers(change.resource, ctx):
        old, new = _env(before.get(container.name)), _env(container)
        names = sorted(
            n for n in set(old) | set(new)
            if old.get(n) != new.get(n) and _is_endpoint(n, (new.get(n) or old.get(n) or {}).get("value"))
        )  # fmt: skip
        if names:
            yield Signal(f"{container.label}: endpoint settings {', '.join(names)} change", container.pointer + "/env")


def _configmap_endpoints(change: ResourceChange) -> Iterator[Signal]:
    old = value_at(change.base.body, "/data") if change.base is not None else None
    new = value_at(change.head.body, "/data") if change.head is not None else None
    old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
    names = sorted(
        str(k) for k in set(old) | set(new)
        if old.get(k) != new.get(k) and _is_endpoint(str(k), new.get(k, old.get(k)))
    )  # fmt: skip
    if names:
        pointer = "/data/" + names[0].replace("~", "~0").replace("/", "~1") if change.head is not None else ""
        yield Signal(f"{label(change.resource)}: endpoint settings {', '.join(names)} change", pointer)
