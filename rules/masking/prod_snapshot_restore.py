"""Non-production databases restored or replicated from production carry a masking step (a `govscan.io/masked` tag).

The fastest way to a realistic QA database is `snapshot_identifier = "erp-prod-2026-11-01"`: it is
also how every customer name, e-mail, IBAN and Odoo API key ends up in an environment with weaker
access control, debug logging and shared credentials. An `aws_db_instance` or `aws_rds_cluster` in a
non-production tier whose `snapshot_identifier`, `replicate_source_db` / `replication_source_identifier`,
`restore_to_point_in_time` source or `s3_import` bucket is production must say that a masking job
runs before anyone uses it: a tag from `masking_tags` (default `govscan.io/masked = "true"`, or
`govscan.io/masking-job = "<job name>"`). A source is production when it is a database, cluster or
snapshot of the same scan whose tier is production (a snapshot also through the database it was
taken from), or, outside the scan, when its name has a `production_patterns` token (prod, prd,
production). A source known only after apply that refers to no database or snapshot of the scan is
not evaluated. Production restoring production is disaster recovery: the rule is off there.

Passes (qa)::

    resource "aws_db_instance" "erp_qa" {
      snapshot_identifier = "erp-prod-2026-11-01"
      tags = { Environment = "qa", "govscan.io/masked" = "true" }
    }

Fails (qa)::

    resource "aws_db_instance" "erp_qa" {
      snapshot_identifier = "erp-prod-2026-11-01"
      tags = { Environment = "qa" }
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_masking import (
    DEFAULT_PRODUCTION_PATTERNS,
    MASKING_TAGS,
    ScanIndex,
    body_value,
    masked,
    production_name,
)
from govscan.rules._lib.cloud_network import Path, path_of
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Action, Resource, RuleMeta, Severity, Tier, Violation, enforcement_table

DATABASES = ("aws_db_instance", "aws_rds_cluster")
SNAPSHOTS = ("aws_db_snapshot", "aws_db_cluster_snapshot")
SOURCES = {
    "aws_db_instance": (
        (("snapshot_identifier",), "snapshot"),
        (("replicate_source_db",), "replica source"),
        (("restore_to_point_in_time", "source_db_instance_identifier"), "point-in-time source"),
        (("restore_to_point_in_time", "source_dbi_resource_id"), "point-in-time source"),
        (("s3_import", "bucket_name"), "S3 import bucket"),
    ),
    "aws_rds_cluster": (
        (("snapshot_identifier",), "snapshot"),
        (("replication_source_identifier",), "replica source"),
        (("restore_to_point_in_time", "source_cluster_identifier"), "point-in-time source"),
        (("s3_import", "bucket_name"), "S3 import bucket"),
    ),
}
SNAPSHOT_SOURCE_KEYS = ("db_instance_identifier", "db_cluster_identifier")


@dataclass(frozen=True)
class Options:
    masking_tags: tuple[str, ...] = MASKING_TAGS
    production_patterns: tuple[str, ...] = DEFAULT_PRODUCTION_PATTERNS


RULE = RuleMeta(
    id="data-masking.prod-snapshot-restore",
    domain="data-masking",
    title="Non-production database created from a production snapshot or replica without masking",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="off", staging="warn", qa="block", development="block", sandbox="block"),
    remediation="Restore from a masked snapshot (a snapshot of a database the masking job has already scrubbed), "
    "or run the masking job (PostgreSQL Anonymizer, `odoo neutralize` plus a scrub script) before the database "
    'is used and tag the aws_db_instance / aws_rds_cluster with `govscan.io/masked = "true"` (or '
    '`govscan.io/masking-job = "<job>"`). Never create a non-production read replica of production.',
    kinds=DATABASES,
    platforms=CLOUD,
    controls=("privacy: no unmasked production data outside production",),
    options=Options(),
    needs=(TIER, *DATABASES, *SNAPSHOTS),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE or masked(resource, options.masking_tags):
        return
    tier = ctx.tier_of(resource)
    if tier is Tier.PRODUCTION:
        return
    index = ScanIndex.of(ctx, *DATABASES, *SNAPSHOTS)
    for keys, what in SOURCES.get(resource.kind, ()):
        path = path_of(resource, *keys)
        source = _production_source(resource, path, ctx, index, options)
        if source:
            yield Violation(
                f"{resource.kind} {body_value(resource, 'identifier', 'cluster_identifier') or resource.name} "
                f"({tier.value}) is created from production {what} {source} "
                f"with no masking step (tag {options.masking_tags[0] if options.masking_tags else 'masking'})",
                pointer(*path),
            )


def _production_source(resource: Resource, path: Path, ctx: Context, index: ScanIndex, options: Options) -> str | None:
    """The production source named at `path`, or None. Raises UnknownValue for an unresolvable unknown."""
    if resource.change is not None and resource.change.is_unknown(pointer(*path)):
        referenced = [r for r in index.referenced_by(resource) if r.kind in SNAPSHOTS or r.kind in DATABASES]
        if referenced:
            return next((r.uid for r in referenced if _is_production(r, ctx, index, options)), None)
    value = get(resource, *path)  # raises for an unknown that refers to nothing of the scan
    if not isinstance(value, str) or not value:
        return None
    matches = [r for r in index.named(value) if r.uid != resource.uid]
    if matches:
        return value if any(_is_production(r, ctx, index, options) for r in matches) else None
    return value if production_name(value, options.production_patterns) else None


def _is_production(source: Resource, ctx: Context, index: ScanIndex, options: Options) -> bool:
    if ctx.tier_of(source) is Tier.PRODUCTION:
        return True
    if source.kind not in SNAPSHOTS:
        return False
    origin = body_value(source, *SNAPSHOT_SOURCE_KEYS)
    databases = [r for r in index.named(origin) if r.kind in DATABASES]
    databases += [r for r in index.referenced_by(source) if r.kind in DATABASES and r not in databases]
    if databases:
        return any(ctx.tier_of(db) is Tier.PRODUCTION for db in databases)
    return bool(production_name(origin, options.production_patterns))
