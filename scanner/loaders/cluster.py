"""Live objects from a Kubernetes API server, read through the official client the way kubectl reads them.

- Credentials come from a kubeconfig (`--kubeconfig`, $KUBECONFIG, ~/.kube/config; `--context`) or,
  when asked with `--in-cluster`, from the pod's service account. A refreshed token is never written
  back to the kubeconfig (`persist_config=False`).
- Discovery first (`/api`, `/apis`, each group's preferred version): only kinds the server serves
  are listed, and only those some enabled rule needs.
- Lists are paged (`limit=500`, `continue`); an expired continue token (410 Gone) restarts the list
  once, skipping what was already delivered; every request has a timeout.
- Secrets are listed as metadata only (PartialObjectMetadata) unless the caller needs their values.
  `status`, `metadata.managedFields` and a Secret's last-applied annotation are dropped before any
  rule sees an object.

Nothing here prints a credential or a Secret value: errors carry the HTTP status and the server's
one-line message only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govscan.scanner.errors import GovscanError, UsageError
from govscan.scanner.model import Origin, Platform, Resource, Source

PAGE_SIZE = 500
CONNECT_TIMEOUT = 5.0
DEFAULT_TIMEOUT = 30.0
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
CORE_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling"})


class ClusterError(GovscanError):
    """The cluster cannot be read at all (unreachable, credentials rejected): exit 2."""


class ListFailure(Exception):
    """One kind could not be read (403, 404, expired twice, timed out); the rest of the audit goes on."""

    def __init__(self, reason: str, status: int = 0) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


@dataclass(frozen=True)
class Target:
    """Which cluster and namespaces to read, in kubectl's terms."""

    kubeconfig: Path | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    in_cluster: bool = False
    timeout: float = DEFAULT_TIMEOUT
    """Seconds each request may take (kubectl's --request-timeout)."""


@dataclass(frozen=True, slots=True)
class ApiType:
    """A listable resource type the server serves: `deployments` in `apps/v1`, kind Deployment."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        """kubectl's `plural.group` (`deployments.apps`, `secrets`)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


@dataclass(frozen=True)
class Discovery:
    types: tuple[ApiType, ...]
    problems: tuple[tuple[str, str], ...] = ()
    """(group/version, why) for API groups whose resources could not be discovered."""


def _message(exc: Any) -> str:
    """`403 Forbidden: <the server's Status message>`, never headers or the request."""
    status = getattr(exc, "status", 0) or 0
    reason = getattr(exc, "reason", "") or ""
    detail = ""
    body = getattr(exc, "body", None)
    if body:
        try:
            parsed = json.loads(body)
            detail = str(parsed.get("message", "")) if isinstance(parsed, dict) else ""
        except (ValueError, TypeError):
            detail = ""
    text = f"{status} {reason}".strip()
    return f"{text}: {detail[:240]}" if detail else text


def _transport_problem(exc: BaseException) -> tuple[bool, str]:
    """(is a timeout, a one-line description) for an exception urllib3 raised."""
    import urllib3

    reason = getattr(exc, "reason", None)
    cause = reason if isinstance(reason, BaseException) else exc
    timeout = isinstance(cause, urllib3.exceptions.ReadTimeoutError)  # connect failures are not: nobody answers
    return timeout, f"{type(cause).__name__}: {cause}"[:240]


class Cluster:
    """A connection to one API server: discovery, paged lists, single reads and access reviews."""

    def __init__(self, api: Any, context: str, server: str, default_namespace: str, timeout: float) -> None:
        self.api = api
        self.context = context
        self.server = server
        self.default_namespace = default_namespace
        self.timeout = timeout

    @classmethod
    def connect(cls, target: Target) -> Cluster:
        from kubernetes import client
        from kubernetes import config as kube_config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        try:
            if target.in_cluster:
                kube_config.load_incluster_config(client_configuration=configuration)
                context, namespace = "in-cluster", _in_cluster_namespace()
            else:
                path = _kubeconfig_path(target.kubeconfig)
                contexts, active = kube_config.list_kube_config_contexts(config_file=path)
                chosen = _context(contexts or [], active, target.context, path)
                # persist_config=False: a refreshed token is never written back into the kubeconfig
                kube_config.load_kube_config(
                    config_file=path,
                    context=chosen["name"],
                    client_configuration=configuration,
                    persist_config=False,
                )
                context = str(chosen["name"])
                namespace = str((chosen.get("context") or {}).get("namespace") or "default")
        except ConfigException as exc:
            problem = str(exc).splitlines()[0][:200]
            if target.in_cluster:
                raise UsageError(f"--in-cluster: {problem} (not in a pod? pass --kubeconfig instead)") from None
            where = _kubeconfig_label(target.kubeconfig)
            if "No configuration found" in problem:
                raise UsageError(
                    f"{where}: no kubeconfig found; pass --kubeconfig PATH, or --in-cluster in a pod"
                ) from None
            raise UsageError(f"{where}: {problem}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "not YAML"
            raise UsageError(
                f"{_kubeconfig_label(target.kubeconfig)}{line}: not a valid kubeconfig ({problem})"
            ) from None
        configuration.retries = 0  # fail fast (and no urllib3 retry warnings); the audit reports what it could not read
        return cls(client.ApiClient(configuration), context, configuration.host, namespace, target.timeout)

    def close(self) -> None:
        self.api.close()

    # --- reading -----------------------------------------------------------------------------------

    def _get(self, path: str, query: list[tuple[str, Any]] | None = None, accept: str = "application/json") -> Any:
        """GET a path as JSON; ApiException for HTTP errors, ClusterError when the server cannot be reached."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            response = self.api.call_api(
                path,
                "GET",
                query_params=query or [],
                header_params={"Accept": accept},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=(CONNECT_TIMEOUT, self.timeout),
            )
        except ApiException as exc:
            if exc.status == 401:
                raise ClusterError(
                    f"context {self.context}: the API server at {self.server} rejected the credentials "
                    "(401 Unauthorized); log in again or fix the user's token in the kubeconfig"
                ) from None
            if exc.status == 0:  # TLS problems come back as status 0
                raise ClusterError(f"context {self.context}: cannot talk to {self.server}: {exc.reason}") from None
            raise
        except urllib3.exceptions.HTTPError as exc:
            timeout, problem = _transport_problem(exc)
            if timeout:
                raise ListFailure(f"timed out after {self.timeout:g}s ({path})") from None
            raise ClusterError(
                f"context {self.context}: cannot reach the API server at {self.server}: {problem}"
            ) from None
        try:
            return json.loads(response.data)
        except ValueError:
            raise ClusterError(f"context {self.context}: {path} did not answer with JSON") from None
        finally:
            response.release_conn()

    def discover(self) -> Discovery:
        """Every listable type of the core group and of each API group's preferred version."""
        from kubernetes.client.exceptions import ApiException

        try:
            core = self._get("/api")
            groups = self._get("/apis")
        except ApiException as exc:
            raise ClusterError(f"context {self.context}: API discovery failed: {_message(exc)}") from None
        except ListFailure as failure:
            raise ClusterError(f"context {self.context}: API discovery {failure.reason}") from None
        versions = [("", v) for v in core.get("versions") or ["v1"]]
        for group in groups.get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("version")
            if not preferred and group.get("versions"):
                preferred = group["versions"][0].get("version")
            if preferred:
                versions.append((str(group.get("name", "")), str(preferred)))
        types: list[ApiType] = []
        problems: list[tuple[str, str]] = []
        for group_name, version in versions:
            group_version = f"{group_name}/{version}" if group_name else version
            path = f"/apis/{group_version}" if group_name else f"/api/{version}"
            try:
                listing = self._get(path)
            except ApiException as exc:  # a stale aggregated API (503) or a group that just went away
                problems.append((group_version, _message(exc)))
                continue
            except ListFailure as failure:
                problems.append((group_version, failure.reason))
                continue
            for entry in listing.get("resources") or []:
                name = str(entry.get("name", ""))
                verbs = frozenset(str(v) for v in entry.get("verbs") or [])
                if not name or "/" in name or "list" not in verbs:
                    continue
                types.append(
                    ApiType(group_name, version, str(entry.get("kind", "")), name, bool(entry.get("namespaced")), verbs)
                )
        return Discovery(tuple(types), tuple(problems))

    def pages(self, api_type: ApiType, namespace: str | None, metadata_only: bool = False) -> Iterator[list[Any]]:
        """The objects of one type, a page at a time (`limit`/`continue`), stripped for rules.

        An expired continue token (410 Gone) restarts the list once; objects already delivered are
        skipped by key (lists come in key order), so nothing is judged twice. Raises ListFailure.
        """
        from kubernetes.client.exceptions import ApiException

        path = api_type.path(namespace)
        accept = METADATA_ONLY if metadata_only else "application/json"
        token: str | None = None
        last_key = ""
        restarted = False
        while True:
            query: list[tuple[str, Any]] = [("limit", PAGE_SIZE)]
            if token:
                query.append(("continue", token))
            try:
                document = self._get(path, query, accept)
            except ApiException as exc:
                if exc.status == 410 and token and not restarted:
                    restarted, token = True, None
                    continue
                raise ListFailure(self._cannot_list(api_type, namespace, exc), exc.status) from None
            except ListFailure as failure:
                raise ListFailure(f"cannot list {api_type.label}: {failure.reason}") from None
            page = []
            for item in document.get("items") or []:
                if not isinstance(item, dict):
                    continue
                key = _key(item)
                if restarted and key <= last_key:
                    continue
                last_key = max(last_key, key)
                page.append(stripped(item, api_type))
            yield page
            token = (document.get("metadata") or {}).get("continue") or None
            if not token:
                return

    def get(self, api_type: ApiType, name: str) -> Any | None:
        """One cluster-scoped object (a Namespace), stripped; None when it does not exist."""
        from kubernetes.client.exceptions import ApiException

        try:
            item = self._get(f"{api_type.path()}/{name}")
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise ListFailure(self._cannot_list(api_type, None, exc, verb="get", name=name), exc.status) from None
        return stripped(item, api_type) if isinstance(item, dict) else None

    def _cannot_list(
        self, api_type: ApiType, namespace: str | None, exc: Any, verb: str = "list", name: str = ""
    ) -> str:
        where = f" in namespace {namespace}" if namespace and api_type.namespaced else ""
        what = f"{api_type.label}/{name}" if name else api_type.label
        if exc.status == 404:
            return f"{what} is not served by the cluster (404 Not Found); is its CRD installed?"
        return f"cannot {verb} {what}{where}: {_message(exc)}"

    def can_i(self, verb: str, api_type: ApiType, namespace: str | None, name: str | None = None) -> tuple[bool, str]:
        """A SelfSubjectAccessReview: may these credentials `verb` this type (in `namespace`)?"""
        import urllib3
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        attributes = client.V1ResourceAttributes(
            verb=verb,
            group=api_type.group,
            resource=api_type.plural,
            namespace=namespace if api_type.namespaced else None,
            name=name,
        )
        review = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attributes)
        )
        try:
            answer = client.AuthorizationV1Api(self.api).create_self_subject_access_review(
                review, _request_timeout=(CONNECT_TIMEOUT, self.timeout)
            )
        except ApiException as exc:
            if exc.status == 401:
                raise ClusterError(
                    f"context {self.context}: the API server at {self.server} rejected the credentials "
                    "(401 Unauthorized); log in again or fix the user's token in the kubeconfig"
                ) from None
            raise ClusterError(f"context {self.context}: SelfSubjectAccessReview failed: {_message(exc)}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(
                f"context {self.context}: cannot reach the API server at {self.server}: {_transport_problem(exc)[1]}"
            ) from None
        status = answer.status
        return bool(status and status.allowed), str((status.reason if status else "") or "")


def _kubeconfig_path(path: Path | None) -> str | None:
    if path is None:
        return None  # the client reads $KUBECONFIG, then ~/.kube/config
    if not path.is_file():
        raise UsageError(f"{path}: kubeconfig not found; pass --kubeconfig PATH or --in-cluster")
    return str(path)


def _kubeconfig_label(path: Path | str | None) -> str:
    return str(path or os.environ.get("KUBECONFIG") or "~/.kube/config")


def _context(contexts: list[Any], active: Any, wanted: str | None, path: str | None) -> Mapping[str, Any]:
    where = _kubeconfig_label(path)
    if wanted is None:
        if not active:
            raise UsageError(f"{where}: no current-context; pass --context NAME")
        return dict(active)
    for entry in contexts:
        if entry.get("name") == wanted:
            return dict(entry)
    known = ", ".join(sorted(str(c.get("name")) for c in contexts)) or "none"
    raise UsageError(f"--context: no context {wanted!r} in {where} (known: {known})")


def _in_cluster_namespace() -> str:
    try:
        return IN_CLUSTER_NAMESPACE.read_text(encoding="utf-8").strip() or "default"
    except OSError:
        return "default"


def _key(item: Mapping[str, Any]) -> str:
    """The object's storage key (`namespace/name`), the order lists come in."""
    metadata = item.get("metadata") or {}
    namespace = metadata.get("namespace")
    name = str(metadata.get("name", ""))
    return f"{namespace}/{name}" if namespace else name


def stripped(item: dict[str, Any], api_type: ApiType) -> dict[str, Any]:
    """The object as rules see it: apiVersion and kind set (list items omit them), no status, no
    managedFields; a Secret also loses its last-applied annotation, which repeats its values."""
    body = {k: v for k, v in item.items() if k != "status"}
    body["apiVersion"] = api_type.api_version
    body["kind"] = api_type.kind
    metadata = dict(body.get("metadata") or {})
    metadata.pop("managedFields", None)
    if api_type.kind == "Secret" and not api_type.group and isinstance(metadata.get("annotations"), dict):
        metadata["annotations"] = {k: v for k, v in metadata["annotations"].items() if k != LAST_APPLIED}
    body["metadata"] = metadata
    return body


def _safe_segment(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text) or "_"


def kind_label(api_version: str, kind: str) -> str:
    """`Deployment` for built-in groups, `Cluster.postgresql.cnpg.io` where a CRD's kind could be ambiguous."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if group in CORE_GROUPS or group.endswith(".k8s.io"):
        return kind
    return f"{kind}.{group}"


def logical_location(context: str, api_version: str, kind: str, namespace: str | None, name: str) -> str:
    """`context/namespace/Kind/name`, `_cluster` for cluster-scoped objects."""
    return f"{context}/{namespace or '_cluster'}/{kind_label(api_version, kind)}/{name}"


def pseudo_path(logical: str) -> str:
    """Where reports point when no Git file is known: stable, never a temporary file."""
    return "cluster/" + "/".join(_safe_segment(part) for part in logical.split("/")) + ".yaml"


Tracer = Callable[[Resource], Source | None]
"""Finds the Git source of a live object (Argo CD / Flux tracking, the drift mapping), or None."""


def live_resource(body: Mapping[str, Any], context: str, trace: Tracer | None = None) -> Resource:
    """A stripped live object as a Resource: same uid as its manifest in Git, a logical location, and
    the Git file as its source when `trace` finds one (else a stable pseudo-path)."""
    from govscan.scanner.loaders.k8s import resource_uid

    metadata = body.get("metadata") or {}
    name = str(metadata.get("name", ""))
    namespace = str(metadata["namespace"]) if metadata.get("namespace") else None
    api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
    logical = logical_location(context, api_version, kind, namespace, name)
    resource = Resource(
        uid=resource_uid(api_version, kind, namespace, name),
        platform=Platform.K8S,
        kind=kind,
        api_version=api_version,
        name=name,
        namespace=namespace,
        body=body,
        source=Source(Origin.CLUSTER, pseudo_path(logical), logical=logical),
        labels=_text_map(metadata.get("labels")),
        annotations=_text_map(metadata.get("annotations")),
    )
    traced = trace(resource) if trace is not None else None
    if traced is None:
        return resource
    source = Source(traced.origin, traced.path, traced.document, traced.template, traced.positions, logical)
    return Resource(
        resource.uid, resource.platform, kind, api_version, name, namespace, body, source,
        resource.labels, resource.annotations,
    )  # fmt: skip


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}
