"""Pod specs and containers of any workload, with their JSON pointers.

Rules call `pod_spec(resource, ctx)` and `containers(resource, ctx)`; none switches on kind. Custom
workload kinds (Argo Rollouts, operators' CRDs) come from config through the context.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.scanner.model import WORKLOADS as WORKLOADS  # re-exported: rules say kinds=(WORKLOADS,)
from govscan.scanner.model import (
    Resource,
    pointer_join,
)

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}

LONG_RUNNING_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})


@dataclass(frozen=True, slots=True)
class PodSpec:
    spec: Mapping[str, Any]
    pointer: str
    metadata: Mapping[str, Any]
    """The pod template's metadata (labels, annotations); the resource's own for a bare Pod."""


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    body: Mapping[str, Any]
    pointer: str
    init: bool = False
    ephemeral: bool = False

    @property
    def label(self) -> str:
        kind = "init container" if self.init else "ephemeral container" if self.ephemeral else "container"
        return f'{kind} "{self.name}"'


def pod_spec_path(resource: Resource, custom: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    if custom:
        for key in (f"{resource.group}/{resource.kind}", resource.kind):
            if key in custom:
                return custom[key]
    return POD_SPEC_PATHS.get(resource.kind)


def dig(body: Any, path: tuple[str | int, ...]) -> Any:
    """body[path[0]][path[1]]... or None when any step is missing or of the wrong type."""
    current = body
    for step in path:
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            current = current[step]
        else:
            return None
    return current


def pod_spec(resource: Resource, ctx: Any = None) -> PodSpec | None:
    """The pod spec of any workload, or None when the resource carries none."""
    custom = getattr(ctx, "pod_spec_paths", None)
    path = pod_spec_path(resource, custom)
    if path is None:
        return None
    spec = dig(resource.body, path)
    if not isinstance(spec, dict):
        return None
    metadata = dig(resource.body, path[:-1] + ("metadata",)) if len(path) > 1 else resource.body.get("metadata")
    return PodSpec(spec, pointer_join(*path), metadata if isinstance(metadata, dict) else {})


def is_workload(resource: Resource, ctx: Any = None) -> bool:
    return pod_spec_path(resource, getattr(ctx, "pod_spec_paths", None)) is not None


def containers(resource: Resource, ctx: Any = None, *, init: bool = True) -> Iterator[Container]:
    """Every container of the workload (init containers too unless init=False), with pointers."""
    pod = pod_spec(resource, ctx)
    if pod is None:
        return
    groups = (("initContainers", True, False), ("containers", False, False), ("ephemeralContainers", False, True))
    for key, is_init, is_ephemeral in groups:
        if is_init and not init:
            continue
        items = pod.spec.get(key)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict):
                name = str(item.get("name") or f"#{i}")
                yield Container(name, item, f"{pod.pointer}/{key}/{i}", is_init, is_ephemeral)


def replicas(resource: Resource) -> int | None:
    """Declared replicas of a replicated workload (Kubernetes defaults a missing value to 1)."""
    if resource.kind not in REPLICATED_KINDS:
        return None
    value = dig(resource.body, ("spec", "replicas"))
    if value is None:
        return 1
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def label_selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """LabelSelector semantics (PDBs, spread constraints, monitors): matchLabels + matchExpressions.

    An empty selector `{}` selects every pod; a missing or malformed one selects none.
    """
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return False
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for expr in expressions:
        if not isinstance(expr, dict):
            return False
        key, op, values = str(expr.get("key")), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def service_selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A Service's (or ReplicationController's) plain-map selector; an empty one selects nothing."""
    return isinstance(selector, dict) and bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def template_labels(resource: Resource, ctx: Any = None) -> Mapping[str, Any]:
    pod = pod_spec(resource, ctx)
    labels = pod.metadata.get("labels") if pod else None
    return labels if isinstance(labels, dict) else {}


class SelectorIndex:
    """Objects with a selector (`spec.selector`), found from a pod's labels without testing every one.

    Each selector is filed under one label pair it requires; a pod is tested only against the
    selectors filed under its own pairs, plus those that require no pair (expressions only, `{}`).
    """

    def __init__(self, objects: list[Resource], plain: bool) -> None:
        self.plain = plain
        self.objects = objects
        self.by_pair: dict[tuple[str, Any], list[int]] = {}
        self.unfiled: list[int] = []
        for i, obj in enumerate(objects):
            selector = dig(obj.body, ("spec", "selector"))
            required = selector if plain else dig(selector, ("matchLabels",))
            pairs = sorted(required.items(), key=str) if isinstance(required, dict) else []
            pair = next(((k, v) for k, v in pairs if isinstance(k, str) and isinstance(v, str | int | bool)), None)
            if pair is None:
                self.unfiled.append(i)
            else:
                self.by_pair.setdefault(pair, []).append(i)

    def selecting(self, labels: Mapping[str, Any]) -> list[Resource]:
        """The objects whose selector selects pods labelled `labels`, in the scan's order."""
        candidates = set(self.unfiled)
        for pair in labels.items():
            if isinstance(pair[1], str | int | bool):
                candidates.update(self.by_pair.get(pair, ()))
        matches = service_selector_matches if self.plain else label_selector_matches
        found = []
        for i in sorted(candidates):
            obj = self.objects[i]
            if matches(dig(obj.body, ("spec", "selector")), labels):
                found.append(obj)
        return found


def selecting(ctx: Any, kind: str, namespace: str | None, labels: Mapping[str, Any], *, plain: bool) -> list[Resource]:
    """Objects of `kind` in `namespace` whose spec.selector selects pods labelled `labels`.

    plain=True: a Service-style map (`{}` selects nothing); False: a LabelSelector (`{}` selects all).
    """
    if not labels:
        return []
    index: SelectorIndex = ctx.cached(
        f"workloads.selector-index/{kind}/{namespace}/{plain}",
        lambda: SelectorIndex(ctx.of_kind(kind, namespace=namespace), plain),
    )
    return index.selecting(labels)
