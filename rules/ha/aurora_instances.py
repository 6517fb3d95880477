"""A production Aurora cluster has at least two instances (a writer and a reader to fail over to).

An Aurora cluster's storage spans three zones, but its compute is the `aws_rds_cluster_instance`
resources attached to it: with one instance, a host failure or a zone outage leaves the cluster with
no endpoint until AWS builds a new instance (ten minutes or more). With two or more in different
zones, Aurora promotes a reader in about thirty seconds. Production needs two (`min_instances`
per tier), staging gets an info finding, other tiers are off.

Instances count when they refer to the cluster (a Terraform reference such as
`cluster_identifier = aws_rds_cluster.erp.id`, a Pulumi dependency) or their `cluster_identifier`
names it; each `count` / `for_each` index is one instance, and an instance the plan deletes does not
count. When too few instances are attached but some instance's `cluster_identifier` is unknown until
apply and matches no cluster, the result is not-evaluated. Serverless v1 clusters
(`engine_mode = "serverless"`) and non-Aurora Multi-AZ DB clusters have no instance resources and
are not judged.

Passes (production)::

    resource "aws_rds_cluster" "erp" { engine = "aurora-postgresql" }
    resource "aws_rds_cluster_instance" "erp" {
      count              = 2
      cluster_identifier = aws_rds_cluster.erp.id
    }

Fails (production)::

    resource "aws_rds_cluster_instance" "erp" {
      count              = 1
      cluster_identifier = aws_rds_cluster.erp.id
    }
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD, config_address, get
from govscan.rules._lib.cloud_ha import is_deleted, is_unknown, per_tier, subject
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

CLUSTER, INSTANCE = "aws_rds_cluster", "aws_rds_cluster_instance"


@dataclass(frozen=True)
class Options:
    min_instances: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="ha.aurora-instances",
    domain="ha",
    title="Aurora cluster has too few instances to fail over",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Attach at least two aws_rds_cluster_instance resources to the cluster (count = 2 with "
    "cluster_identifier = aws_rds_cluster.<name>.id), in different availability zones.",
    kinds=(CLUSTER,),
    platforms=CLOUD,
    controls=("availability: database standby in a second zone",),
    options=Options(),
    needs=(TIER, CLUSTER, INSTANCE),
)


@dataclass
class _Members:
    instances: dict[str, list[Resource]] = field(default_factory=dict)
    """Cluster uid -> its instances that the plan keeps."""
    deleted: dict[str, int] = field(default_factory=dict)
    unattributed: int = 0
    """Instances whose cluster_identifier is unknown until apply and that refer to no cluster."""


def _identifiers(cluster: Resource) -> set[str]:
    return {str(v) for k in ("cluster_identifier", "id") if isinstance(v := cluster.body.get(k), str) and v}


def _members(ctx: Context) -> _Members:
    """Instances by cluster, built once per scan: by reference (address or URN) or by identifier."""
    by_ref: dict[str, list[Resource]] = {}
    by_name: dict[str, list[Resource]] = {}
    for cluster in ctx.of_kind(CLUSTER):
        for key in {cluster.uid, config_address(cluster)}:
            by_ref.setdefault(key, []).append(cluster)
        for name in _identifiers(cluster):
            by_name.setdefault(name, []).append(cluster)
    found = _Members()
    for instance in ctx.of_kind(INSTANCE):
        named = instance.body.get("cluster_identifier")
        if isinstance(named, str) and named:
            clusters = by_name.get(named, [])
            if not clusters:  # named by a value the plan knows: refers to it only if that is the cluster's
                refs = instance.change.references if instance.change else frozenset()
                clusters = [c for r in refs for c in by_ref.get(r, []) if not _identifiers(c)]
        else:
            refs = instance.change.references if instance.change else frozenset()
            clusters = list({c.uid: c for r in refs for c in by_ref.get(r, [])}.values())
            if not clusters and is_unknown(instance, "cluster_identifier"):
                found.unattributed += 1
        for cluster in clusters:
            if is_deleted(instance):
                found.deleted[cluster.uid] = found.deleted.get(cluster.uid, 0) + 1
            else:
                found.instances.setdefault(cluster.uid, []).append(instance)
    return found


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if is_deleted(resource):
        return
    engine = get(resource, "engine")
    if isinstance(engine, str) and not engine.startswith("aurora"):
        return  # a Multi-AZ DB cluster (mysql / postgres): its instances are not separate resources
    if get(resource, "engine_mode") == "serverless":
        return
    tier = ctx.tier_of(resource)
    minimum = int(per_tier(options.min_instances, tier, 1))
    members = ctx.cached("ha.aurora-instances.members", lambda: _members(ctx))
    count = len(members.instances.get(resource.uid, []))
    if count >= minimum:
        return
    if members.unattributed:
        yield NotEvaluated(
            f"{members.unattributed} aws_rds_cluster_instance(s) have a cluster_identifier known only after "
            "apply and refer to no cluster in the scan"
        )
        return
    deleted = members.deleted.get(resource.uid, 0)
    gone = f" ({deleted} more deleted by this change)" if deleted else ""
    name = subject(resource, "Aurora cluster", "cluster_identifier")
    yield Violation(
        f"{name} has {count} instance(s){gone}; {tier.value} needs at least {minimum} so that a reader can take "
        "over when the writer fails"
    )
