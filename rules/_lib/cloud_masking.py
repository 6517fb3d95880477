"""Data-masking helpers for cloud rules: is a data source production, is a copy masked.

A source is judged by the resource of the scan it names when there is one (its tier, through
`ctx.tier_of`), otherwise by its name: `production_name` matches whole tokens against production
patterns (`erp-prod-2026-11-01` has `prod`; `product-images` does not), `nonproduction_name` against
non-production ones (`odoo-filestore-qa`). `ScanIndex` finds the resources of given kinds by the
names, identifiers, ARNs, addresses and URNs other resources use to point at them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from govscan.rules._lib.cloud import config_address
from govscan.rules._lib.masking import DEFAULT_PRODUCTION_PATTERNS, production_name
from govscan.scanner.context import Context
from govscan.scanner.model import Resource

__all__ = ["DEFAULT_PRODUCTION_PATTERNS", "production_name"]

DEFAULT_NONPRODUCTION_PATTERNS = (
    "dev", "develop", "development", "qa", "test", "testing", "uat", "staging", "stage", "stg", "sandbox", "sbx",
    "demo", "preprod", "nonprod", "sit",
)  # fmt: skip
MASKING_TAGS = ("govscan.io/masked", "govscan.io/masking-job")
_NO = frozenset({"", "false", "no", "0", "none", "off"})

IDENTIFIER_KEYS = (
    "identifier", "cluster_identifier", "db_snapshot_identifier", "db_cluster_snapshot_identifier", "bucket",
    "name", "id", "arn", "db_snapshot_arn", "db_cluster_snapshot_arn",
)  # fmt: skip
"""Body keys other resources use to name a database, cluster, snapshot or bucket."""


def nonproduction_name(text: object, patterns: Iterable[str]) -> str | None:
    return production_name(text, tuple(patterns))


def masked(resource: Resource, tags: Iterable[str]) -> str | None:
    """The first masking tag the resource carries with a value that does not say no."""
    lowered = {k.lower(): v for k, v in resource.labels.items()}
    for tag in tags:
        value = lowered.get(tag.lower())
        if value is not None and value.strip().lower() not in _NO:
            return tag
    return None


def bucket_name(value: object) -> str | None:
    """`arn:aws:s3:::erp-backups-qa` or `erp-backups-qa` -> `erp-backups-qa`."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return text.rsplit(":::", 1)[-1].split("/", 1)[0] if text.startswith("arn:") else text


class ScanIndex:
    """Resources of some kinds by every key that can point at them (built once per scan and kinds)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.by_key: dict[str, list[Resource]] = {}
        for resource in resources:
            keys = {resource.uid, config_address(resource)}
            for key in IDENTIFIER_KEYS:
                value = resource.body.get(key)
                if isinstance(value, str) and value:
                    keys.add(value)
            for key in keys:
                self.by_key.setdefault(key, []).append(resource)

    @classmethod
    def of(cls, ctx: Context, *kinds: str) -> ScanIndex:
        return ctx.cached("cloud_masking.index:" + ",".join(kinds), lambda: cls(ctx.of_kind(*kinds)))

    def named(self, value: object) -> list[Resource]:
        """Resources whose identifier, name, ARN or id is `value` (or the bucket an S3 ARN names)."""
        if not isinstance(value, str) or not value:
            return []
        found = self.by_key.get(value, [])
        bucket = bucket_name(value) if value.startswith("arn:aws:s3") else None
        return found + [r for r in self.by_key.get(bucket or "", []) if r not in found]

    def referenced_by(self, resource: Resource) -> list[Resource]:
        """Resources of the index that `resource`'s configuration refers to (Terraform references,
        Pulumi property dependencies), in the same plan or preview: two plans may reuse an address."""
        if resource.change is None:
            return []
        found: dict[str, Resource] = {}
        for ref in resource.change.references:
            for other in self.by_key.get(ref, ()):
                same_file = other.source.path == resource.source.path
                if same_file and other.uid != resource.uid and ref in (other.uid, config_address(other)):
                    found[other.uid] = other
        return list(found.values())


def body_value(resource: Resource, *keys: str) -> Any:
    """The first of `keys` the body holds as a non-empty string (for messages and matching only)."""
    body: Mapping[str, Any] = resource.body
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
