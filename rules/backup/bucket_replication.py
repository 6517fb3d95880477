"""Production backup buckets are copied to another region.

Backups kept in the region they protect are lost with it (a regional outage, an account-level
mistake scoped to one region). Only backup buckets are judged (see `backup.bucket-object-lock` and
`govscan.rules._lib.cloud_backup`). Checked on AWS `aws_s3_bucket`: an attached
`aws_s3_bucket_replication_configuration` (Pulumi `aws.s3.BucketReplicationConfig`), else the inline
`replication_configuration`, must have a rule with `status = "Enabled"`. A plan rarely says which
region a bucket lives in: when the destination bucket is in the same scan and both regions are known,
replicating to the same region or to the bucket itself fails; otherwise an enabled rule passes. On
Google `google_storage_bucket` the `location` must be a multi- or dual-region (`EU`, `US`, `EUR4`,
`NAM4`: no hyphen) or use `custom_placement_config`.

Passes (production)::

    resource "aws_s3_bucket_replication_configuration" "backups" {
      bucket = aws_s3_bucket.backups.id
      rule { status = "Enabled", destination { bucket = aws_s3_bucket.backups_dr.arn } }
    }

Fails (production)::

    resource "aws_s3_bucket" "backups" { bucket = "erp-backups" }   # no replication
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.cloud import CLOUD, block, blocks
from govscan.rules._lib.cloud_backup import (
    BUCKETS,
    BackupBuckets,
    Path,
    bucket_name,
    configured_by,
    each,
    find,
    first,
    is_backup_bucket,
    live,
    where,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

REPLICATION = "aws_s3_bucket_replication_configuration"


@dataclass(frozen=True)
class Options(BackupBuckets):
    pass


RULE = RuleMeta(
    id="backup.bucket-replication",
    domain="backup",
    title="Backup bucket is not replicated to another region",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Add an aws_s3_bucket_replication_configuration for the backup bucket with a rule "
    '{ status = "Enabled", destination { bucket = <ARN of a versioned bucket in another region> } } (Pulumi: '
    "aws.s3.BucketReplicationConfig); on Google use a dual- or multi-region location such as EUR4 or EU.",
    kinds=BUCKETS,
    platforms=CLOUD,
    controls=("backups: offsite copy",),
    options=Options(),
    needs=(REPLICATION, "aws_s3_bucket"),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if not live(resource) or not is_backup_bucket(resource, options):
        return
    name = bucket_name(resource)
    if resource.kind == "google_storage_bucket":
        location, path = find(resource, "location")
        placement, _ = find(resource, "custom_placement_config")
        if isinstance(location, str) and "-" in location and not placement:
            yield Violation(
                f'backup bucket "{name}" lives in one region ({location}): use a dual- or multi-region location',
                where(path),
            )
        return
    buckets = ctx.of_kind("aws_s3_bucket")
    configs = ctx.of_kind(REPLICATION)
    if resource.body.get("bucket") in ctx.cached("cloud_backup.replica-names", lambda: _destinations(buckets, configs)):
        return  # the offsite copy of another bucket in this scan
    holders: list[tuple[Resource, list[Path]]] = [
        (config, each(config, "rule", "rules")) for config in configured_by(resource, ctx, REPLICATION)
    ]
    if not holders:
        configuration, path = first(resource, "replication_configuration", "replication_configurations")
        if configuration is not None:
            holders = [(resource, each(resource, "rules", "rule", under=path))]
    enabled = [(holder, rule) for holder, rules in holders for rule in rules if _enabled(holder, rule)]
    if not enabled:
        state = "has no enabled replication rule" if holders else "is not replicated"
        yield Violation(f'backup bucket "{name}" {state}: its copies live in one region', "")
        return
    regions = ctx.cached("cloud_backup.bucket-regions", lambda: _by_name(buckets))
    here = _region(resource)
    same: list[str] = []
    for holder, rule in enabled:
        destination = _destination(holder, rule)
        if destination is None:
            return  # unknown until apply, or not in this scan: an enabled rule passes
        if destination == resource.body.get("bucket"):
            same.append("itself")
            continue
        there = regions.get(destination)
        if here is None or there is None or there != here:
            return
        same.append(f'"{destination}" in {there}')
    yield Violation(f'backup bucket "{name}" replicates only within its own region: to {", ".join(same)}', "")


def _enabled(holder: Resource, rule: Path) -> bool:
    status, _ = find(holder, *rule, "status")
    return isinstance(status, str) and status.lower() == "enabled"


def _destination(holder: Resource, rule: Path) -> str | None:
    """The destination bucket's name when the plan knows it: read as is, because an ARN known only
    after apply (a bucket created in the same plan) must not make the enabled rule undecided."""
    item: Any = holder.body
    for step in rule:
        if isinstance(item, dict):
            item = item.get(step)
        elif isinstance(item, list) and isinstance(step, int) and step < len(item):
            item = item[step]
        else:
            return None
    return _name_of(item)


def _name_of(rule: Any) -> str | None:
    if not isinstance(rule, dict):
        return None
    target = block(rule.get("destination") or rule.get("destinations"))  # Pulumi BucketV2: destinations
    arn = target.get("bucket") if target else None
    return arn.rsplit(":", 1)[-1] if isinstance(arn, str) and arn else None


def _destinations(buckets: list[Resource], configs: list[Resource]) -> frozenset[str]:
    """Names of the buckets some replication rule in the scan copies to (other than the source itself),
    read as is: an unknown value is simply not a known destination."""
    found: set[str | None] = set()
    for config in configs:
        if live(config):
            names = {_name_of(rule) for key in ("rule", "rules") for rule in blocks(config.body.get(key))}
            found.update(names - {config.body.get("bucket")})
    for bucket in buckets:
        for key in ("replication_configuration", "replication_configurations"):
            for configuration in blocks(bucket.body.get(key)):
                names = {_name_of(rule) for k in ("rules", "rule") for rule in blocks(configuration.get(k))}
                found.update(names - {bucket.body.get("bucket")})
    return frozenset(name for name in found if name)


def _region(bucket: Resource) -> str | None:
    """The region the plan knows the bucket in (existing buckets, provider 6 `region`); read as is: an
    unknown region means only that the same-region refinement cannot be made."""
    region = bucket.body.get("region")
    return region if isinstance(region, str) and region else None


def _by_name(buckets: list[Resource]) -> dict[str, str]:
    found: dict[str, str] = {}
    for bucket in buckets:
        name, region = bucket.body.get("bucket"), _region(bucket)
        if isinstance(name, str) and region:
            found[name] = region
    return found
