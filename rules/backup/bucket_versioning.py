"""Backup and data buckets keep object versions, so an overwrite or delete can be undone.

Without versioning, a `PUT` over `erp-backups/odoo/2026-11-22.dump` or a `DELETE` by a compromised
key is final. Checked on AWS `aws_s3_bucket` (an `aws_s3_bucket_versioning` resource attached to it
with `status = "Enabled"`, or the inline `versioning { enabled = true }`) and Google
`google_storage_bucket` (`versioning { enabled = true }`). Every bucket is judged except those with
an `exempt_words` word (log, logs, logging, tmp, temp, scratch, cache) in their name, address or
purpose tags, unless they also look like backup buckets (see `govscan.rules._lib.cloud_backup`).
With AWS provider 4+ a new bucket's inline `versioning` is known only after apply: attach an
`aws_s3_bucket_versioning` resource to get a verdict at plan time.

Passes (production)::

    resource "aws_s3_bucket_versioning" "backups" {
      bucket = aws_s3_bucket.backups.id
      versioning_configuration { status = "Enabled" }
    }

Fails (production)::

    resource "aws_s3_bucket_versioning" "backups" {
      bucket = aws_s3_bucket.backups.id
      versioning_configuration { status = "Suspended" }
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import (
    BUCKETS,
    BackupBuckets,
    bucket_name,
    configured_by,
    find,
    has_word,
    is_backup_bucket,
    is_true,
    live,
    where,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

VERSIONING = "aws_s3_bucket_versioning"


@dataclass(frozen=True)
class Options(BackupBuckets):
    exempt_words: tuple[str, ...] = ("log", "logs", "logging", "tmp", "temp", "scratch", "cache")


RULE = RuleMeta(
    id="backup.bucket-versioning",
    domain="backup",
    title="Bucket does not keep object versions",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation='Add an aws_s3_bucket_versioning resource with versioning_configuration { status = "Enabled" } '
    "for the bucket (Pulumi: aws.s3.BucketVersioningV2), or versioning { enabled = true } on a "
    "google_storage_bucket.",
    kinds=BUCKETS,
    platforms=CLOUD,
    controls=("backups: immutable or versioned copies",),
    options=Options(),
    needs=(VERSIONING,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if not live(resource):
        return
    if has_word(resource, options.exempt_words, options.purpose_tags) and not is_backup_bucket(resource, options):
        return
    name = bucket_name(resource)
    if resource.kind == "aws_s3_bucket":
        separate = configured_by(resource, ctx, VERSIONING)
        off = []
        for config in separate:
            status, _ = find(config, "versioning_configuration", "status")
            if isinstance(status, str) and status.lower() == "enabled":
                return
            off.append(f"{config.uid} sets status {status or 'unset'}")
        if off:
            yield Violation(f'bucket "{name}" is not versioned: {"; ".join(off)}', "")
            return
    value, path = find(resource, "versioning", "enabled")  # Pulumi BucketV2: versionings
    if not is_true(value):
        state = "versioning.enabled is false" if value is not None else "no versioning is configured"
        yield Violation(f'bucket "{name}" is not versioned: {state}', where(path))
