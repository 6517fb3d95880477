"""A production Redis cache has a replica in another zone and fails over to it automatically.

Odoo keeps sessions and queue jobs in Redis: when a single-node cache dies, every user is logged out
and the queue stops until a new node is built. ElastiCache needs a replication group with
`automatic_failover_enabled = true`, `multi_az_enabled = true` and a replica (`num_cache_clusters
>= 2`, or `replicas_per_node_group >= 1` in cluster mode); a standalone Redis `aws_elasticache_cluster`
has one node and cannot fail over; MemoryDB needs `num_replicas_per_shard >= 1`; Memorystore needs
`tier = "STANDARD_HA"`; Azure Cache for Redis needs a Standard or Premium SKU (Basic has no
replica). Production blocks, staging gets an info finding, other tiers are off.

Not judged: Memcached clusters (no replication exists; a lost node is a cold cache, not lost data)
and `aws_elasticache_cluster` members of a replication group (`replication_group_id`), which the
group's own finding covers.

Passes (production)::

    resource "aws_elasticache_replication_group" "sessions" {
      automatic_failover_enabled = true
      multi_az_enabled           = true
      num_cache_clusters         = 2
    }

Fails (production)::

    resource "aws_elasticache_replication_group" "sessions" {
      automatic_failover_enabled = false
      num_cache_clusters         = 1
    }
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.cloud import CLOUD, get
from govscan.rules._lib.cloud_ha import first_set, integer, is_deleted, peek, shown, subject
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, UnknownValue, Violation, enforcement_table

RULE = RuleMeta(
    id="ha.cache-failover",
    domain="ha",
    title="Production Redis cache has no replica to fail over to",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Use an aws_elasticache_replication_group with automatic_failover_enabled = true, "
    "multi_az_enabled = true and num_cache_clusters = 2 (or replicas_per_node_group = 1); MemoryDB "
    'num_replicas_per_shard = 1; google_redis_instance tier = "STANDARD_HA"; azurerm_redis_cache sku_name '
    '= "Standard" or "Premium".',
    kinds=(
        "aws_elasticache_replication_group",
        "aws_elasticache_cluster",
        "aws_memorydb_cluster",
        "google_redis_instance",
        "azurerm_redis_cache",
    ),
    platforms=CLOUD,
    controls=("availability: cache replica in a second zone",),
)


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if is_deleted(resource):
        return
    judge = {
        "aws_elasticache_replication_group": _replication_group,
        "aws_elasticache_cluster": _standalone,
        "aws_memorydb_cluster": _memorydb,
        "google_redis_instance": _memorystore,
        "azurerm_redis_cache": _azure,
    }.get(resource.kind)
    if judge is not None:
        yield from judge(resource)


def _replication_group(resource: Resource) -> Iterator[Violation]:
    name = subject(resource, "replication group", "replication_group_id")
    pending = ""  # the first flag known only after apply: the others are judged first
    for flag, consequence in (
        ("automatic_failover_enabled", "a failed primary stays down: no replica is promoted"),
        ("multi_az_enabled", "the replica may share the primary's zone"),
    ):
        value, at, unknown = peek(resource, flag)
        if unknown:
            pending = pending or at
        elif value is not True:
            said = f"{flag} is not set (false)" if value is None else f"{flag} is {str(value).lower()}"
            yield Violation(f"{name}: {said}: {consequence}", at if value is not None else "")
    yield from _replicas(resource, name)
    if pending:
        raise UnknownValue(pending)


def _replicas(resource: Resource, name: str) -> Iterator[Violation]:
    """One replica per shard: num_cache_clusters >= 2, or replicas_per_node_group >= 1 in cluster mode."""
    nodes, where = first_set(
        resource,
        ("num_cache_clusters",),
        ("number_cache_clusters",),
        ("num_node_groups",),
        ("cluster_mode", "num_node_groups"),
    )
    if where.endswith("num_node_groups"):
        replicas, where = first_set(resource, ("replicas_per_node_group",), ("cluster_mode", "replicas_per_node_group"))
        count = integer(replicas)
        if count is None or count < 1:
            yield Violation(f"{name}: replicas_per_node_group is {count or 0}: its shards have no replica", where)
        return
    count = integer(nodes)
    if count is None or count < 2:
        said = "num_cache_clusters is not set (one node)" if nodes is None else f"num_cache_clusters is {count}"
        yield Violation(f"{name}: {said}: no replica to fail over to", where if nodes is not None else "")


def _standalone(resource: Resource) -> Iterator[Violation]:
    if get(resource, "replication_group_id"):
        return
    engine = get(resource, "engine")
    if engine == "memcached":
        return
    what = shown(resource, "/engine", engine or "redis")
    name = subject(resource, "cache cluster", "cluster_id")
    yield Violation(
        f"{name} is a standalone {what} node: it cannot fail over (use an aws_elasticache_replication_group)",
        "/engine" if engine else "",
    )


def _memorydb(resource: Resource) -> Iterator[Violation]:
    replicas = get(resource, "num_replicas_per_shard")
    count = 1 if replicas is None else integer(replicas)  # the provider's default is 1
    if count is None or count < 1:
        name = subject(resource, "MemoryDB cluster", "name")
        said = f"num_replicas_per_shard is {shown(resource, '/num_replicas_per_shard', replicas)}"
        yield Violation(f"{name}: {said}: its shards have no replica", "/num_replicas_per_shard")


def _memorystore(resource: Resource) -> Iterator[Violation]:
    tier = get(resource, "tier")
    if tier == "STANDARD_HA":
        return
    said = "tier is not set (defaults to BASIC)" if tier is None else f"tier is {shown(resource, '/tier', tier)}"
    yield Violation(
        f"{subject(resource, 'Memorystore instance', 'name')}: {said}: one node, no failover", "/tier" if tier else ""
    )


def _azure(resource: Resource) -> Iterator[Violation]:
    sku = get(resource, "sku_name")
    if isinstance(sku, str) and sku.lower() == "basic":
        yield Violation(
            f"{subject(resource, 'Azure Redis cache', 'name')}: sku_name is Basic: one node, no replica", "/sku_name"
        )
