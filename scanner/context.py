"""The index of resources that cross-resource rules read (PDB <-> Deployment, quota <-> namespace).

The engine keeps only what some rule declares in `RuleMeta.needs`; each rule reads through its own
view (`for_rule`), which refuses undeclared reads so that a missing declaration cannot turn into a
silent pass on a resource the index did not keep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

from govscan.scanner.model import EVERYTHING, TIER, WORKLOADS, Resource, Tier

T = TypeVar("T")


class UndeclaredRead(Exception):
    """A rule read something through ctx that its RuleMeta.needs does not list (a bug in the rule)."""


def _no_tiers(resource: Resource) -> Tier:
    raise UndeclaredRead("tiers are not known while files stream; declare needs=(TIER,)")


class Context:
    """Read-only index of the resources rules need, plus the scan's tier decisions and settings."""

    def __init__(
        self,
        resources: Iterable[Resource] = (),
        tier_of: Callable[[Resource], Tier] = _no_tiers,
        pod_spec_paths: Mapping[str, tuple[str, ...]] | None = None,
        settings: Mapping[str, Any] | None = None,
        today: dt.date | None = None,
        is_workload: Callable[[Resource], bool] | None = None,
    ) -> None:
        self.today: dt.date = today or dt.date.today()
        """The scan's date (`--now` and tests set it): rules judge expiries and ages against this."""
        self.pod_spec_paths: Mapping[str, tuple[str, ...]] = pod_spec_paths or {}
        self.settings: Mapping[str, Any] = settings or {}
        self._tier_of = tier_of
        self._by_kind: dict[str, list[Resource]] = {}
        self._by_kind_namespace: dict[tuple[str, str | None], list[Resource]] = {}
        self._cache: dict[str, Any] = {}
        self._rule = ""
        self._allowed: Collection[str] | None = None
        self._everything: list[Resource] = []
        for resource in resources:
            self._everything.append(resource)
            kinds = [resource.kind]
            if is_workload is not None and is_workload(resource):
                kinds.append(WORKLOADS)
            for kind in kinds:
                self._by_kind.setdefault(kind, []).append(resource)
                self._by_kind_namespace.setdefault((kind, resource.namespace), []).append(resource)

    def for_rule(self, rule_id: str, needs: Collection[str]) -> Context:
        """A view for one rule: same index, but reads outside `needs` raise UndeclaredRead."""
        view = object.__new__(Context)
        view.__dict__.update(self.__dict__)
        view._rule = rule_id
        view._allowed = frozenset(needs)
        return view

    def _check(self, need: str) -> None:
        if self._allowed is not None and need not in self._allowed:
            what = {TIER: "ctx.tier_of", EVERYTHING: "every resource"}.get(need, f"{need} resources")
            raise UndeclaredRead(f"rule {self._rule} reads {what} but its RULE.needs does not list {need!r}")

    def tier_of(self, resource: Resource) -> Tier:
        self._check(TIER)
        return self._tier_of(resource)

    def of_kind(self, *kinds: str, namespace: str | None | type[Any] = Any) -> list[Resource]:
        """Resources of the given kinds (or WORKLOADS), optionally only those in `namespace` (None = unset)."""
        found: list[Resource] = []
        for kind in kinds:
            self._check(kind)
            if namespace is Any:
                found.extend(self._by_kind.get(kind, ()))
            else:
                found.extend(self._by_kind_namespace.get((kind, namespace), ()))  # type: ignore[arg-type]
        return found

    def everything(self) -> list[Resource]:
        """Every resource of the scan, in scan order (only for rules that declare EVERYTHING)."""
        self._check(EVERYTHING)
        return self._everything

    def namespace_object(self, name: str) -> Resource | None:
        """The Namespace object called `name` in the scan (the first one, if given twice)."""
        self._check("Namespace")
        by_name = self.cached(
            "context.namespace-objects", lambda: {r.name: r for r in reversed(self._by_kind.get("Namespace", []))}
        )
        return by_name.get(name)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """A value derived from the index, built once per scan (e.g. bindings by subject)."""
        if key not in self._cache:
            self._cache[key] = build()
        value: T = self._cache[key]
        return value
