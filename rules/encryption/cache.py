"""Redis and Memcached caches encrypt data in transit, and ElastiCache also at rest.

Odoo keeps sessions and, with queue_job, job payloads in Redis: without TLS anyone on the network
path reads session cookies and customer data, and an unencrypted ElastiCache node writes the same
data to its disks and snapshots. Judged: aws_elasticache_replication_group
`at_rest_encryption_enabled` and `transit_encryption_enabled`; aws_memorydb_cluster `tls_enabled`
(on unless set to false; MemoryDB always encrypts at rest); google_redis_instance
`transit_encryption_mode = "SERVER_AUTHENTICATION"` (Memorystore always encrypts at rest);
azurerm_redis_cache with the non-TLS port closed and `minimum_tls_version` 1.2. Turning encryption on
for an existing replication group replaces it (at rest) or needs a staged client migration (in
transit): plan it.

Passes (production)::

    resource "aws_elasticache_replication_group" "odoo_sessions" {
      at_rest_encryption_enabled = true
      transit_encryption_enabled = true
    }

Fails (production)::

    resource "google_redis_instance" "odoo_cache" { transit_encryption_mode = "DISABLED" }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import enabled
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="encryption.cache",
    domain="encryption",
    title="Cache does not encrypt data in transit or at rest",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="ElastiCache: at_rest_encryption_enabled = true and transit_encryption_enabled = true (clients "
    "connect with TLS: rediss://); MemoryDB: tls_enabled = true; Memorystore: transit_encryption_mode = "
    '"SERVER_AUTHENTICATION"; Azure Cache for Redis: non_ssl_port_enabled = false and minimum_tls_version = "1.2".',
    kinds=("aws_elasticache_replication_group", "aws_memorydb_cluster", "azurerm_redis_cache", "google_redis_instance"),
    platforms=CLOUD,
    controls=("encryption: data in transit", "encryption: data at rest"),
)

WEAK_TLS = frozenset({"1.0", "1.1"})


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    kind = resource.kind
    if kind == "aws_elasticache_replication_group":
        yield from _required(resource, "at_rest_encryption_enabled", "cached data and snapshots are not encrypted")
        yield from _required(resource, "transit_encryption_enabled", "clients talk to Redis without TLS")
    elif kind == "aws_memorydb_cluster":
        if enabled(get(resource, "tls_enabled")) is False:
            yield Violation("tls_enabled is false: clients talk to the cluster without TLS", pointer("tls_enabled"))
    elif kind == "google_redis_instance":
        mode = get(resource, "transit_encryption_mode")
        if mode != "SERVER_AUTHENTICATION":
            at = pointer("transit_encryption_mode") if "transit_encryption_mode" in resource.body else ""
            yield Violation(f"transit_encryption_mode is {mode or 'not set (DISABLED)'}: clients talk without TLS", at)
    elif kind == "azurerm_redis_cache":
        for name in ("non_ssl_port_enabled", "enable_non_ssl_port"):
            if enabled(get(resource, name)):
                yield Violation(f"{name} is true: the plain-text port 6379 is open", pointer(name))
        version = get(resource, "minimum_tls_version")
        if isinstance(version, str) and version in WEAK_TLS:
            yield Violation(
                f"minimum_tls_version is {version}: TLS below 1.2 is accepted", pointer("minimum_tls_version")
            )


def _required(resource: Resource, attribute: str, consequence: str) -> Iterator[Violation]:
    value = enabled(get(resource, attribute))
    if value:
        return
    state = "is false" if value is False else "is not set (false)"
    at = pointer(attribute) if attribute in resource.body else ""
    yield Violation(f"{attribute} {state}: {consequence}", at)
