"""Production S3 buckets do not replicate into non-production buckets.

Replication copies every new object, continuously and unmasked: a rule that sends `erp-backups`
(database dumps) or `odoo-filestore` (attachments, invoices, ID scans) to `erp-backups-qa` puts
production data where QA credentials, debug tooling and contractors can read it. Replicate to a
production-grade disaster-recovery bucket instead, and give non-production a masked export. Judged:
`aws_s3_bucket_replication_configuration` (each enabled `rule`'s `destination.bucket`) and the inline
`replication_configuration` of `aws_s3_bucket`. The source is production when its bucket in the scan
has the production tier (or, outside the scan, a name with a `production_patterns` token, or the
replication resource itself is in production); a destination is non-production when its bucket in
the scan has another tier or its name has a `nonproduction_patterns` token (qa, dev, staging, test,
...) and no production one. A destination known only after apply that refers to no bucket of the
scan is not evaluated. A plan that leaves the inline block wholly unknown (AWS provider 4+, which
computes it when the configuration leaves it out) has it configured by the separate resource.

Passes::

    rule {
      status      = "Enabled"
      destination { bucket = "arn:aws:s3:::erp-backups-dr-eu-central-1" }
    }

Fails (production)::

    rule {
      status      = "Enabled"
      destination { bucket = "arn:aws:s3:::erp-backups-qa" }
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_masking import (
    DEFAULT_NONPRODUCTION_PATTERNS,
    DEFAULT_PRODUCTION_PATTERNS,
    ScanIndex,
    bucket_name,
    production_name,
)
from govscan.rules._lib.cloud_network import Path, items, path_of, unset_computed_block
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Action, Resource, RuleMeta, Severity, Tier, Violation, enforcement_table

BUCKET = "aws_s3_bucket"
CONFIG = "aws_s3_bucket_replication_configuration"


@dataclass(frozen=True)
class Options:
    production_patterns: tuple[str, ...] = DEFAULT_PRODUCTION_PATTERNS
    nonproduction_patterns: tuple[str, ...] = DEFAULT_NONPRODUCTION_PATTERNS


RULE = RuleMeta(
    id="data-masking.bucket-replication-to-nonprod",
    domain="data-masking",
    title="Production bucket replicates into a non-production bucket",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="warn", sandbox="warn"),
    remediation="Point the replication rule's destination.bucket at a production-grade bucket (a DR copy in "
    "another region or account, with the same encryption and access controls), or delete the rule; feed "
    "non-production from a masked export job instead.",
    kinds=(CONFIG, BUCKET),
    platforms=CLOUD,
    controls=("privacy: no unmasked production data outside production",),
    options=Options(),
    needs=(TIER, BUCKET),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    index = ScanIndex.of(ctx, BUCKET)
    if resource.kind == BUCKET:
        rules = _rules(resource, path_of(resource, "replication_configuration", "rules"))
    else:
        rules = _rules(resource, ("rule",)) or _rules(resource, ("rules",))
    rules = [r for r in rules if str(get(resource, *r, "status") or "Enabled").lower() != "disabled"]
    if not rules:
        return
    targets = [(rule, _destination(resource, rule)) for rule in rules]
    source = resource if resource.kind == BUCKET else _source_bucket(resource, index, [t for _, t in targets])
    if not _production_source(resource, source, ctx, options):
        return
    source_name = _display(source) if source is not None else str(get(resource, "bucket"))
    for rule, at in targets:
        reason = _nonproduction_destination(resource, at, source, ctx, index, options)
        if reason:
            rule_id = get(resource, *rule, "id")
            label = f'rule "{rule_id}"' if rule_id else f"rule {rule[-1]}"
            yield Violation(f"{label} replicates production bucket {source_name} into {reason}", pointer(*at))


def _rules(resource: Resource, path: Path) -> list[Path]:
    if resource.kind == BUCKET and (
        unset_computed_block(resource, "replication_configuration")  # configured by the separate resource
        or get(resource, "replication_configuration") in (None, [])
    ):
        return []
    return items(resource, *path)


def _destination(resource: Resource, rule: Path) -> Path:
    destination = get(resource, *rule, "destination")
    return (*rule, "destination", 0, "bucket") if isinstance(destination, list) else (*rule, "destination", "bucket")


def _source_bucket(config: Resource, index: ScanIndex, destinations: list[Path]) -> Resource | None:
    """The replicated bucket in the scan (by name, or the one bucket it refers to that is no known
    destination), None when it is not in the scan; raises UnknownValue when that cannot be told."""
    if not (config.change is not None and config.change.is_unknown("/bucket")):
        named = index.named(get(config, "bucket"))
        return named[0] if named else None
    known = [v for at in destinations if not _unknown(config, at) and (v := get(config, *at))]
    excluded = {b.uid for value in known for b in index.named(value)}
    candidates = [b for b in index.referenced_by(config) if b.uid not in excluded]
    if len(candidates) == 1:
        return candidates[0]
    get(config, "bucket")  # raises: the bucket is known only after apply and the references do not tell
    return None


def _unknown(resource: Resource, at: Path) -> bool:
    return resource.change is not None and resource.change.is_unknown(pointer(*at))


def _production_source(resource: Resource, source: Resource | None, ctx: Context, options: Options) -> bool:
    if source is not None:
        return ctx.tier_of(source) is Tier.PRODUCTION
    name = get(resource, "bucket")
    return bool(production_name(name, options.production_patterns)) or ctx.tier_of(resource) is Tier.PRODUCTION


def _nonproduction_destination(
    resource: Resource, at: Path, source: Resource | None, ctx: Context, index: ScanIndex, options: Options
) -> str | None:
    """`bucket X (tier qa)` / `bucket X (name says qa)` for a non-production destination, else None."""
    if _unknown(resource, at):
        candidates = [b for b in index.referenced_by(resource) if source is None or b.uid != source.uid]
        if candidates:
            return next((r for b in candidates if (r := _judge_bucket(b, ctx, options))), None)
    value = get(resource, *at)  # raises for an unknown destination that refers to no bucket of the scan
    name = bucket_name(value)
    if not name:
        return None
    in_scan = [b for b in index.named(value) if source is None or b.uid != source.uid]
    if in_scan:
        return next((r for b in in_scan if (r := _judge_bucket(b, ctx, options))), None)
    return _judge_name(name, options)


def _judge_bucket(bucket: Resource, ctx: Context, options: Options) -> str | None:
    tier = ctx.tier_of(bucket)
    if tier is not Tier.PRODUCTION:
        return f"non-production bucket {_display(bucket)} (tier {tier.value})"
    return _judge_name(_display(bucket), options)


def _judge_name(name: str, options: Options) -> str | None:
    token = production_name(name, options.nonproduction_patterns)
    if token and not production_name(name, options.production_patterns):
        return f'non-production bucket {name} (its name says "{token}")'
    return None


def _display(bucket: Resource) -> str:
    name = bucket.body.get("bucket")
    return name if isinstance(name, str) and name else bucket.name
