"""A small Kubernetes API server for tests: the real `kubernetes` client talks to it over HTTP on 127.0.0.1.

It speaks what govscan uses: discovery (/api, /apis, group versions), paged lists with continue
tokens (an expired token answers 410 Gone), metadata-only lists (PartialObjectMetadataList), single
gets, SelfSubjectAccessReview POSTs, and bearer-token authentication (a wrong token gets 401).
Failure modes are switches: `forbidden` (403 on a type), `unserved` (discovered but 404 on list),
`expire_once` / `expire_always` (the first / every continue token of a type has expired), `broken_groups` (discovery 503),
`slow` (answers a type after a delay). Every request is recorded for assertions.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

TOKEN = "kube-test-token-0b7e"


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


BUILT_IN = (
    Kind("", "v1", "Namespace", "namespaces", namespaced=False),
    Kind("", "v1", "ConfigMap", "configmaps"),
    Kind("", "v1", "Secret", "secrets"),
    Kind("", "v1", "Service", "services"),
    Kind("", "v1", "ServiceAccount", "serviceaccounts"),
    Kind("", "v1", "Pod", "pods"),
    Kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    Kind("", "v1", "ResourceQuota", "resourcequotas"),
    Kind("", "v1", "LimitRange", "limitranges"),
    Kind("", "v1", "Event", "events"),
    Kind("apps", "v1", "Deployment", "deployments"),
    Kind("apps", "v1", "StatefulSet", "statefulsets"),
    Kind("apps", "v1", "DaemonSet", "daemonsets"),
    Kind("apps", "v1", "ReplicaSet", "replicasets"),
    Kind("batch", "v1", "Job", "jobs"),
    Kind("batch", "v1", "CronJob", "cronjobs"),
    Kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    Kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    Kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
    Kind("networking.k8s.io", "v1", "Ingress", "ingresses"),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names."""
    body: Any = None


@dataclass
class FakeCluster:
    """The cluster's state and switches; `serve()` runs it on a free port of 127.0.0.1."""

    kinds: list[Kind] = field(default_factory=lambda: list(BUILT_IN))
    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    token: str = TOKEN
    page_limit: int | None = None
    """The most items a page holds (a real server may send fewer than `limit`)."""
    forbidden: set[tuple[str, str]] = field(default_factory=set)
    """(group, plural) answered 403 on list and denied in access reviews."""
    unserved: set[tuple[str, str]] = field(default_factory=set)
    expire_once: set[tuple[str, str]] = field(default_factory=set)
    expire_always: set[tuple[str, str]] = field(default_factory=set)
    broken_groups: set[str] = field(default_factory=set)
    slow: dict[tuple[str, str], float] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def add(self, *documents: dict[str, Any]) -> None:
        for document in documents:
            kind = self.kind_of(document["apiVersion"], document["kind"])
            self.objects.setdefault((kind.group, kind.plural), []).append(copy.deepcopy(document))

    def add_yaml(self, text: str) -> None:
        self.add(*[d for d in yaml.safe_load_all(text) if d])

    def kind_of(self, api_version: str, kind: str) -> Kind:
        for candidate in self.kinds:
            if candidate.api_version == api_version and candidate.kind == kind:
                return candidate
        raise KeyError(f"{api_version} {kind} is not a kind of this fake cluster")

    def lists(self, plural: str) -> list[Request]:
        """The list requests made for a resource type, in order."""
        return [r for r in self.requests if r.method == "GET" and r.path.rsplit("/", 1)[-1] == plural]

    # --- answers ---

    def discovery(self, path: str) -> Any:
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            groups: dict[str, str] = {}
            for kind in self.kinds:
                if kind.group:
                    groups.setdefault(kind.group, kind.version)
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": group,
                        "versions": [{"groupVersion": f"{group}/{version}", "version": version}],
                        "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version},
                    }
                    for group, version in sorted(groups.items())
                ],
            }
        group_version = path.removeprefix("/api/").removeprefix("/apis/")
        resources = []
        for kind in self.kinds:
            if kind.api_version == group_version:
                verbs = ["get", "list", "watch", "create", "update", "patch", "delete"]
                resources.append({"name": kind.plural, "singularName": "", "namespaced": kind.namespaced,
                                  "kind": kind.kind, "verbs": verbs})  # fmt: skip
                resources.append({"name": f"{kind.plural}/status", "singularName": "", "namespaced": kind.namespaced,
                                  "kind": kind.kind, "verbs": ["get", "patch", "update"]})  # fmt: skip
        if not resources:
            return None
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}

    def route(self, path: str) -> tuple[Kind, str | None, str | None] | None:
        """(kind, namespace, name) for a list or get path, None when it names nothing served."""
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace = name = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) == 2:
            rest, name = rest[:1], rest[1]
        if len(rest) != 1:
            return None
        for kind in self.kinds:
            if (kind.group, kind.version, kind.plural) == (group, version, rest[0]):
                return kind, namespace, name
        return None


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}  # fmt: skip


def _key(item: dict[str, Any]) -> str:
    metadata = item.get("metadata") or {}
    return f"{metadata.get('namespace')}/{metadata.get('name')}" if metadata.get("namespace") else metadata["name"]


class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster
    expired: set[tuple[str, str]]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, document: Any) -> None:
        data = json.dumps(document).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: Any = None) -> Request:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, parts.path, parse_qs(parts.query), headers, body)
        self.cluster.requests.append(request)
        return request

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.cluster.token}":
            return True
        self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        return False

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        request = self._record(body)
        if not self._authorised():
            return
        if request.path != "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        attributes = (body.get("spec") or {}).get("resourceAttributes") or {}
        denied = (attributes.get("group") or "", attributes.get("resource")) in self.cluster.forbidden
        answer = dict(body)
        answer["metadata"] = {}
        answer["status"] = {"allowed": not denied, "reason": "" if denied else "RBAC: allowed by test policy"}
        self._send(201, answer)

    def do_GET(self) -> None:  # noqa: N802
        request = self._record()
        if not self._authorised():
            return
        cluster = self.cluster
        path = request.path
        if path in ("/api", "/apis") or path.count("/") <= 3 and cluster.route(path) is None:
            group = path.split("/")[2] if path.startswith("/apis/") else ""
            if group in cluster.broken_groups:
                self._send(
                    503, _status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
                )
                return
            document = cluster.discovery(path)
            if document is None:
                self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            else:
                self._send(200, document)
            return
        routed = cluster.route(path)
        if routed is None:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        kind, namespace, name = routed
        key = (kind.group, kind.plural)
        if key in cluster.slow:
            time.sleep(cluster.slow[key])
        if key in cluster.unserved:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        if key in cluster.forbidden:
            where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
            message = (
                f'{kind.plural}{"." + kind.group if kind.group else ""} is forbidden: User "system:serviceaccount:'
                f'govscan:auditor" cannot list resource "{kind.plural}" in API group "{kind.group}"{where}'
            )
            self._send(403, _status(403, "Forbidden", message))
            return
        items = [
            i for i in cluster.objects.get(key, [])
            if namespace is None or (i.get("metadata") or {}).get("namespace") == namespace
        ]  # fmt: skip
        if name is not None:
            found = [i for i in items if i["metadata"]["name"] == name]
            if not found:
                self._send(404, _status(404, "NotFound", f'{kind.plural} "{name}" not found'))
            else:
                self._send(200, found[0])
            return
        self._list(request, kind, key, sorted(items, key=_key))

    def _list(self, request: Request, kind: Kind, key: tuple[str, str], items: list[dict[str, Any]]) -> None:
        cluster = self.cluster
        limit = int(request.query.get("limit", ["0"])[0]) or len(items) or 1
        if cluster.page_limit:
            limit = min(limit, cluster.page_limit)
        start = 0
        token = request.query.get("continue", [None])[0]
        if token:
            if key in cluster.expire_always or (key in cluster.expire_once and key not in self.expired):
                self.expired.add(key)
                message = "The provided continue parameter is too old to display a consistent list result."
                self._send(410, _status(410, "Expired", message))
                return
            start = json.loads(base64.b64decode(token))["start"]
        page = items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "4711"}
        if start + limit < len(items):
            metadata["continue"] = base64.b64encode(json.dumps({"start": start + limit}).encode()).decode()
        if "as=PartialObjectMetadataList" in request.headers.get("accept", ""):
            document = {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "items": [
                    {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": i["metadata"]}
                    for i in page
                ],  # fmt: skip
            }
        else:  # built-in lists leave kind and apiVersion out of their items, as the real server does
            document = {
                "kind": f"{kind.kind}List",
                "apiVersion": kind.api_version,
                "metadata": metadata,
                "items": [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in page],
            }
        self._send(200, document)


class Served:
    """A running FakeCluster: its URL, and a kubeconfig file that points at it."""

    def __init__(self, cluster: FakeCluster, server: ThreadingHTTPServer) -> None:
        self.cluster = cluster
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        cluster.url = self.url

    def kubeconfig(
        self, path: Path, token: str | None = None, namespace: str = "default", context: str = "kind-erp"
    ) -> Path:
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "erp", "cluster": {"server": self.url}}],
            "users": [{"name": "auditor", "user": {"token": token or self.cluster.token}}],
            "contexts": [{"name": context, "context": {"cluster": "erp", "user": "auditor", "namespace": namespace}}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for handlers (a slow one) before the next test runs

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left: the test asserts on what the client saw


def serve(cluster: FakeCluster) -> Iterator[Served]:
    """Run `cluster` in a thread for the duration of a `with` / fixture."""
    handler = type("Handler", (_Handler,), {"cluster": cluster, "expired": set()})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Served(cluster, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
