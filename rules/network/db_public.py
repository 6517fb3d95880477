"""Managed databases are not reachable from the internet: no public endpoint, no 0.0.0.0/0 authorized network.

A database with a public IP is one leaked password (or one unpatched CVE) away from a breach, and
the Odoo database holds every customer, invoice and IBAN. Databases live in private subnets and are
reached from the application's network, a bastion or a VPN. Judged:
`aws_db_instance` / `aws_rds_cluster_instance` with `publicly_accessible = true`;
`google_sql_database_instance` with `ip_configuration.ipv4_enabled = true` and an
`authorized_networks` entry of `0.0.0.0/0`; Azure database servers (`azurerm_postgresql_flexible_server`,
`azurerm_postgresql_server`, `azurerm_mysql_flexible_server`, `azurerm_mssql_server`) with
`public_network_access_enabled = true`. A value known only after apply is not evaluated.

Passes::

    resource "aws_db_instance" "erp_prod" {
      publicly_accessible  = false
      db_subnet_group_name = aws_db_subnet_group.private.name
    }

Fails (production)::

    resource "aws_db_instance" "erp_prod" {
      publicly_accessible = true
    }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.rules._lib.cloud_network import at, is_open_cidr, items, nested
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

AWS = ("aws_db_instance", "aws_rds_cluster_instance")
AZURE = ("azurerm_postgresql_flexible_server", "azurerm_postgresql_server", "azurerm_mysql_flexible_server",
         "azurerm_mssql_server")  # fmt: skip
GOOGLE = "google_sql_database_instance"

RULE = RuleMeta(
    id="network.db-public",
    domain="network",
    title="Database reachable from the internet",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="warn", sandbox="info"),
    remediation="AWS: set publicly_accessible = false and place the instance in a private aws_db_subnet_group. "
    "Google: set settings.ip_configuration.ipv4_enabled = false with private_network, or remove the 0.0.0.0/0 "
    "authorized_networks entry. Azure: set public_network_access_enabled = false and use a delegated subnet or "
    "private endpoint.",
    kinds=(*AWS, *AZURE, GOOGLE),
    platforms=CLOUD,
    controls=("security: network isolation of data stores",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind in AWS:
        if get(resource, "publicly_accessible") is True:
            yield Violation(f"{resource.kind} {_name(resource)} is publicly accessible", "/publicly_accessible")
    elif resource.kind in AZURE:
        if get(resource, "public_network_access_enabled") is True:
            yield Violation(
                f"{resource.kind} {_name(resource)} accepts connections from public networks",
                "/public_network_access_enabled",
            )
    else:
        yield from _google(resource)


def _google(resource: Resource) -> Iterator[Violation]:
    ipv4, path = nested(resource, "settings", "ip_configuration", "ipv4_enabled")
    if ipv4 is not True:
        return
    networks = path[:-1] + ("authorized_networks",)
    for item in items(resource, *networks):
        value = get(resource, *item, "value")
        if is_open_cidr(value):
            yield Violation(
                f"{_name(resource)} has a public IPv4 address and authorizes {value} ({get(resource, *item, 'name') or 'unnamed'})",
                at((*item, "value")),
            )


def _name(resource: Resource) -> str:
    """The database's own name for the message (absent from the body when known only after apply)."""
    for key in ("identifier", "name"):
        value = resource.body.get(key)
        if isinstance(value, str) and value:
            return value
    return resource.name
