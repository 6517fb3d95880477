"""A production node group or auto scaling group keeps at least two nodes across at least two zones.

Kubernetes spreads replicas over nodes and zones only when there are several: a node group with
`min_size = 1`, or whose subnets all sit in one zone, loses every pod at once when that node or zone
goes, and ha.replicas / ha.zone-spread on the workloads cannot help. Production needs a minimum of
two nodes (`min_nodes`) in at least two subnets or zones (`min_zones`, per tier); staging gets an
info finding, other tiers are off.

What counts: `aws_eks_node_group` `scaling_config.min_size` and the number of `subnet_ids`;
`aws_autoscaling_group` `min_size` and the number of `vpc_zone_identifier` subnets (or
`availability_zones`); `google_container_node_pool` `node_locations` (a zonal cluster without them
has one zone) and its minimum (`autoscaling.total_min_node_count`, or the per-zone
`autoscaling.min_node_count` / `node_count` times the zones). Subnet ids known only after apply
still count one each: the plan knows how many there are. Subnets stand in for zones (one subnet per
zone is the usual layout); a pool that inherits a regional cluster's zones is not judged on zones.

Passes (production)::

    resource "aws_eks_node_group" "odoo" {
      subnet_ids     = [aws_subnet.private_a.id, aws_subnet.private_b.id, aws_subnet.private_c.id]
      scaling_config { min_size = 2, desired_size = 3, max_size = 6 }
    }

Fails (production)::

    resource "aws_eks_node_group" "odoo" {
      subnet_ids     = [aws_subnet.private_a.id]
      scaling_config { min_size = 1, desired_size = 1, max_size = 3 }
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD, get
from govscan.rules._lib.cloud_ha import distinct_count, first_set, integer, is_deleted, peek, per_tier, subject
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Tier, UnknownValue, Violation, enforcement_table

ZONAL_LOCATION = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
"""A Google zone (`europe-west1-b`), as opposed to a region (`europe-west1`)."""


@dataclass(frozen=True)
class Options:
    min_nodes: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )
    min_zones: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="ha.node-group-zones",
    domain="ha",
    title="Node group has too few nodes or zones for its tier",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Set scaling_config.min_size (EKS) or min_size (auto scaling group) to at least 2 and list subnets "
    "in at least two availability zones in subnet_ids / vpc_zone_identifier; on GKE, set node_locations to two or "
    "more zones.",
    kinds=("aws_eks_node_group", "aws_autoscaling_group", "google_container_node_pool"),
    platforms=CLOUD,
    controls=("availability: compute across zones",),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_deleted(resource):
        return
    tier = ctx.tier_of(resource)
    if resource.kind == "google_container_node_pool":
        yield from _gke(resource, tier, options)
        return
    label = "node group" if resource.kind == "aws_eks_node_group" else "auto scaling group"
    name = subject(resource, label, "node_group_name", "name")
    keys = ("scaling_config", "min_size") if resource.kind == "aws_eks_node_group" else ("min_size",)
    minimum, at, unknown = peek(resource, *keys)
    yield from _nodes(name, tier, options, integer(minimum), at)
    if resource.kind == "aws_eks_node_group":
        subnets, subnets_at = first_set(resource, ("subnet_ids",))
    else:
        spellings = ("vpc_zone_identifier",), ("vpc_zone_identifiers",), ("availability_zones",)
        subnets, subnets_at = first_set(resource, *spellings)
    yield from _zones(name, tier, options, subnets, subnets_at)
    if unknown:
        raise UnknownValue(at)


def _nodes(name: str, tier: Tier, options: Options, minimum: int | None, at: str) -> Iterator[Violation]:
    need = int(per_tier(options.min_nodes, tier, 1))
    if minimum is not None and minimum < need:
        yield Violation(f"{name}: min_size is {minimum}; {tier.value} needs at least {need} nodes", at)


def _zones(name: str, tier: Tier, options: Options, subnets: object, at: str) -> Iterator[Violation]:
    need = int(per_tier(options.min_zones, tier, 1))
    if subnets is None:
        return
    where = "availability zone(s)" if at.endswith("availability_zones") else "subnet(s)"
    count = distinct_count(subnets)
    if count < need:
        yield Violation(
            f"{name} spans {count} {where}; {tier.value} needs at least {need} so that one zone can fail", at
        )


def _gke(resource: Resource, tier: Tier, options: Options) -> Iterator[Violation]:
    name = subject(resource, "node pool", "name")
    locations = get(resource, "node_locations")
    location = get(resource, "location")
    if locations:
        zones: int | None = distinct_count(locations)
    elif isinstance(location, str) and ZONAL_LOCATION.match(location):
        zones = 1
    else:
        zones = None  # inherits a regional cluster's zones: not known from the pool
    need_zones = int(per_tier(options.min_zones, tier, 1))
    if zones is not None and zones < need_zones:
        where = "/node_locations" if locations else "/location"
        yield Violation(f"{name} runs in {zones} zone(s); {tier.value} needs at least {need_zones}", where)
    total, at = first_set(resource, ("autoscaling", "total_min_node_count"))
    if total is None:
        per_zone, at = first_set(resource, ("autoscaling", "min_node_count"), ("node_count",))
        count = integer(per_zone)
        total = count * zones if count is not None and zones is not None else None
    need_nodes = int(per_tier(options.min_nodes, tier, 1))
    total = integer(total)
    if total is not None and total < need_nodes:
        yield Violation(f"{name} keeps at least {total} node(s); {tier.value} needs at least {need_nodes}", at)
