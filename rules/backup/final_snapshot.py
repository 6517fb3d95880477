"""Production RDS and Aurora databases take a named final snapshot when they are deleted.

`skip_final_snapshot = true` means deleting the database (a destroy, a replacement forced by an
attribute change) leaves nothing to restore from: automated backups go with the instance unless
retained. With `skip_final_snapshot = false` AWS also needs a `final_snapshot_identifier`, otherwise
the destroy fails and the usual workaround under pressure is to flip skip_final_snapshot to true.
Checked on `aws_db_instance` (read replicas skipped), `aws_rds_cluster`, `aws_docdb_cluster` and
`aws_neptune_cluster`. An identifier known only after apply (`"erp-prod-final-${timestamp()}"`) counts
as set.

Passes (production)::

    resource "aws_db_instance" "erp" {
      skip_final_snapshot       = false
      final_snapshot_identifier = "erp-prod-final"
    }

Fails (production)::

    resource "aws_rds_cluster" "erp" { skip_final_snapshot = true }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import RDS_FAMILY, display_name, find, is_set, is_true, live, where
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="backup.final-snapshot",
    domain="backup",
    title="Deleting the database would not leave a final snapshot",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation='Set skip_final_snapshot = false and final_snapshot_identifier = "<identifier>-final" (Pulumi: '
    "skipFinalSnapshot: false, finalSnapshotIdentifier).",
    kinds=RDS_FAMILY,
    platforms=CLOUD,
    controls=("backups: snapshot before deletion",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if not live(resource) or is_set(resource, "replicate_source_db"):
        return
    skip, path = find(resource, "skip_final_snapshot")
    if is_true(skip):
        yield Violation(
            f"{resource.kind} {display_name(resource)} sets skip_final_snapshot = true: deleting it leaves no snapshot",
            where(path),
        )
    elif not is_set(resource, "final_snapshot_identifier"):
        yield Violation(
            f"{resource.kind} {display_name(resource)} sets no final_snapshot_identifier: a delete fails (or gets "
            "skip_final_snapshot = true added in a hurry)",
            "",
        )
