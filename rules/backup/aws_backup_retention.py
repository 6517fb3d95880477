"""AWS Backup plans keep recovery points (and their copies) at least as many days as the tier requires.

An `aws_backup_plan` rule with `lifecycle { delete_after = 7 }` deletes each recovery point after a
week, whatever else the governance table says; a `copy_action` to another region or account with a
shorter lifecycle makes the offsite copy the first to go. Minimum days per tier (`min_days`):
production 30, staging 7, qa and development 1, sandbox none. A rule without `delete_after` keeps its
recovery points until deleted by hand, which passes.

Passes (production)::

    rule {
      rule_name = "erp-daily", target_vault_name = "erp-prod"
      lifecycle { cold_storage_after = 30, delete_after = 365 }
    }

Fails (production)::

    rule { rule_name = "erp-daily", lifecycle { delete_after = 7 } }
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from govscan.rules._lib.cloud import CLOUD
from govscan.rules._lib.cloud_backup import default_min_days, display_name, each, find, integer, live, min_days, where
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    min_days: Mapping[str, int] = field(default_factory=default_min_days)


RULE = RuleMeta(
    id="backup.aws-backup-retention",
    domain="backup",
    title="AWS Backup plan deletes recovery points sooner than the tier requires",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Raise the rule's lifecycle { delete_after } (and each copy_action's lifecycle { delete_after }) to "
    "at least the tier's retention, 30 days in production (Pulumi: rules[].lifecycle.deleteAfter).",
    kinds=("aws_backup_plan",),
    platforms=CLOUD,
    controls=("backups: retention per tier", "backups: offsite retention"),
    options=Options(),
    needs=(TIER,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if not live(resource):
        return
    tier = ctx.tier_of(resource)
    minimum = min_days(options.min_days, tier)
    for rule in each(resource, "rule", "rules"):
        label, _ = find(resource, *rule, "rule_name")
        label = label or "?"
        days, path = find(resource, *rule, "lifecycle", "delete_after")
        if (kept := integer(days)) is not None and kept < minimum:
            yield Violation(
                f'AWS Backup plan {display_name(resource)} rule "{label}" deletes recovery points after {kept} day(s) '
                f"(lifecycle.delete_after); {tier.value} needs at least {minimum}",
                where(path),
            )
        for copy in each(resource, "copy_action", "copy_actions", under=rule):
            days, path = find(resource, *copy, "lifecycle", "delete_after")
            if (kept := integer(days)) is not None and kept < minimum:
                target, _ = find(resource, *copy, "destination_vault_arn")
                vault = target.rsplit(":", 1)[-1] if isinstance(target, str) else "its destination vault"
                yield Violation(
                    f'AWS Backup plan {display_name(resource)} rule "{label}" keeps its copy in {vault} only {kept} day(s) '
                    f"(copy_action lifecycle.delete_after); {tier.value} needs at least {minimum}",
                    where(path),
                )
