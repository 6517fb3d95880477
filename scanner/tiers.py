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

from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase

from govscan.scanner.config import Config
from govscan.scanner.model import Platform, Resource, Tier, pointer_join

GOVSCAN_PREFIX = "govscan.io/"
"""Labels and annotations govscan itself reads (tier, waivers); kept even on slimmed resources."""
TIER_KEY = GOVSCAN_PREFIX + "tier"


def parse_tier(value: str | None, aliases: Mapping[str, Tier] | None = None) -> Tier | None:
    """The tier a name means (`prod`, or one of the config's `tiers.aliases`), or None."""
    if not value:
        return None
    if aliases:
        mapped = aliases.get(value.strip().lower())
        if mapped is not None:
            return mapped
    try:
        return Tier.parse(value)
    except ValueError:
        return None


NOT_A_TIER = (
    "is not a tier: use production, staging, qa, development, sandbox or an alias (prod, stg, dev...), "
    "or map your own names under tiers.aliases in .govscan.yaml"
)


def tier_declarations(resource: Resource, tier_tags: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(what, value, pointer) for each label, annotation or tag of the resource that declares its tier.

    Kubernetes: the govscan.io/tier label and annotation. Cloud: the first tier tag present (the one
    the resolver reads), at the key of the body it came from.
    """
    if resource.platform is Platform.K8S:
        for place, values in (("labels", resource.labels), ("annotations", resource.annotations)):
            value = values.get(TIER_KEY)
            if value is not None:
                singular = place[:-1]
                yield f"{TIER_KEY} {singular}", value, pointer_join("metadata", place, TIER_KEY)
        return
    for tag in tier_tags:
        value = resource.labels.get(tag)
        if value is not None:
            yield f"tag {tag}", value, _tag_pointer(resource, tag)
            return


def _tag_pointer(resource: Resource, tag: str) -> str:
    body = resource.body
    for key in ("tags_all", "tags", "labels"):
        tags = body.get(key)
        if isinstance(tags, dict) and tag in tags:
            return pointer_join(key, tag)
    blocks = body.get("tag")
    if isinstance(blocks, list):
        for i, block in enumerate(blocks):
            if isinstance(block, dict) and block.get("key") == tag:
                return pointer_join("tag", i, "value")
    return ""


def undeclared_tier_problems(
    resource: Resource, tier_tags: Iterable[str], aliases: Mapping[str, Tier]
) -> Iterator[tuple[str, str]]:
    """(message, pointer) for each tier declaration naming no tier: fail closed, never a fall-through."""
    for what, value, pointer in tier_declarations(resource, tier_tags):
        if parse_tier(value, aliases) is not None:
            continue
        sensitive = resource.change is not None and resource.change.is_sensitive(pointer)
        shown = "(a sensitive value)" if sensitive else repr(value[:40] + ("..." if len(value) > 40 else ""))
        yield f"{what} {shown} on {resource.kind}/{resource.name} {NOT_A_TIER}", pointer


class TierResolver:
    def __init__(
        self, config: Config, flag: Tier | None, resources: Iterable[Resource], workspace: str | None = None
    ) -> None:
        self.config = config
        self.flag = flag
        self.aliases = config.tier_aliases
        self.workspace = parse_tier(workspace, self.aliases)
        self.namespace_labels: dict[str, Tier] = {}
        for resource in resources:
            if resource.kind == "Namespace" and resource.api_version == "v1":
                tier = parse_tier(resource.labels.get(TIER_KEY), self.aliases) or parse_tier(
                    resource.annotations.get(TIER_KEY), self.aliases
                )
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
        own = parse_tier(resource.labels.get(TIER_KEY), self.aliases) or parse_tier(
            resource.annotations.get(TIER_KEY), self.aliases
        )
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
            tagged = parse_tier(resource.labels.get(tag), self.aliases)
            if tagged is not None:
                return tagged
        if resource.platform is Platform.TERRAFORM and self.workspace is not None:
            return self.workspace
        if resource.platform is Platform.PULUMI:
            stack = parse_tier(resource.namespace, self.aliases)
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
        if parse_tier(resource.labels.get(TIER_KEY), self.aliases) or parse_tier(
            resource.annotations.get(TIER_KEY), self.aliases
        ):
            return f"its {TIER_KEY} label/annotation"
        if resource.namespace and resource.namespace in self.namespace_labels:
            return f"namespace {resource.namespace} label {TIER_KEY}"
        return "config patterns or the default tier"
