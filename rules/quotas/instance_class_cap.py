"""A non-production database, cache or compute instance is no larger than its tier's size cap.

A development database on `db.r6g.8xlarge` costs as much as production and usually exists because
someone copied production's variables. The cap per tier (`max_size`: staging `2xlarge`, qa and
development `xlarge`, sandbox `large`) applies to the size part of RDS / DocumentDB / Neptune
`instance_class`, Multi-AZ DB cluster `db_cluster_instance_class`, ElastiCache and MemoryDB
`node_type`, EC2 and launch template `instance_type`, EKS node group `instance_types` and OpenSearch
`cluster_config.instance_type`. Production has no cap (the rule is off there); a tier missing from
`max_size` has none either.

Sizes rank as AWS names them, whatever the family: nano < micro < small < medium < large < xlarge <
2xlarge < 4xlarge < 8xlarge < ... < 48xlarge < metal (`metal-24xl` ranks as 24xlarge). So with a
`large` cap, `db.t4g.medium` and `cache.r7g.large` pass and `m6i.xlarge` fails. Classes without a
size (`db.serverless`) are not judged.

Passes (development)::

    resource "aws_db_instance" "erp" {
      instance_class = "db.t4g.large"
    }

Fails (development)::

    resource "aws_db_instance" "erp" {
      instance_class = "db.r6g.4xlarge"
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_ha import is_deleted, is_unknown, nested, per_tier, shown
from govscan.scanner.context import Context
from govscan.scanner.model import (
    TIER,
    NotEvaluated,
    Resource,
    RuleMeta,
    Severity,
    UnknownValue,
    Violation,
    enforcement_table,
)

ATTRIBUTE = {
    "aws_db_instance": ("instance_class",),
    "aws_rds_cluster_instance": ("instance_class",),
    "aws_rds_cluster": ("db_cluster_instance_class",),
    "aws_docdb_cluster_instance": ("instance_class",),
    "aws_neptune_cluster_instance": ("instance_class",),
    "aws_elasticache_replication_group": ("node_type",),
    "aws_elasticache_cluster": ("node_type",),
    "aws_memorydb_cluster": ("node_type",),
    "aws_instance": ("instance_type",),
    "aws_launch_template": ("instance_type",),
    "aws_eks_node_group": ("instance_types",),
    "aws_opensearch_domain": ("cluster_config", "instance_type"),
}
"""The attribute holding the instance class, per resource type."""

NAMED = {"nano": -4, "micro": -3, "small": -2, "medium": -1, "large": 0, "xlarge": 1}
_MULTIPLE = re.compile(r"^(\d+)xlarge$")
_METAL = re.compile(r"^metal(?:-(\d+)xl)?$")


def size_rank(size: str) -> int | None:
    """nano -4 ... large 0, xlarge 1, Nxlarge N, metal-Nxl N, metal 1000; None when not a size."""
    size = size.strip().lower()
    if size in NAMED:
        return NAMED[size]
    if match := _MULTIPLE.match(size):
        return int(match.group(1))
    if match := _METAL.match(size):
        return int(match.group(1)) if match.group(1) else 1000
    return None


def size_of(instance_class: str) -> str | None:
    """`db.r6g.2xlarge` -> `2xlarge`, `cache.t4g.micro` -> `micro`, `m6i.large` -> `large`."""
    parts = instance_class.strip().lower().split(".")
    if parts and parts[0] in ("db", "cache"):
        parts = parts[1:]
    return parts[1] if len(parts) >= 2 else None


@dataclass(frozen=True)
class Options:
    max_size: Mapping[str, str] = field(
        default_factory=lambda: {"staging": "2xlarge", "qa": "xlarge", "development": "xlarge", "sandbox": "large"}
    )


RULE = RuleMeta(
    id="quotas.instance-class-cap",
    domain="quotas",
    title="Non-production instance class is above the tier's size cap",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="off", staging="info", qa="warn", development="warn", sandbox="warn"),
    remediation="Choose a smaller size for the tier (instance_class, node_type, instance_type or instance_types: "
    "e.g. db.r6g.large instead of db.r6g.4xlarge in development), or raise the tier's max_size option for this "
    "rule in .govscan.yaml.",
    kinds=tuple(sorted(ATTRIBUTE)),
    platforms=CLOUD,
    controls=("cost: right-sized non-production",),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    keys = ATTRIBUTE.get(resource.kind)
    if keys is None or is_deleted(resource):
        return
    tier = ctx.tier_of(resource)
    cap = per_tier(options.max_size, tier, None)
    if cap is None:
        return
    limit = size_rank(cap) if isinstance(cap, str) else None
    if limit is None:
        yield NotEvaluated(f"option max_size.{tier.value} = {cap!r} is not an instance size (e.g. large, 2xlarge)")
        return
    value, where = nested(resource, *keys)
    if isinstance(value, list):  # EKS instance_types: judge the known ones, then stop at an unknown one
        unknown = [i for i in range(len(value)) if is_unknown(resource, *keys, i)]
        for i, item in enumerate(value):
            if i not in unknown:
                yield from _judge(resource, keys[-1], item, f"{where}/{i}", cap, limit, tier.value)
        if unknown:
            raise UnknownValue(f"{where}/{unknown[0]}")
        return
    yield from _judge(resource, keys[-1], value, where, cap, limit, tier.value)


def _judge(
    resource: Resource, attribute: str, value: object, where: str, cap: str, limit: int, tier: str
) -> Iterator[Violation]:
    if not isinstance(value, str):
        return
    size = size_of(value)
    rank = size_rank(size) if size else None
    if rank is not None and rank > limit:
        yield Violation(
            f"{resource.kind} {resource.name}: {attribute} {shown(resource, where, value)} is above the {tier} "
            f"cap ({cap})",
            where,
        )
