"""PostgreSQL clusters run a primary and at least one standby in production (CNPG and Zalando operators).

A single-instance database is the single point of failure of the whole ERP: a node failure or a minor
upgrade stops Odoo until the pod is rescheduled and its volume re-attached. With two or more
instances the operator fails over to a streaming standby in seconds. Checked: CloudNativePG
`postgresql.cnpg.io` `Cluster` `spec.instances` (defaults to 1) and Zalando `acid.zalan.do`
`postgresql` `spec.numberOfInstances`, against `min_instances` per tier (production 2).

Passes (production)::

    apiVersion: postgresql.cnpg.io/v1
    kind: Cluster
    spec:
      instances: 3

Fails (production)::

    apiVersion: postgresql.cnpg.io/v1
    kind: Cluster
    spec:
      instances: 1
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, NotEvaluated, Resource, RuleMeta, Severity, Violation, enforcement_table

CNPG_GROUP = "postgresql.cnpg.io"
ZALANDO_GROUP = "acid.zalan.do"


@dataclass(frozen=True)
class Options:
    min_instances: Mapping[str, int] = field(
        default_factory=lambda: {"production": 2, "staging": 2, "qa": 1, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="ha.postgres-instances",
    domain="ha",
    title="PostgreSQL cluster runs too few instances for its tier",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Set spec.instances (CNPG Cluster) or spec.numberOfInstances (Zalando postgresql) to at least 2 in "
        "production (3 for synchronous replication), and spread them over zones."
    ),
    kinds=("Cluster", "postgresql"),
    controls=("availability: multi-instance, tested failover", "scaling: defined database capacity"),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if resource.kind == "Cluster" and resource.group == CNPG_GROUP:
        key, default = "instances", 1
    elif resource.kind == "postgresql" and resource.group == ZALANDO_GROUP:
        key, default = "numberOfInstances", None
    else:
        return
    tier = ctx.tier_of(resource)
    minimum = int(options.min_instances.get(tier.value, 1))
    spec = resource.body.get("spec")
    value = dig(resource.body, ("spec", key))
    if value is None:
        if default is None:
            yield Violation(
                f"{resource.kind} {resource.name}: {key} is unset; {tier.value} needs at least {minimum}", "/spec"
            )
        elif default < minimum:
            yield Violation(
                f"{resource.kind} {resource.name}: {key} is unset (defaults to {default}); {tier.value} needs "
                f"at least {minimum}",
                "/spec" if isinstance(spec, dict) else "",
            )
        return
    if isinstance(value, bool) or not isinstance(value, int):
        yield NotEvaluated(f"spec.{key} is not a number (a template placeholder?)")
        return
    if value < minimum:
        yield Violation(
            f"{resource.kind} {resource.name}: {key} is {value}; {tier.value} needs at least {minimum} "
            "(a primary and a standby to fail over to)",
            f"/spec/{key}",
        )
