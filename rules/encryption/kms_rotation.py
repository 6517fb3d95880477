"""Customer-managed symmetric KMS keys rotate their key material at least yearly.

A key that never rotates protects years of backups and database snapshots with the same material,
so one leaked or broken key exposes all of them; rotation keeps old versions for decryption, so it
costs nothing in availability. Judged: aws_kms_key `enable_key_rotation = true` (and
`rotation_period_in_days` within `max_rotation_days` when set); google_kms_crypto_key
`rotation_period` set and within `max_rotation_days`. Keys that cannot rotate automatically pass:
asymmetric and HMAC AWS keys (`customer_master_key_spec` other than SYMMETRIC_DEFAULT), keys in a
custom key store (CloudHSM or external), and Google keys whose purpose is not ENCRYPT_DECRYPT. A
plan shows an unset `rotation_period_in_days` as known only after apply (the provider computes
AWS's default, 365 days), so with rotation on an unknown period is taken as that default.

Passes (production)::

    resource "aws_kms_key" "erp_backups" { enable_key_rotation = true }

Fails (production)::

    resource "aws_kms_key" "erp_backups" { enable_key_rotation = false }
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import enabled
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

DAY = 86400
AWS_DEFAULT_DAYS = 365
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@dataclass(frozen=True)
class Options:
    max_rotation_days: int = 365


RULE = RuleMeta(
    id="encryption.kms-rotation",
    domain="encryption",
    title="KMS key does not rotate automatically",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="aws_kms_key: enable_key_rotation = true (rotation_period_in_days <= 365 if set); "
    'google_kms_crypto_key: rotation_period = "7776000s" (90 days) or at most a year.',
    kinds=("aws_kms_key", "google_kms_crypto_key"),
    platforms=CLOUD,
    controls=("encryption: key management",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind == "aws_kms_key":
        yield from _aws(resource, options)
    else:
        yield from _google(resource, options)


def _aws(resource: Resource, options: Options) -> Iterator[Violation]:
    rotation = enabled(get(resource, "enable_key_rotation"))
    if rotation:
        change = resource.change
        if change is not None and change.is_unknown("/rotation_period_in_days"):
            days, label = AWS_DEFAULT_DAYS, "rotation_period_in_days is not set, so AWS rotates every"
        else:
            days, label = get(resource, "rotation_period_in_days") or AWS_DEFAULT_DAYS, "rotation_period_in_days is"
        if isinstance(days, int | float) and days > options.max_rotation_days:
            yield Violation(
                f"{label} {days:g} days: longer than {options.max_rotation_days} days",
                pointer("rotation_period_in_days"),
            )
        return
    spec = get(resource, "customer_master_key_spec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or get(resource, "custom_key_store_id") or get(resource, "xks_key_id"):
        return  # AWS rotates only symmetric keys whose material it holds
    state = "is false" if rotation is False else "is not set (false)"
    at = pointer("enable_key_rotation") if "enable_key_rotation" in resource.body else ""
    yield Violation(f"enable_key_rotation {state}: the key material never changes", at)


def _google(resource: Resource, options: Options) -> Iterator[Violation]:
    purpose = get(resource, "purpose") or "ENCRYPT_DECRYPT"
    if purpose != "ENCRYPT_DECRYPT":
        return  # asymmetric and MAC keys cannot rotate automatically
    period = get(resource, "rotation_period")
    if not period:
        at = pointer("rotation_period") if "rotation_period" in resource.body else ""
        yield Violation("rotation_period is not set: the key material never changes", at)
        return
    match = _DURATION.match(str(period))
    if match and float(match.group(1)) > options.max_rotation_days * DAY:
        days = float(match.group(1)) / DAY
        yield Violation(
            f"rotation_period is {days:g} days: longer than {options.max_rotation_days} days",
            pointer("rotation_period"),
        )
