"""Backup buckets have lifecycle rules, and none of them deletes a backup before the tier's retention.

A lifecycle rule that expires objects after 7 days in a bucket that should hold 30 days of Odoo
dumps silently shortens every backup's life, and a missing lifecycle lets backups (and, with
versioning, every overwritten copy) pile up forever with nobody deciding how long they are kept.
Minimum days per tier (`min_days`): production 30, staging 7, qa and development 1, sandbox none.
Only backup buckets are judged (see `backup.bucket-object-lock` and `govscan.rules._lib.cloud_backup`).

Checked on AWS `aws_s3_bucket` (an attached `aws_s3_bucket_lifecycle_configuration`, else the inline
`lifecycle_rule`): every enabled rule's `expiration.days` and noncurrent version expiration
(`noncurrent_days`, inline `days`) must be at least the minimum, and an expiration `date` deletes every
object on that day, whatever its age. On Google `google_storage_bucket`: `lifecycle_rule`s whose action
is `Delete`, by `age` or `days_since_noncurrent_time`. With `require_lifecycle` (the default) a backup
bucket without any enabled rule fails too. Rules are judged whatever their prefix filter: waive one
that only cleans a scratch prefix.

Passes (production)::

    rule {
      id = "expire-old-backups", status = "Enabled"
      expiration { days = 90 }
      noncurrent_version_expiration { noncurrent_days = 30 }
    }

Fails (production)::

    rule { id = "expire", status = "Enabled", expiration { days = 7 } }
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import (
    BUCKETS,
    BackupBuckets,
    Path,
    bucket_name,
    configured_by,
    default_min_days,
    each,
    find,
    integer,
    is_backup_bucket,
    live,
    min_days,
    where,
)
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Violation, enforcement_table

LIFECYCLE = "aws_s3_bucket_lifecycle_configuration"


@dataclass(frozen=True)
class Options(BackupBuckets):
    min_days: Mapping[str, int] = field(default_factory=default_min_days)
    require_lifecycle: bool = True


RULE = RuleMeta(
    id="backup.bucket-lifecycle",
    domain="backup",
    title="Backup bucket lifecycle is missing or deletes backups too early",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Give the backup bucket an aws_s3_bucket_lifecycle_configuration (Google: lifecycle_rule) whose "
    "expiration { days } and noncurrent_version_expiration { noncurrent_days } are at least the tier's retention "
    "(30 in production); remove expiration by date.",
    kinds=BUCKETS,
    platforms=CLOUD,
    controls=("backups: retention per tier",),
    options=Options(),
    needs=(TIER, LIFECYCLE),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if not live(resource) or not is_backup_bucket(resource, options):
        return
    tier = ctx.tier_of(resource)
    minimum = min_days(options.min_days, tier)
    name = bucket_name(resource)
    if resource.kind == "google_storage_bucket":
        found = yield from _google(resource, name, minimum, tier.value)
    else:
        found = False
        separate = configured_by(resource, ctx, LIFECYCLE)
        for holder in separate or [resource]:  # a lifecycle resource replaces the inline rules
            defines = yield from _aws(holder, resource, name, minimum, tier.value)
            found = found or defines
    if not found and options.require_lifecycle and minimum > 0:
        yield Violation(
            f'backup bucket "{name}" has no enabled lifecycle rule: nothing decides how long its backups (and '
            "their old versions) are kept",
            "",
        )


def _too_soon(days: int | None, minimum: int) -> bool:
    return days is not None and 0 < days < minimum


def _aws(holder: Resource, bucket: Resource, name: str, minimum: int, tier: str) -> Generator[Violation, None, bool]:
    """Violations of the lifecycle rules `holder` (the bucket, or a lifecycle resource) defines; returns
    whether it defines any enabled rule. Pointers only point into the bucket's own body."""
    separate = holder is not bucket
    found = False
    for rule in each(holder, "rule", "rules") if separate else each(holder, "lifecycle_rule", "lifecycle_rules"):
        if not _enabled(holder, rule, separate):
            continue
        found = True
        label, _ = find(holder, *rule, "id")
        whose = f'{holder.uid} rule "{label or "?"}"' if separate else f'lifecycle rule "{label or "?"}"'
        date, date_path = find(holder, *rule, "expiration", "date")
        if date:
            yield Violation(
                f'backup bucket "{name}": {whose} expires every object on {date}, whatever its age',
                "" if separate else where(date_path),
            )
        days, days_path = find(holder, *rule, "expiration", "days")
        if _too_soon(integer(days), minimum):
            yield Violation(
                f'backup bucket "{name}": {whose} deletes objects after {days} day(s); {tier} keeps backups at '
                f"least {minimum} days",
                "" if separate else where(days_path),
            )
        key = "noncurrent_days" if separate else "days"
        old, old_path = find(holder, *rule, "noncurrent_version_expiration", key)
        if _too_soon(integer(old), minimum):
            yield Violation(
                f'backup bucket "{name}": {whose} deletes overwritten versions after {old} day(s); {tier} keeps '
                f"backups at least {minimum} days",
                "" if separate else where(old_path),
            )
    return found


def _enabled(holder: Resource, rule: Path, separate: bool) -> bool:
    if separate:
        status, _ = find(holder, *rule, "status")
        return isinstance(status, str) and status.lower() == "enabled"
    enabled, _ = find(holder, *rule, "enabled")
    return enabled is True


def _google(resource: Resource, name: str, minimum: int, tier: str) -> Generator[Violation, None, bool]:
    found = False
    for rule in each(resource, "lifecycle_rule", "lifecycle_rules"):
        found = True
        kind, _ = find(resource, *rule, "action", "type")
        if kind != "Delete":
            continue
        for key, what in (("age", "objects"), ("days_since_noncurrent_time", "overwritten versions")):
            days, path = find(resource, *rule, "condition", key)
            if _too_soon(integer(days), minimum):
                yield Violation(
                    f'backup bucket "{name}": a lifecycle rule deletes {what} after {days} day(s) ({key}); {tier} '
                    f"keeps backups at least {minimum} days",
                    where(path),
                )
    return found
