"""Production backup buckets are immutable: Object Lock (or a Google retention policy) keeps every copy for a set time.

Versioning alone does not stop someone holding the bucket owner's keys (ransomware, a leaked CI
credential) from deleting every version. S3 Object Lock with a default retention rule refuses those
deletes until the retention runs out; Google's bucket retention policy does the same. Only backup
buckets are judged (name, address or purpose tag matching `backup_patterns`: `*backup*`, `*velero*`,
`*snapshot*`, `*archive*`; see `govscan.rules._lib.cloud_backup`), so log and asset buckets are not
flagged. Checked on AWS `aws_s3_bucket`: an attached `aws_s3_bucket_object_lock_configuration`, or
`object_lock_enabled = true` / inline `object_lock_configuration { object_lock_enabled = "Enabled" }`;
with `require_default_retention` (the default) a `rule { default_retention { mode, days or years } }`
is needed too, since without it objects are only locked when the writer asks. On Google
`google_storage_bucket`: `retention_policy { retention_period }` above zero.

Passes (production)::

    resource "aws_s3_bucket" "backups" { bucket = "erp-backups", object_lock_enabled = true }
    resource "aws_s3_bucket_object_lock_configuration" "backups" {
      bucket = aws_s3_bucket.backups.id
      rule { default_retention { mode = "COMPLIANCE", days = 30 } }
    }

Fails (production)::

    resource "aws_s3_bucket" "backups" { bucket = "erp-backups" }   # no Object Lock
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import (
    BUCKETS,
    BackupBuckets,
    Path,
    bucket_name,
    configured_by,
    find,
    integer,
    is_backup_bucket,
    is_true,
    live,
    where,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

LOCK = "aws_s3_bucket_object_lock_configuration"


@dataclass(frozen=True)
class Options(BackupBuckets):
    require_default_retention: bool = True


RULE = RuleMeta(
    id="backup.bucket-object-lock",
    domain="backup",
    title="Backup bucket has no Object Lock: its copies can be deleted",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Set object_lock_enabled = true on the aws_s3_bucket and add an "
    'aws_s3_bucket_object_lock_configuration with rule { default_retention { mode = "COMPLIANCE", days = 30 } } '
    "(Pulumi: objectLockEnabled and aws.s3.BucketObjectLockConfigurationV2); on a google_storage_bucket add "
    "retention_policy { retention_period = 2592000 }.",
    kinds=BUCKETS,
    platforms=CLOUD,
    controls=("backups: immutable or versioned copies",),
    options=Options(),
    needs=(LOCK,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if not live(resource) or not is_backup_bucket(resource, options):
        return
    name = bucket_name(resource)
    if resource.kind == "google_storage_bucket":
        period, path = find(resource, "retention_policy", "retention_period")
        if not (integer(period) or 0) > 0:
            yield Violation(f'backup bucket "{name}" has no retention policy: its objects can be deleted', where(path))
        return
    for config in configured_by(resource, ctx, LOCK):
        if not options.require_default_retention or _retains(config, ()):
            return
        yield Violation(
            f'backup bucket "{name}": {config.uid} sets no default retention, so objects are only locked when '
            "the writer asks",
            "",
        )
        return
    enabled, path = find(resource, "object_lock_enabled")  # provider 4+, Pulumi BucketV2: decides alone
    if enabled is None:  # provider 3, Pulumi Bucket: object_lock_configuration { object_lock_enabled = "Enabled" }
        enabled, path = find(resource, "object_lock_configuration", "object_lock_enabled")
    if not is_true(enabled):
        yield Violation(
            f'backup bucket "{name}" has no Object Lock: its backups can be deleted by anyone holding its keys',
            where(path),
        )
        return
    configuration, configuration_path = find(resource, "object_lock_configuration")
    if options.require_default_retention and not (configuration is not None and _retains(resource, configuration_path)):
        yield Violation(
            f'backup bucket "{name}" has Object Lock but no default retention rule: objects are only locked when '
            "the writer asks",
            where(configuration_path),
        )


def _retains(resource: Resource, under: Path) -> bool:
    """Whether `resource` (at `under`) has a default retention rule with a mode and a period."""
    mode, _ = find(resource, *under, "rule", "default_retention", "mode")
    days, _ = find(resource, *under, "rule", "default_retention", "days")
    years, _ = find(resource, *under, "rule", "default_retention", "years")
    return bool(mode) and ((integer(days) or 0) > 0 or (integer(years) or 0) > 0)
