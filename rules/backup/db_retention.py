"""Managed databases keep automated backups at least as many days as their tier requires.

Automated backups are what a point-in-time restore starts from: with 7 days of them, a corruption
found at month end (a bad Odoo migration, a wrong mass update) has no good copy left. Minimum days per
tier (`min_days`): production 30, staging 7, qa and development 1, sandbox none. Checked:

- AWS RDS `aws_db_instance`, Aurora `aws_rds_cluster` (and DocumentDB / Neptune clusters):
  `backup_retention_period` (unset means AWS's default of 1 day; 0 turns backups off). Read replicas
  (`replicate_source_db`) are skipped: their source holds the backups.
- Google `google_sql_database_instance`: `settings.backup_configuration.enabled`,
  `backup_retention_settings.retained_backups` (daily backups, default 7) and, in the `strict_tiers`
  (production), point-in-time recovery (`point_in_time_recovery_enabled`; `binary_log_enabled` for
  MySQL) with `transaction_log_retention_days` of at least `min_log_days` (default 7). Replicas are
  skipped.
- Azure `azurerm_postgresql_flexible_server`, `azurerm_postgresql_server`,
  `azurerm_mysql_flexible_server`: `backup_retention_days` (default 7) and, in the `strict_tiers`,
  `geo_redundant_backup_enabled`.

Passes (production)::

    resource "aws_db_instance" "erp" { backup_retention_period = 35 }

Fails (production)::

    resource "aws_rds_cluster" "erp" { backup_retention_period = 5 }
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import (
    RDS_FAMILY,
    default_min_days,
    display_name,
    find,
    integer,
    is_set,
    is_true,
    min_days,
    where,
)
from govscan.rules._lib.cloud_backup import live as kept
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

CLOUD_SQL = "google_sql_database_instance"
AZURE = ("azurerm_postgresql_flexible_server", "azurerm_postgresql_server", "azurerm_mysql_flexible_server")
AWS_DEFAULT_DAYS = 1
CLOUD_SQL_DEFAULT_BACKUPS = 7
CLOUD_SQL_DEFAULT_LOG_DAYS = 7
AZURE_DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Options:
    min_days: Mapping[str, int] = field(default_factory=default_min_days)
    strict_tiers: tuple[str, ...] = ("production",)
    """Tiers that also need Cloud SQL point-in-time recovery and Azure geo-redundant backups."""
    min_log_days: int = 7
    """Cloud SQL transaction_log_retention_days in the strict tiers."""


RULE = RuleMeta(
    id="backup.db-retention",
    domain="backup",
    title="Database automated backups are kept fewer days than the tier requires",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Set backup_retention_period (RDS, Aurora) or backup_retention_days (Azure) to at least the tier's "
    "minimum (30 in production); on Cloud SQL set settings.backup_configuration { enabled = true, "
    "point_in_time_recovery_enabled = true, transaction_log_retention_days = 7, backup_retention_settings "
    "{ retained_backups = 30 } }; on Azure in production also geo_redundant_backup_enabled = true.",
    kinds=(*RDS_FAMILY, CLOUD_SQL, *AZURE),
    platforms=CLOUD,
    controls=("backups: database point-in-time recovery", "backups: retention per tier"),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if not kept(resource):
        return
    tier = ctx.tier_of(resource)
    minimum = min_days(options.min_days, tier)
    strict = tier.value in options.strict_tiers
    if resource.kind in RDS_FAMILY:
        yield from _aws(resource, minimum, tier.value)
    elif resource.kind == CLOUD_SQL:
        yield from _cloud_sql(resource, minimum, tier.value, strict, options.min_log_days)
    else:
        yield from _azure(resource, minimum, tier.value, strict)


def _aws(resource: Resource, minimum: int, tier: str) -> Iterator[Violation | NotEvaluated]:
    if resource.kind == "aws_db_instance" and is_set(resource, "replicate_source_db"):
        return  # a read replica: its source keeps the backups
    value, path = find(resource, "backup_retention_period")
    if value is None:
        if minimum > AWS_DEFAULT_DAYS:
            yield Violation(
                f"{resource.kind} {display_name(resource)} sets no backup_retention_period (AWS keeps {AWS_DEFAULT_DAYS} "
                f"day); {tier} needs at least {minimum} days",
                "",
            )
        return
    days = integer(value)
    if days is None:
        yield NotEvaluated(f"backup_retention_period {value!r} is not a number of days")
    elif days < minimum:
        what = "turns automated backups off" if days == 0 else f"keeps automated backups {days} day(s)"
        yield Violation(
            f"{resource.kind} {display_name(resource)} {what} (backup_retention_period = {days}); {tier} needs at least "
            f"{minimum} days",
            where(path),
        )


def _cloud_sql(
    resource: Resource, minimum: int, tier: str, strict: bool, min_log_days: int
) -> Iterator[Violation | NotEvaluated]:
    if is_set(resource, "master_instance_name"):
        return  # a replica: Cloud SQL takes backups on the primary only
    name = f"Cloud SQL instance {display_name(resource)}"
    enabled, enabled_path = find(resource, "settings", "backup_configuration", "enabled")
    if not is_true(enabled):
        if minimum > 0:
            yield Violation(
                f"{name} has automated backups off (settings.backup_configuration.enabled); {tier} needs at least "
                f"{minimum} days of them",
                where(enabled_path),
            )
        return
    count_value, count_path = find(
        resource, "settings", "backup_configuration", "backup_retention_settings", "retained_backups"
    )
    count = CLOUD_SQL_DEFAULT_BACKUPS if count_value is None else integer(count_value)
    if count is None:
        yield NotEvaluated(f"retained_backups {count_value!r} is not a number")
    elif count < minimum:
        yield Violation(
            f"{name} keeps {count} daily backup(s) (backup_retention_settings.retained_backups"
            f"{'' if count_value is not None else ' unset'}); {tier} needs at least {minimum}",
            where(count_path),
        )
    if not strict:
        return
    version, _ = find(resource, "database_version")
    mysql = isinstance(version, str) and version.upper().startswith("MYSQL")
    key = "binary_log_enabled" if mysql else "point_in_time_recovery_enabled"
    pitr, pitr_path = find(resource, "settings", "backup_configuration", key)
    if not is_true(pitr):
        yield Violation(
            f"{name} has no point-in-time recovery ({key} is not true): only the nightly backup can be restored",
            where(pitr_path),
        )
        return
    logs_value, logs_path = find(resource, "settings", "backup_configuration", "transaction_log_retention_days")
    logs = CLOUD_SQL_DEFAULT_LOG_DAYS if logs_value is None else integer(logs_value)
    if logs is not None and logs < min_log_days:
        yield Violation(
            f"{name} keeps transaction logs {logs} day(s) (transaction_log_retention_days): point-in-time recovery "
            f"reaches back less than {min_log_days} days",
            where(logs_path),
        )


def _azure(resource: Resource, minimum: int, tier: str, strict: bool) -> Iterator[Violation | NotEvaluated]:
    mode, _ = find(resource, "create_mode")
    if isinstance(mode, str) and mode.lower() == "replica":
        return
    value, path = find(resource, "backup_retention_days")
    days = AZURE_DEFAULT_DAYS if value is None else integer(value)
    if days is None:
        yield NotEvaluated(f"backup_retention_days {value!r} is not a number of days")
    elif days < minimum:
        yield Violation(
            f"{resource.kind} {display_name(resource)} keeps backups {days} day(s) (backup_retention_days"
            f"{'' if value is not None else ' unset, Azure default'}); {tier} needs at least {minimum} days",
            where(path),
        )
    if strict:
        geo, geo_path = find(resource, "geo_redundant_backup_enabled")
        if not is_true(geo):
            yield Violation(
                f"{resource.kind} {display_name(resource)} keeps its backups in one region (geo_redundant_backup_enabled is "
                "not true): a regional outage takes the server and its backups",
                where(geo_path),
            )
