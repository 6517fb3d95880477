"""Effective container requests and limits, as the API server will default them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govscan.rules._lib.workloads import Container
from govscan.scanner.model import Resource


def _present(section: Any, name: str) -> bool:
    return isinstance(section, Mapping) and section.get(name) not in (None, "")


def limit_range_defaults(resource: Resource, ctx: Any) -> tuple[set[str], set[str]]:
    """(requests, limits) a LimitRange in the resource's namespace fills in for containers."""
    requests: set[str] = set()
    limits: set[str] = set()
    if not resource.namespace:
        return requests, limits
    for limit_range in ctx.of_kind("LimitRange", namespace=resource.namespace):
        items = (
            (limit_range.body.get("spec") or {}).get("limits")
            if isinstance(limit_range.body.get("spec"), dict)
            else None
        )
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, Mapping) or item.get("type", "Container") != "Container":
                continue
            for name in ("cpu", "memory"):
                if _present(item.get("defaultRequest"), name) or _present(item.get("default"), name):
                    requests.add(name)
                if _present(item.get("default"), name):
                    limits.add(name)
    return requests, limits


def resources_pointer(container: Container, section: str | None = None) -> str:
    """The deepest of container / resources / resources.<section> that exists."""
    res = container.body.get("resources")
    if not isinstance(res, Mapping):
        return container.pointer
    if section and isinstance(res.get(section), Mapping):
        return f"{container.pointer}/resources/{section}"
    return f"{container.pointer}/resources"


def declared(container: Container, section: str, name: str) -> bool:
    res = container.body.get("resources")
    return isinstance(res, Mapping) and _present(res.get(section), name)
