"""Helpers for cloud rules (Terraform plans and Pulumi previews, one property model).

Rules read values with `get`, which raises UnknownValue for a value known only after apply (the
engine records not-evaluated, never a pass) and returns None for an absent one. Nested Terraform
blocks are lists of one object; Pulumi gives the object itself: `block` accepts both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.scanner.model import Action, Platform, Resource, UnknownValue, escape_pointer_token

CLOUD = (Platform.TERRAFORM, Platform.PULUMI)
"""RuleMeta.platforms of a cloud rule."""

DESTRUCTIVE = frozenset({Action.DELETE, Action.REPLACE})

STATEFUL_TYPES = frozenset(
    {
        "aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_docdb_cluster", "aws_neptune_cluster",
        "aws_redshift_cluster", "aws_dynamodb_table", "aws_s3_bucket", "aws_ebs_volume", "aws_efs_file_system",
        "aws_fsx_lustre_file_system", "aws_fsx_windows_file_system", "aws_fsx_ontap_file_system",
        "aws_elasticache_cluster", "aws_elasticache_replication_group", "aws_memorydb_cluster",
        "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_msk_cluster", "aws_kms_key", "aws_backup_vault",
        "aws_db_snapshot", "aws_secretsmanager_secret",
        "google_sql_database_instance", "google_sql_database", "google_storage_bucket", "google_compute_disk",
        "google_redis_instance", "google_bigquery_dataset", "google_filestore_instance", "google_kms_crypto_key",
        "azurerm_postgresql_server", "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server",
        "azurerm_mssql_database", "azurerm_storage_account", "azurerm_managed_disk", "azurerm_redis_cache",
        "azurerm_key_vault", "azurerm_cosmosdb_account",
    }
)  # fmt: skip
"""Types whose deletion loses data: databases, buckets, volumes, file systems, caches, keys."""

_INDEX = re.compile(r"\[[^\]]*\]")


def pointer(*path: str | int) -> str:
    return "".join("/" + escape_pointer_token(str(p)) for p in path)


def get(resource: Resource, *path: str | int) -> Any:
    """The value at `path` in the body; None when absent; UnknownValue when known only after apply."""
    unknown = resource.change.unknown if resource.change is not None else frozenset()
    current: Any = resource.body
    at = ""
    for step in path:
        if unknown:  # checking each prefix from the root covers "a parent is unknown" too
            at += "/" + escape_pointer_token(str(step))
            if at in unknown:
                raise UnknownValue(at)
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            current = current[step]
        else:
            return None
        if current is None:
            return None
    return current


def block(value: Any) -> Mapping[str, Any] | None:
    """A nested block: Terraform's `[{...}]` or Pulumi's `{...}`; None when absent or empty."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else None


def blocks(value: Any) -> list[Mapping[str, Any]]:
    """Every object of a repeated block (`ingress`, `rule`), whichever shape it came in."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def action(resource: Resource) -> Action:
    return resource.change.action if resource.change is not None else Action.NO_OP


def data_loss(resource: Resource, what: Action | None) -> str | None:
    """How `what` (a planned action) loses the data `resource` holds, as a sentence; None when it does not.

    Shared by the release.destructive-change rule and the data-destructive release class."""
    if resource.kind not in STATEFUL_TYPES or what not in DESTRUCTIVE:
        return None
    verb = "deletes" if what is Action.DELETE else "replaces (deletes, then creates)"
    return f"the change {verb} {resource.kind} {resource.name}: its data is lost without a backup"


def is_sensitive(resource: Resource, *path: str | int) -> bool:
    return resource.change is not None and resource.change.is_sensitive(pointer(*path))


def config_address(resource: Resource) -> str:
    """The address without instance keys (`aws_db_instance.main[0]` -> `aws_db_instance.main`)."""
    return _INDEX.sub("", resource.uid)


def refers_to(other: Resource, resource: Resource) -> bool:
    """Whether `other`'s configuration refers to `resource` (Terraform reference or Pulumi dependency),
    within one plan or preview: two plans scanned together may reuse an address."""
    if other.change is None or other.source.path != resource.source.path:
        return False
    refs = other.change.references
    return resource.uid in refs or config_address(resource) in refs


def attached(resource: Resource, candidates: list[Resource], *keys: str) -> Iterator[Resource]:
    """Resources among `candidates` that configure `resource`: they refer to it, or one of their `keys`
    (`bucket`, `db_instance_identifier`) holds its name or id."""
    names = {str(v) for k in ("id", "bucket", "identifier", "name", "arn") if (v := resource.body.get(k))}
    for other in candidates:
        if refers_to(other, resource) or any(str(other.body.get(k)) in names for k in keys if other.body.get(k)):
            yield other


def tag(resource: Resource, *names: str) -> str | None:
    """The first of the tags `names` (case-insensitive) the resource carries."""
    lowered = {k.lower(): v for k, v in resource.labels.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value:
            return value
    return None


def integer(value: Any) -> int | None:
    """An int from a number or a numeric string; None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
