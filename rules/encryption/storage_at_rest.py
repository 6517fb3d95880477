"""Databases, volumes, file systems and snapshots are encrypted at rest.

Unencrypted storage leaks data through every snapshot, replica and discarded disk, and it cannot be
fixed in place: encryption is chosen when the storage is created, so turning it on later replaces
the database or volume. Judged: `storage_encrypted` on aws_db_instance, aws_rds_cluster (Aurora
Serverless v1 is always encrypted), aws_docdb_cluster and aws_neptune_cluster; `encrypted` on
aws_redshift_cluster, aws_ebs_volume, aws_efs_file_system, aws_db_snapshot and aws_db_snapshot_copy
(a copy given a `kms_key_id` is encrypted); and every root and EBS block device that an aws_instance,
aws_launch_template or aws_launch_configuration configures.

Decisions: DynamoDB tables and Google Compute disks are not judged, because they are always
encrypted at rest (with an AWS-owned or Google-managed key when no customer key is given), which
meets this standard; requiring customer-managed keys is a key-management control, not this one. A
read replica or a restore from a snapshot inherits its source's encryption: unless it sets
`storage_encrypted = true` itself it is not evaluated. Terraform shows an `encrypted` left unset on
a new volume as known only after apply (the account's EBS encryption-by-default decides), so such a
volume is not evaluated either: set the attribute explicitly.

Passes (production)::

    resource "aws_db_instance" "erp" { storage_encrypted = true }

Fails (production)::

    resource "aws_ebs_volume" "odoo_filestore" { encrypted = false }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import Path, block_at, blocks_at, enabled, field, is_set
from govscan.scanner.context import Context
from govscan.scanner.model import (
    Action,
    NotEvaluated,
    Resource,
    RuleMeta,
    Severity,
    Violation,
    enforcement_table,
)

FLAGS = {
    "aws_db_instance": ("storage_encrypted", "the database's storage, backups and snapshots are"),
    "aws_rds_cluster": ("storage_encrypted", "the cluster's storage, backups and snapshots are"),
    "aws_docdb_cluster": ("storage_encrypted", "the cluster's storage, backups and snapshots are"),
    "aws_neptune_cluster": ("storage_encrypted", "the cluster's storage, backups and snapshots are"),
    "aws_redshift_cluster": ("encrypted", "the warehouse's storage and snapshots are"),
    "aws_ebs_volume": ("encrypted", "the volume and its snapshots are"),
    "aws_efs_file_system": ("encrypted", "the file system is"),
    "aws_db_snapshot": ("encrypted", "the snapshot is"),
    "aws_db_snapshot_copy": ("encrypted", "the snapshot copy is"),
}
"""Kind -> (the attribute that must be true, what is left unencrypted otherwise)."""

SOURCES = {
    "aws_db_instance": (
        ("replicate_source_db", True),
        ("snapshot_identifier", False),
        ("restore_to_point_in_time", True),
    ),
    "aws_rds_cluster": (
        ("replication_source_identifier", True),
        ("snapshot_identifier", False),
        ("restore_to_point_in_time", True),
    ),
    "aws_docdb_cluster": (("snapshot_identifier", False),),
    "aws_neptune_cluster": (("replication_source_identifier", True), ("snapshot_identifier", False)),
    "aws_redshift_cluster": (("snapshot_identifier", False),),
}
"""Attributes that make the resource inherit its source's encryption, and whether a value unknown until
apply means the attribute is set (plain attributes) or says nothing (snapshot_identifier is computed
by some provider versions, so unknown is its usual state when unset)."""

DEVICE_KINDS = ("aws_instance", "aws_launch_template", "aws_launch_configuration")
UNSET_MEANS = {
    "aws_ebs_volume": "the account's EBS encryption-by-default decides, which no plan shows",
    "aws_efs_file_system": "it defaults to false",
}

RULE = RuleMeta(
    id="encryption.storage-at-rest",
    domain="encryption",
    title="Database, volume, file system or snapshot is not encrypted at rest",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="info", sandbox="info"),
    remediation="Set storage_encrypted = true (aws_db_instance, aws_rds_cluster, aws_docdb_cluster, "
    "aws_neptune_cluster) or encrypted = true (aws_ebs_volume, aws_efs_file_system, aws_redshift_cluster, root and "
    'EBS block devices; encrypted = "true" in a launch template\'s ebs block), optionally with kms_key_id. Existing '
    "storage is replaced by that change: snapshot it, copy the snapshot with encryption, restore from the copy.",
    kinds=tuple(sorted([*FLAGS, *DEVICE_KINDS])),
    platforms=CLOUD,
    controls=("encryption: data at rest",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation | NotEvaluated]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind in DEVICE_KINDS:
        yield from _devices(resource)
        return
    attribute, what = FLAGS[resource.kind]
    if resource.kind == "aws_rds_cluster" and get(resource, "engine_mode") == "serverless":
        return  # Aurora Serverless v1 storage is always encrypted
    if resource.kind == "aws_db_snapshot_copy" and get(resource, "kms_key_id"):
        return  # copied with encryption under this key
    value = enabled(get(resource, attribute))
    if value:
        return
    for source, unknown_is_set in SOURCES.get(resource.kind, ()):
        if is_set(resource, source) if unknown_is_set else _known(resource, source):
            yield NotEvaluated(f"{source} is set: the encryption follows the source, which this rule does not read")
            return
    if resource.kind in ("aws_db_snapshot", "aws_db_snapshot_copy") and value is None:
        yield NotEvaluated("the plan does not show whether the snapshot is encrypted (it follows its source)")
        return
    if value is None:
        why = UNSET_MEANS.get(resource.kind, "it defaults to false")
        at = pointer(attribute) if attribute in resource.body else ""
        yield Violation(f"{attribute} is not set ({why}): {what} not known to be encrypted at rest", at)
    else:
        yield Violation(f"{attribute} is false: {what} not encrypted at rest", pointer(attribute))


def _known(resource: Resource, attribute: str) -> bool:
    """A known, non-empty value (unknown counts as unset: see SOURCES)."""
    change = resource.change
    return not (change is not None and change.is_unknown(pointer(attribute))) and is_set(resource, attribute)


def _devices(resource: Resource) -> Iterator[Violation]:
    """Every block device the instance or template configures; known blocks are read before unknown
    ones, so a finding on one device is not lost when another is known only after apply."""
    if resource.kind == "aws_launch_template":
        for path, mapping in blocks_at(resource, "block_device_mappings"):
            if mapping.get("no_device") or mapping.get("virtual_name"):
                continue  # suppressed device or instance store
            ebs = block_at(resource, *path, "ebs")
            if ebs is not None:
                yield from _device(resource, ebs[0], f"block device {mapping.get('device_name') or path[-1]}")
        return
    names = [field(resource.body, "ebs_block_device"), "root_block_device"]
    change = resource.change
    names.sort(key=lambda name: change is not None and change.is_unknown(pointer(name)))
    for name in names:
        for path, device in blocks_at(resource, name):
            label = name if name == "root_block_device" else f"{name} {device.get('device_name') or path[-1]}"
            yield from _device(resource, path, label)


def _device(resource: Resource, path: Path, label: str) -> Iterator[Violation]:
    value = enabled(get(resource, *path, "encrypted"))
    if value:
        return
    device = get(resource, *path)
    where = pointer(*path, "encrypted") if isinstance(device, dict) and "encrypted" in device else pointer(*path)
    if value is False:
        yield Violation(f"{label}: encrypted is false, the volume is not encrypted at rest", where)
    else:
        yield Violation(f"{label}: encrypted is not set ({UNSET_MEANS['aws_ebs_volume']})", where)
