"""Production databases have deletion protection on, so one API call or `terraform destroy` cannot drop them.

Deletion protection makes the cloud refuse to delete the database until someone turns it off in a
separate, reviewable change: the last line of defence against a wrong workspace, a renamed resource
or a cleanup script. Checked: `deletion_protection` on RDS `aws_db_instance` (read replicas skipped),
Aurora `aws_rds_cluster`, DocumentDB and Neptune clusters (unset means off) and on Cloud SQL
`google_sql_database_instance` (unset means the provider default, on); `deletion_protection_enabled`
on DynamoDB `aws_dynamodb_table` (unset means off).

Passes (production)::

    resource "aws_db_instance" "erp" { deletion_protection = true }

Fails (production)::

    resource "aws_rds_cluster" "erp" { deletion_protection = false }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import RDS_FAMILY, display_name, find, is_set, is_true, live, where
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

ATTRIBUTE = {"aws_dynamodb_table": "deletion_protection_enabled"}
"""The attribute per type when it is not `deletion_protection`."""
ON_BY_DEFAULT = frozenset({"google_sql_database_instance"})

RULE = RuleMeta(
    id="backup.db-deletion-protection",
    domain="backup",
    title="Database can be deleted without first turning deletion protection off",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Set deletion_protection = true (RDS, Aurora, DocumentDB, Neptune, Cloud SQL) or "
    "deletion_protection_enabled = true (DynamoDB); turn it off only in the change that deletes the database.",
    kinds=(*RDS_FAMILY, "google_sql_database_instance", "aws_dynamodb_table"),
    platforms=CLOUD,
    controls=("backups: protect production data from deletion",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if not live(resource):
        return
    if is_set(resource, "replicate_source_db") or is_set(resource, "master_instance_name"):
        return  # a read replica holds no data of its own
    key = ATTRIBUTE.get(resource.kind, "deletion_protection")
    value, path = find(resource, key)
    if value is None and resource.kind in ON_BY_DEFAULT:
        return
    if not is_true(value):
        state = "is off" if value is not None else "is not set (off)"
        yield Violation(f"{resource.kind} {display_name(resource)}: {key} {state}", where(path))
