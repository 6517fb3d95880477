"""Production Redis/Valkey (sessions, queues) runs with replication or Sentinel, not as one lone instance.

Odoo and its workers keep sessions, locks and job queues in Redis. A single Redis pod means every
restart logs users out and stalls queues, and a lost volume loses them. Checked on:

- StatefulSets, Deployments and Rollouts running a Redis or Valkey image (`redis`, `bitnami/redis`,
  `valkey/valkey`, `redis-stack-server`, `*-cluster`; exporters ignored). They pass with at least two
  replicas (an HPA's minReplicas counts), or when they are one side of a replication set: a replica
  (`--replicaof`, Bitnami `REDIS_REPLICATION_MODE=replica`) or a master whose replica workload is in the
  same namespace (by Bitnami env, or by naming: a `*master*` workload next to a `redis-*replica*` /
  `*slave*` / `*follower*` one). A Sentinel container with a single replica has nothing to fail over to and fails.
- Operator resources: OpsTree `Redis` (standalone, fails) / `RedisReplication` / `RedisCluster`
  (`spec.clusterSize`), Spotahome `RedisFailover` (`spec.redis.replicas`, default 3), KubeDB `Redis`
  (`spec.mode` Standalone fails).

A Redis used purely as a disposable cache may be waived (config `waivers:` with owner and expiry).

Passes (production)::

    kind: RedisFailover          # databases.spotahome.com
    spec:
      redis: {replicas: 3}
      sentinel: {replicas: 3}

Fails (production)::

    kind: StatefulSet
    spec:
      replicas: 1
      template:
        spec:
          containers: [{name: redis, image: redis:7.2.4}]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.ha import effective_replicas, image_basename, image_repository, replicas_pointer
from govscan.rules._lib.workloads import Container, containers, dig, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

REDIS_IMAGES = frozenset({"redis", "valkey", "redis-stack", "redis-stack-server", "keydb"})
CLUSTER_IMAGES = frozenset({"redis-cluster", "valkey-cluster"})
SENTINEL_IMAGES = frozenset({"redis-sentinel", "valkey-sentinel"})
OPSTREE = "redis.redis.opstreelabs.in"
SPOTAHOME = "databases.spotahome.com"
KUBEDB = "kubedb.com"
WORKLOAD_KINDS = ("Deployment", "Rollout", "StatefulSet")
ROLE_LABELS = ("role", "component", "tier", "app.kubernetes.io/component")

RULE = RuleMeta(
    id="ha.redis-replication",
    domain="ha",
    title="Production Redis runs as a single instance without replication or Sentinel",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Run Redis with replication and Sentinel (Bitnami chart architecture: replication + sentinel.enabled, a "
        "Spotahome RedisFailover, or OpsTree RedisReplication + RedisSentinel) or as a Redis Cluster."
    ),
    kinds=(*WORKLOAD_KINDS, "Redis", "RedisReplication", "RedisCluster", "RedisFailover"),
    controls=("availability: multi-instance, tested failover",),
    needs=("HorizontalPodAutoscaler", *WORKLOAD_KINDS, "ReplicationController"),
)


def _words(container: Container) -> str:
    parts: list[str] = []
    for key in ("command", "args"):
        value = container.body.get(key)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
    return " ".join(parts).lower()


def _env(container: Container, name: str) -> str | None:
    env = container.body.get("env")
    if not isinstance(env, list):
        return None
    for item in env:
        if isinstance(item, dict) and item.get("name") == name:
            value = item.get("value")
            return str(value).lower() if value is not None else ""
    return None


def redis_containers(resource: Resource, ctx: Any) -> list[Container]:
    return [
        c
        for c in containers(resource, ctx, init=False)
        if image_basename(c.body.get("image")) in REDIS_IMAGES | CLUSTER_IMAGES
    ]


def replication_mode(resource: Resource, ctx: Any) -> str | None:
    """'sentinel', 'cluster', 'replica' or 'master' from images, flags and Bitnami env; None when standalone."""
    found: str | None = None
    for container in containers(resource, ctx, init=False):
        base = image_basename(container.body.get("image"))
        words = _words(container)
        if base in SENTINEL_IMAGES or "redis-sentinel" in words or "--sentinel" in words:
            return "sentinel"
        if base in CLUSTER_IMAGES or "--cluster-enabled yes" in words:
            return "cluster"
        mode = _env(container, "REDIS_REPLICATION_MODE")
        if mode in ("slave", "replica") or "--replicaof" in words or "--slaveof" in words:
            found = "replica"
        elif mode == "master" and found is None:
            found = "master"
    return found


def _role_text(resource: Resource, ctx: Any) -> str:
    """Name, role-ish label values and image repositories, lowercased, for master/replica naming heuristics."""
    parts = [resource.name]
    parts.extend(str(resource.labels.get(k, "")) for k in ROLE_LABELS)
    parts.extend(image_repository(c.body.get("image")) for c in containers(resource, ctx, init=False))
    return " ".join(parts).lower()


def looks_like_master(resource: Resource, ctx: Any) -> bool:
    return bool(re.search(r"master|leader|primary", _role_text(resource, ctx)))


def has_replica_sibling(resource: Resource, ctx: Any) -> bool:
    """Another workload in the namespace is this master's replica set (flags, Bitnami env, or its naming)."""
    for kind in (*WORKLOAD_KINDS, "ReplicationController"):
        for other in ctx.of_kind(kind, namespace=resource.namespace):
            if other.uid == resource.uid:
                continue
            if redis_containers(other, ctx) and replication_mode(other, ctx) == "replica":
                return True
            text = _role_text(other, ctx)
            if re.search(r"redis|valkey", text) and re.search(r"slave|replica|follower", text):
                return True
    return False


def check_workload(resource: Resource, ctx: Context) -> Iterator[Violation | NotEvaluated]:
    found = redis_containers(resource, ctx)
    if not found or pod_spec(resource, ctx) is None:
        return
    image = str(found[0].body.get("image"))
    count = effective_replicas(resource, ctx)
    if count is None:
        yield NotEvaluated("replicas is not a number")
        return
    mode = replication_mode(resource, ctx)
    if count >= 2 or mode == "replica":
        return
    if (mode == "master" or looks_like_master(resource, ctx)) and has_replica_sibling(resource, ctx):
        return
    if mode == "sentinel":
        why = "runs Sentinel with a single Redis replica, so there is nothing to fail over to"
    elif mode == "master":
        why = "is a replication master but no replica workload for it is in the same namespace"
    else:
        why = "runs a single Redis instance with no replica or Sentinel"
    yield Violation(
        f"{resource.kind} {resource.name} ({found[0].label}, image {image}) {why}; sessions and queues stop "
        "when it restarts",
        replicas_pointer(resource),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_custom(resource: Resource) -> Iterator[Violation | NotEvaluated]:
    kind, group = resource.kind, resource.group
    if group == OPSTREE and kind == "Redis":
        yield Violation(
            f"OpsTree Redis {resource.name} is a standalone instance; use RedisReplication with RedisSentinel, "
            "or RedisCluster",
            "",
        )
    elif group == OPSTREE and kind in ("RedisReplication", "RedisCluster"):
        size = _int(dig(resource.body, ("spec", "clusterSize")))
        needed = 2 if kind == "RedisReplication" else 3
        if size is None:
            yield NotEvaluated("spec.clusterSize is not a number")
        elif size < needed:
            yield Violation(
                f"{kind} {resource.name}: clusterSize is {size}; use at least {needed}", "/spec/clusterSize"
            )
    elif group == SPOTAHOME and kind == "RedisFailover":
        value = dig(resource.body, ("spec", "redis", "replicas"))
        size = 3 if value is None else _int(value)
        if size is not None and size < 2:
            yield Violation(
                f"RedisFailover {resource.name}: redis.replicas is {size}; Sentinel needs a replica to promote",
                "/spec/redis/replicas",
            )
    elif group == KUBEDB and kind == "Redis":
        mode = dig(resource.body, ("spec", "mode"))
        if mode in (None, "Standalone"):
            where = "/spec/mode" if mode else "/spec"
            yield Violation(f"KubeDB Redis {resource.name} runs in Standalone mode; use Sentinel or Cluster", where)


def check(resource: Resource, ctx: Context, options: None) -> Iterator[Violation | NotEvaluated]:
    if resource.kind in WORKLOAD_KINDS:
        yield from check_workload(resource, ctx)
    else:
        yield from check_custom(resource)
