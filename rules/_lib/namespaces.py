"""Which resource speaks for a namespace in namespace-level rules (quotas, default-deny).

A Namespace object in the scan carries the finding. Without one, the first workload of that
namespace in scan order does, at its `metadata.namespace`, so each namespace is reported once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.workloads import dig, is_workload
from govscan.scanner.model import WORKLOADS, Resource

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


@dataclass(frozen=True, slots=True)
class NamespaceSubject:
    name: str
    pointer: str
    """Where the finding points: the Namespace's name, or the workload's metadata.namespace."""


class Unnamespaced:
    """The workload has no metadata.namespace: the namespace is chosen at deploy time."""


UNNAMESPACED = Unnamespaced()


def namespace_subject(resource: Resource, ctx: Any, exempt: tuple[str, ...]) -> NamespaceSubject | Unnamespaced | None:
    """The namespace this resource reports for, UNNAMESPACED, or None when another resource reports."""
    if resource.kind == "Namespace":
        if not resource.name or resource.name in exempt:
            return None
        metadata = resource.body.get("metadata")
        pointer = "/metadata/name" if isinstance(metadata, Mapping) and "name" in metadata else "/metadata"
        return NamespaceSubject(resource.name, pointer)
    if not is_workload(resource, ctx):
        return None
    namespace = resource.namespace
    if not namespace:
        return UNNAMESPACED
    if namespace in exempt or ctx.namespace_object(namespace) is not None:
        return None
    for other in ctx.of_kind(WORKLOADS, namespace=namespace):
        if _controls_pods(other):
            if other is resource:
                return NamespaceSubject(namespace, "/metadata/namespace")
            return None
    return None


def _controls_pods(resource: Resource) -> bool:
    """Pods owned by a controller in the scan are judged through it (skip bare ReplicaSets of a Deployment)."""
    owners = dig(resource.body, ("metadata", "ownerReferences"))
    return not (isinstance(owners, list) and owners)
