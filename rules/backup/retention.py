"""Backups are kept at least as long as the tier requires (production 30 days, staging 7).

Retention shorter than the time it takes to notice a problem (a silent data corruption, a bad
migration found at month end) leaves no good copy to restore. Checked:

- Velero `velero.io` `Schedule` `spec.template.ttl`, a Go duration such as `720h0m0s`; unset means
  Velero's default of 30 days. The Schedule's own tier decides the minimum (label it
  `govscan.io/tier` if it lives in a shared `velero` namespace).
- CloudNativePG `Cluster` `spec.backup.retentionPolicy` (`30d`, `4w`, `3m`, months counted as 30
  days); unset means backups are never deleted, which passes. Clusters without `spec.backup` are
  `backup.cnpg-offsite`'s business.

Minimum days per tier: the `min_days` option.

Passes (production)::

    kind: Schedule
    spec:
      template: {ttl: 2160h0m0s}     # 90 days

Fails (production)::

    kind: Cluster                    # postgresql.cnpg.io
    spec:
      backup: {retentionPolicy: "7d", barmanObjectStore: {destinationPath: "s3://erp-backups/"}}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.backup import VELERO_GROUP, cnpg_retention_days, go_duration_days, is_cnpg_cluster
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Violation, enforcement_table

VELERO_DEFAULT_TTL_DAYS = 30


@dataclass(frozen=True)
class Options:
    min_days: Mapping[str, int] = field(
        default_factory=lambda: {"production": 30, "staging": 7, "qa": 3, "development": 1, "sandbox": 1}
    )


RULE = RuleMeta(
    id="backup.retention",
    domain="backup",
    title="Backup retention is shorter than the tier requires",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation=(
        "Raise the Velero Schedule's spec.template.ttl (e.g. 720h0m0s = 30 days) or the CNPG Cluster's "
        'spec.backup.retentionPolicy (e.g. "30d") to at least the tier\'s minimum.'
    ),
    kinds=("Schedule", "Cluster"),
    controls=("backups: offsite retention", "backups: shorter retention (non-production)"),
    options=Options(),
    needs=(TIER,),
)


def _days(value: float) -> str:
    return f"{value:g} day(s)"


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    tier = ctx.tier_of(resource)
    minimum = int(options.min_days.get(tier.value, 0))
    if resource.kind == "Schedule" and resource.group == VELERO_GROUP:
        ttl = dig(resource.body, ("spec", "template", "ttl"))
        if ttl is None:
            if minimum > VELERO_DEFAULT_TTL_DAYS:
                yield Violation(
                    f"Velero Schedule {resource.name} sets no template.ttl (Velero keeps backups 30 days); "
                    f"{tier.value} needs at least {minimum} days",
                    "/spec/template" if isinstance(dig(resource.body, ("spec", "template")), dict) else "/spec",
                )
            return
        days = go_duration_days(ttl)
        if days is None:
            yield Violation(
                f"Velero Schedule {resource.name}: template.ttl {ttl!r} is not a Go duration like 720h0m0s",
                "/spec/template/ttl",
            )
        elif days < minimum:
            yield Violation(
                f"Velero Schedule {resource.name} keeps backups {_days(days)} (ttl {ttl}); {tier.value} needs at "
                f"least {minimum} days",
                "/spec/template/ttl",
            )
    elif is_cnpg_cluster(resource):
        backup = dig(resource.body, ("spec", "backup"))
        if not isinstance(backup, dict) or backup.get("retentionPolicy") is None:
            return
        policy = backup.get("retentionPolicy")
        days_int = cnpg_retention_days(policy)
        if days_int is None:
            yield Violation(
                f'Cluster {resource.name}: backup.retentionPolicy {policy!r} is not like "30d", "4w" or "3m"',
                "/spec/backup/retentionPolicy",
            )
        elif days_int < minimum:
            yield Violation(
                f"Cluster {resource.name} keeps backups {days_int} day(s) (retentionPolicy {policy}); "
                f"{tier.value} needs at least {minimum} days",
                "/spec/backup/retentionPolicy",
            )
