"""Every S3 bucket has a public access block with all four flags on (or the account has one), and no public ACL.

One `public-read` ACL or one bucket policy with `"Principal": "*"` publishes every object: Odoo
attachments (`odoo-filestore`), database dumps (`erp-backups`), invoices. S3 Block Public Access
overrides both, whatever ACL or policy is added later by hand: set `block_public_acls`,
`block_public_policy`, `ignore_public_acls` and `restrict_public_buckets` to true in an
`aws_s3_bucket_public_access_block` for the bucket, or once for the account with
`aws_s3_account_public_access_block`. Public canned ACLs (`public-read`, `public-read-write`,
`authenticated-read`) on the bucket or an `aws_s3_bucket_acl`, and grants to the AllUsers /
AuthenticatedUsers groups, fail too. An ACL known only after apply does not decide anything (a
complete block ignores public ACLs, and without one the bucket fails anyway); flags known only after
apply leave the bucket not evaluated. A public website bucket gets a waiver with an owner.

Passes::

    resource "aws_s3_bucket_public_access_block" "erp_backups" {
      bucket                  = aws_s3_bucket.erp_backups.id
      block_public_acls       = true
      block_public_policy     = true
      ignore_public_acls      = true
      restrict_public_buckets = true
    }

Fails (production)::

    resource "aws_s3_bucket" "odoo_filestore" { bucket = "odoo-filestore" }   # no public access block
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, action, blocks, get
from govscan.rules._lib.cloud_network import Attachments
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Platform, Resource, RuleMeta, Severity, Violation, enforcement_table

FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GROUPS = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
PAB = "aws_s3_bucket_public_access_block"
ACCOUNT_PAB = "aws_s3_account_public_access_block"
ACL = "aws_s3_bucket_acl"

RULE = RuleMeta(
    id="network.bucket-public-access-block",
    domain="network",
    title="S3 bucket without a complete public access block, or with a public ACL",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="info"),
    remediation="Add an aws_s3_bucket_public_access_block for the bucket (bucket = aws_s3_bucket.<name>.id) with "
    "block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all = true, or an "
    'aws_s3_account_public_access_block with the same four flags; set acl to "private" (or remove it and '
    "the aws_s3_bucket_acl) and serve public files through CloudFront with origin access control.",
    kinds=("aws_s3_bucket",),
    platforms=CLOUD,
    controls=("security: no public data stores", "CIS AWS 2.1.4"),
    needs=(PAB, ACCOUNT_PAB, ACL),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    yield from _public_acls(resource, ctx)
    account = [a for a in ctx.of_kind(ACCOUNT_PAB) if action(a) is not Action.DELETE]
    if any(not _missing_flags(a) for a in account):
        return
    blocks_ = [p for p in Attachments.of(ctx, PAB, "bucket").to(resource) if action(p) is not Action.DELETE]
    if not blocks_:
        yield Violation(f"bucket {_name(resource)} has no {PAB} (and the plan has no complete account-level one)")
        return
    gaps = [(p, _missing_flags(p)) for p in blocks_]
    if all(missing for _, missing in gaps):
        block, missing = gaps[0]
        yield Violation(f"bucket {_name(resource)}: {_ref(block)} does not set {', '.join(missing)} to true")


def _missing_flags(block: Resource) -> list[str]:
    return [flag for flag in FLAGS if get(block, flag) is not True]


def _public_acls(bucket: Resource, ctx: Context) -> Iterator[Violation]:
    """Known public ACLs and grants on the bucket and its aws_s3_bucket_acl resources (unknown ones are
    left to the public access block, which ignores public ACLs when complete)."""
    for holder in [bucket, *Attachments.of(ctx, ACL, "bucket").to(bucket)]:
        if action(holder) is Action.DELETE:
            continue
        where = "" if holder is bucket else f"{_ref(holder)}: "
        acl = _known(holder, "acl")
        if isinstance(acl, str) and acl.lower() in PUBLIC_ACLS:
            yield Violation(
                f"bucket {_name(bucket)}: {where}canned ACL {acl} makes objects public",
                "/acl" if holder is bucket else "",
            )
        for uri, pointer in _public_grants(holder):
            group = uri.rsplit("/", 1)[-1]
            yield Violation(
                f"bucket {_name(bucket)}: {where}grants access to {group}", pointer if holder is bucket else ""
            )


def _public_grants(holder: Resource) -> Iterator[tuple[str, str]]:
    """(grantee URI, pointer) of grants to AllUsers / AuthenticatedUsers: the bucket's `grant` blocks and an
    aws_s3_bucket_acl's access_control_policy."""
    found: list[tuple[object, str]] = []
    for i, grant in enumerate(blocks(_known(holder, "grant"))):
        found.append((grant.get("uri"), f"/grant/{i}"))
    for policy in blocks(_known(holder, "access_control_policy"))[:1]:
        for i, grant in enumerate(blocks(policy.get("grant"))):
            for grantee in blocks(grant.get("grantee")):
                found.append((grantee.get("uri"), f"/access_control_policy/0/grant/{i}"))
    for uri, pointer in found:
        if isinstance(uri, str) and any(group in uri for group in PUBLIC_GROUPS):
            yield uri, pointer


def _known(resource: Resource, key: str) -> object:
    """`key`'s value, or None when known only after apply (see `_public_acls`)."""
    if resource.change is not None and resource.change.is_unknown("/" + key):
        return None
    return get(resource, key)


def _name(bucket: Resource) -> str:
    name = bucket.body.get("bucket")
    return str(name) if isinstance(name, str) and name else bucket.name


def _ref(other: Resource) -> str:
    """How a message names another resource: its Terraform address, or its Pulumi type and name."""
    return other.uid if other.platform is Platform.TERRAFORM else f"{other.kind} {other.name}"
