"""The index of every resource in a scan, for cross-resource rules (PDB <-> Deployment, quota <-> namespace)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from govscan.scanner.model import Resource, Tier


class Context:
    """Read-only view over all resources of a scan, plus the scan's tier decisions."""

    def __init__(
        self,
        resources: Iterable[Resource],
        tier_of: Callable[[Resource], Tier],
        pod_spec_paths: Mapping[str, tuple[str, ...]] | None = None,
        settings: Mapping[str, Any] | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.resources: tuple[Resource, ...] = tuple(resources)
        self.today: dt.date = today or dt.date.today()
        """The scan's date (`--now` and tests set it): rules judge expiries and ages against this."""
        self._tier_of = tier_of
        self.pod_spec_paths: Mapping[str, tuple[str, ...]] = pod_spec_paths or {}
        self.settings: Mapping[str, Any] = settings or {}
        by_kind: dict[str, list[Resource]] = defaultdict(list)
        by_namespace: dict[str | None, list[Resource]] = defaultdict(list)
        for resource in self.resources:
            by_kind[resource.kind].append(resource)
            by_namespace[resource.namespace].append(resource)
        self._by_kind = dict(by_kind)
        self._by_namespace = dict(by_namespace)

    def tier_of(self, resource: Resource) -> Tier:
        return self._tier_of(resource)

    def of_kind(self, *kinds: str, namespace: str | None | type[Any] = Any) -> list[Resource]:
        """Resources of the given kinds, optionally only those in `namespace` (None = unset)."""
        found: list[Resource] = []
        for kind in kinds:
            for resource in self._by_kind.get(kind, ()):
                if namespace is Any or resource.namespace == namespace:
                    found.append(resource)
        return found

    def in_namespace(self, namespace: str | None) -> list[Resource]:
        return list(self._by_namespace.get(namespace, ()))

    def namespaces(self) -> list[str]:
        """Every namespace named in the scan: Namespace objects and resources' metadata.namespace."""
        names = {r.name for r in self._by_kind.get("Namespace", ())}
        names.update(ns for ns in self._by_namespace if ns)
        return sorted(names)

    def namespace_object(self, name: str) -> Resource | None:
        for resource in self._by_kind.get("Namespace", ()):
            if resource.name == name:
                return resource
        return None
