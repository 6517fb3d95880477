"""A production database keeps a standby in a second zone (RDS Multi-AZ, Cloud SQL REGIONAL, Azure ZoneRedundant).

A single-zone database is down for as long as its zone is, and every maintenance reboot or instance
failure is an outage while a new host is found. RDS `multi_az = true`, Cloud SQL
`settings.availability_type = "REGIONAL"` and an Azure flexible server's
`high_availability { mode = "ZoneRedundant" }` keep a synchronous standby in another zone and fail
over to it in a minute or two. Production blocks, staging warns (it should rehearse production's
failover), other tiers are off: a standby doubles the bill for no one's benefit there.

Not judged: read replicas (`replicate_source_db`, Cloud SQL `master_instance_name`, Azure
`create_mode = "Replica"`), which follow their primary, and Aurora engines on `aws_db_instance`
(`ha.aurora-instances` judges the cluster). When the plan only knows `multi_az` after apply (the
attribute is not set and the provider computes it), the result is not-evaluated: set it explicitly.

Passes (production)::

    resource "aws_db_instance" "erp" {
      identifier = "erp-prod"
      multi_az   = true
    }

Fails (production)::

    resource "aws_db_instance" "erp" {
      identifier = "erp-prod"
      multi_az   = false
    }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, get
from govscan.rules._lib.cloud_ha import is_deleted, nested, shown, subject
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="ha.db-multi-az",
    domain="ha",
    title="Production database runs in a single availability zone",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="off", development="off", sandbox="off"),
    remediation='Set multi_az = true on the aws_db_instance; settings { availability_type = "REGIONAL" } on the '
    'google_sql_database_instance; high_availability { mode = "ZoneRedundant" } on the Azure flexible server.',
    kinds=(
        "aws_db_instance",
        "google_sql_database_instance",
        "azurerm_postgresql_flexible_server",
        "azurerm_mysql_flexible_server",
    ),
    platforms=CLOUD,
    controls=("availability: database standby in a second zone",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if is_deleted(resource):
        return
    if resource.kind == "aws_db_instance":
        yield from _rds(resource)
    elif resource.kind == "google_sql_database_instance":
        yield from _cloud_sql(resource)
    else:
        yield from _azure(resource)


def _rds(resource: Resource) -> Iterator[Violation]:
    if get(resource, "replicate_source_db"):
        return
    engine = get(resource, "engine")
    if isinstance(engine, str) and engine.startswith("aurora"):
        return
    multi_az = get(resource, "multi_az")
    if multi_az is True:
        return
    said, where = ("multi_az is false", "/multi_az") if multi_az is not None else ("multi_az is not set", "")
    yield Violation(
        f"{subject(resource, 'db instance', 'identifier')}: {said}: the database and its storage live in one zone",
        where,
    )


def _cloud_sql(resource: Resource) -> Iterator[Violation]:
    if get(resource, "master_instance_name"):
        return
    value, where = nested(resource, "settings", "availability_type")
    if value == "REGIONAL":
        return
    if value is None:
        said, where = "settings.availability_type is not set (defaults to ZONAL)", where.rsplit("/", 1)[0]
    else:
        said = f"settings.availability_type is {shown(resource, where, value)}"
    yield Violation(f"{subject(resource, 'Cloud SQL instance', 'name')}: {said}: no standby in a second zone", where)


def _azure(resource: Resource) -> Iterator[Violation]:
    create_mode = get(resource, "create_mode")
    if isinstance(create_mode, str) and create_mode.lower() == "replica":
        return
    mode, where = nested(resource, "high_availability", "mode")
    if mode == "ZoneRedundant":
        return
    if mode is None:
        said, where = "has no high_availability block", ""
    else:
        said = f"high_availability.mode is {shown(resource, where, mode)} (the standby shares the primary's zone)"
    yield Violation(f"{subject(resource, 'flexible server', 'name')} {said}: no standby in a second zone", where)
