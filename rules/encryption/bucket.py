"""Buckets declare default encryption, under a KMS key (SSE-KMS) in production.

Since January 2023 AWS encrypts every S3 object with S3-managed keys (SSE-S3) when nothing else is
configured, so "no encryption" no longer happens. What SSE-S3 does not give is control: anyone who
can read the bucket can read the data, no key policy narrows it, and CloudTrail shows no key usage.
Decision: in production (the `kms_tiers` option) the bucket's default encryption must be `aws:kms`
or `aws:kms:dsse` (with `kms_master_key_id` for a customer-managed key; without it, the AWS-managed
`aws/s3` key), set inline (`server_side_encryption_configuration`) or by a separate
aws_s3_bucket_server_side_encryption_configuration attached to the bucket; in other tiers AWS's
implicit SSE-S3 is accepted, unless `accept_aws_default` is false, which asks every bucket to declare
its default encryption (SSE-S3 or KMS). Google Cloud Storage always encrypts; in `kms_tiers` a
google_storage_bucket needs `encryption.default_kms_key_name` (a key created in the same plan, whose
name is known only after apply, counts: the attribute is set).

A provider-4+ plan shows the inline block as known after apply whenever the configuration leaves it
out; with no separate configuration attached, such a bucket is judged as having AWS's default.

Passes (production)::

    resource "aws_s3_bucket_server_side_encryption_configuration" "erp_backups" {
      bucket = aws_s3_bucket.erp_backups.id
      rule { apply_server_side_encryption_by_default { sse_algorithm = "aws:kms" } }
    }

Fails (production)::

    resource "aws_s3_bucket" "erp_backups" { bucket = "erp-prod-backups" }  # SSE-S3 only
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import Path, attachments, block_at, blocks_at, in_tiers, inline_blocks, is_set
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Action, Resource, RuleMeta, Severity, Violation, enforcement_table

SSE_CONFIGURATION = "aws_s3_bucket_server_side_encryption_configuration"
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


@dataclass(frozen=True)
class Options:
    kms_tiers: tuple[str, ...] = ("production",)
    """Tiers whose buckets must use a KMS key (SSE-KMS / Cloud KMS), not the provider-managed default."""
    accept_aws_default: bool = True
    """Outside kms_tiers, whether AWS's implicit SSE-S3 counts; false asks for a declared configuration."""


RULE = RuleMeta(
    id="encryption.bucket",
    domain="encryption",
    title="Bucket default encryption is missing or not under a KMS key",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Attach an aws_s3_bucket_server_side_encryption_configuration to the bucket with rule { "
    'apply_server_side_encryption_by_default { sse_algorithm = "aws:kms", kms_master_key_id = <key ARN> } } '
    "(bucket_key_enabled = true keeps KMS costs down); for Google Cloud Storage set "
    "encryption { default_kms_key_name = <crypto key id> }.",
    kinds=("aws_s3_bucket", "google_storage_bucket"),
    platforms=CLOUD,
    controls=("encryption: data at rest", "encryption: customer-managed keys"),
    options=Options(),
    needs=(TIER, SSE_CONFIGURATION),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    need_kms = in_tiers(ctx, resource, options.kms_tiers)
    if resource.kind == "google_storage_bucket":
        if need_kms and not _google_kms(resource):
            yield Violation("no encryption.default_kms_key_name: objects use Google-managed keys, not a KMS key", "")
        return
    if not need_kms and options.accept_aws_default:
        return  # every bucket has at least SSE-S3
    configured = _algorithms(resource, ctx)
    if not configured:
        if need_kms:
            yield Violation("no default encryption configured: the bucket gets only AWS's SSE-S3, not a KMS key", "")
        else:
            yield Violation(f"no default encryption configured (inline, or an attached {SSE_CONFIGURATION})", "")
        return
    if need_kms:
        for where, at, algorithm in configured:
            if algorithm not in KMS_ALGORITHMS:
                yield Violation(f"default encryption {where} is {algorithm}, not a KMS key (aws:kms)", at)


def _google_kms(resource: Resource) -> bool:
    found = block_at(resource, "encryption")
    return found is not None and is_set(resource, *found[0], "default_kms_key_name")


def _algorithms(resource: Resource, ctx: Context) -> list[tuple[str, str, str]]:
    """(where, pointer in this bucket, sse_algorithm) of every default-encryption rule that applies:
    the attached configurations' or, when none is attached, the inline block's."""
    found: list[tuple[str, str, str]] = []
    for other in attachments(ctx, SSE_CONFIGURATION, "bucket")(resource):
        if action(other) is not Action.DELETE:
            found += [(f"in {other.kind} {other.name}", "", algorithm) for _, algorithm in _defaults(other, ())]
    if found:
        return found
    for path, _ in inline_blocks(resource, "server_side_encryption_configuration"):
        found += [("(inline)", at, algorithm) for at, algorithm in _defaults(resource, path)]
    return found


def _defaults(owner: Resource, path: Path) -> Iterator[tuple[str, str]]:
    """(pointer, sse_algorithm) of each rule's apply_server_side_encryption_by_default under `path`."""
    for rule_path, _ in blocks_at(owner, *path, "rule"):
        for default_path, _ in blocks_at(owner, *rule_path, "apply_server_side_encryption_by_default"):
            algorithm = get(owner, *default_path, "sse_algorithm")
            if isinstance(algorithm, str) and algorithm:
                yield pointer(*default_path, "sse_algorithm"), algorithm
