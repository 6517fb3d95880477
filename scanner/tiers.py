"""Decides each resource's environment tier.

Order (first that answers wins): the --tier flag; the resource's own `govscan.io/tier` label or
annotation; its namespace's `govscan.io/tier` label (a Namespace object in the same scan); config
patterns on the namespace name, then on the file path; the configured default.

Cloud resources (Terraform, Pulumi): the --tier flag; a tier tag (`tiers.tags`, default Environment,
env, tier, stage and their capitalised forms); the Terraform workspace (--workspace) or the Pulumi
stack; config patterns on the address or URN (`tiers.addresses`), on the module address or stack
(`tiers.namespaces`), on the file path; the configured default.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from govscan.scanner.config import Config
from govscan.scanner.model import Platform, Resource, Tier

GOVSCAN_PREFIX = "govscan.io/"
"""Labels and annotations govscan itself reads (tier, waivers); kept even on slimmed resources."""
TIER_KEY = GOVSCAN_PREFIX + "tier"


def _parse(value: str | None) -> Tier | None:
    if not value:
        return None
    try:
        return Tier.parse(value)
    except ValueError:
        return None


class TierResolver:
    def __init__(
        self, config: Config, flag: Tier | None, resources: Iterable[Resource], workspace: str | None = None
    ) -> None:
        self.config = config
        self.flag = flag
        self.workspace = _parse(workspace)
        self.namespace_labels: dict[str, Tier] = {}
        for resource in resources:
            if resource.kind == "Namespace" and resource.api_version == "v1":
                tier = _parse(resource.labels.get(TIER_KEY)) or _parse(resource.annotations.get(TIER_KEY))
                if tier is not None:
                    self.namespace_labels[resource.name] = tier
        self._cache: dict[tuple[str, str, str], Tier] = {}

    def tier_of(self, resource: Resource) -> Tier:
        if self.flag is not None:
            return self.flag
        if resource.platform is not Platform.K8S:
            key = (resource.uid, resource.source.path, "")
            known = self._cache.get(key)
            if known is None:
                known = self._cache[key] = self._cloud_tier(resource)
            return known
        own = _parse(resource.labels.get(TIER_KEY)) or _parse(resource.annotations.get(TIER_KEY))
        if own is not None:
            return own
        namespace = resource.name if resource.kind == "Namespace" else resource.namespace
        key = (namespace or "", resource.source.path, resource.source.template or "")
        cached = self._cache.get(key)
        if cached is None:
            cached = self._from_namespace_and_path(namespace, resource.source.path, resource.source.template)
            self._cache[key] = cached
        return cached

    def _cloud_tier(self, resource: Resource) -> Tier:
        """Tags, then the Terraform workspace (flag) or Pulumi stack, then address, module or stack
        patterns, then path patterns, then the default."""
        for tag in self.config.tier_tags:
            tagged = _parse(resource.labels.get(tag))
            if tagged is not None:
                return tagged
        if resource.platform is Platform.TERRAFORM and self.workspace is not None:
            return self.workspace
        if resource.platform is Platform.PULUMI:
            stack = _parse(resource.namespace)
            if stack is not None:
                return stack
        for pattern, tier in self.config.address_tiers:
            if fnmatchcase(resource.uid, pattern):
                return tier
        return self._from_namespace_and_path(resource.namespace, resource.source.path, None)

    def _from_namespace_and_path(self, namespace: str | None, path: str, template: str | None) -> Tier:
        if namespace:
            labelled = self.namespace_labels.get(namespace)
            if labelled is not None:
                return labelled
            for pattern, tier in self.config.namespace_tiers:
                if fnmatchcase(namespace, pattern):
                    return tier
        for pattern, tier in self.config.path_tiers:
            if fnmatchcase(path, pattern) or (template and fnmatchcase(template, pattern)):
                return tier
        return self.config.default_tier

    def explain(self, resource: Resource) -> str:
        """Why the resource has its tier (for `--explain` and error messages)."""
        if self.flag is not None:
            return "--tier flag"
        if _parse(resource.labels.get(TIER_KEY)) or _parse(resource.annotations.get(TIER_KEY)):
            return f"its {TIER_KEY} label/annotation"
        if resource.namespace and resource.namespace in self.namespace_labels:
            return f"namespace {resource.namespace} label {TIER_KEY}"
        return "config patterns or the default tier"
