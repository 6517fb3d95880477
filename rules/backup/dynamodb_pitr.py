"""DynamoDB tables have point-in-time recovery enabled.

Without point-in-time recovery a table written wrong (a bad deploy, a script run against the wrong
table) can only be restored from an on-demand backup, if one exists; with it, any second of the last
35 days (or `recovery_period_in_days`) can be restored. Blocks in production, warns in staging.

Passes (production)::

    resource "aws_dynamodb_table" "sessions" {
      point_in_time_recovery { enabled = true }
    }

Fails (production)::

    resource "aws_dynamodb_table" "sessions" { name = "erp-prod-sessions" }   # no point_in_time_recovery
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import display_name, find, is_true, live, where
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="backup.dynamodb-pitr",
    domain="backup",
    title="DynamoDB table has no point-in-time recovery",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="off", sandbox="off"),
    remediation="Add point_in_time_recovery { enabled = true } to the aws_dynamodb_table (Pulumi: "
    "pointInTimeRecovery: { enabled: true }).",
    kinds=("aws_dynamodb_table",),
    platforms=CLOUD,
    controls=("backups: database point-in-time recovery",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if not live(resource):
        return
    enabled, path = find(resource, "point_in_time_recovery", "enabled")
    if not is_true(enabled):
        state = "point_in_time_recovery.enabled is false" if enabled is not None else "no point_in_time_recovery"
        yield Violation(f"DynamoDB table {display_name(resource)}: {state}", where(path))
