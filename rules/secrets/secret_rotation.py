"""Secrets Manager secrets rotate automatically, at least every `max_rotation_days` (90) days.

A database or API password that never changes stays valid in every old laptop, CI log and former
employee's password manager; rotation limits how long a leak is useful. Passes: an
aws_secretsmanager_secret_rotation attached to the secret (by reference, Pulumi dependency or its
`secret_id`), or the older inline `rotation_rules` block, with `automatically_after_days` (or a
`rate(N days)` schedule) within the limit. A provider-4+ plan shows the deprecated inline block as
known after apply when the configuration leaves it out; with no rotation resource attached, such a
secret has no rotation. Secrets nothing can rotate (a third party's API key) need a waiver with an
owner and a manual-rotation date.

Passes (production)::

    resource "aws_secretsmanager_secret_rotation" "erp_db" {
      secret_id           = aws_secretsmanager_secret.erp_db.id
      rotation_lambda_arn = aws_lambda_function.rotate_postgres.arn
      rotation_rules { automatically_after_days = 30 }
    }

Fails (production)::

    resource "aws_secretsmanager_secret" "erp_db" { name = "erp-prod/db" }  # no rotation attached
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import Path, attachments, blocks_at, inline_blocks
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

ROTATION = "aws_secretsmanager_secret_rotation"
_RATE = re.compile(r"^\s*rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)\s*$")


@dataclass(frozen=True)
class Options:
    max_rotation_days: int = 90


RULE = RuleMeta(
    id="secrets.secret-rotation",
    domain="secrets",
    title="Secrets Manager secret is not rotated automatically",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Add an aws_secretsmanager_secret_rotation with secret_id = the secret, rotation_lambda_arn = a "
    "rotation function (the AWS templates cover PostgreSQL and other RDS engines) and rotation_rules { "
    "automatically_after_days = 30 }; for RDS master passwords, manage_master_user_password = true rotates for you.",
    kinds=("aws_secretsmanager_secret",),
    platforms=CLOUD,
    controls=("security: secret rotation",),
    options=Options(),
    needs=(ROTATION,),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    rotations = [r for r in attachments(ctx, ROTATION, "secret_id")(resource) if action(r) is not Action.DELETE]
    for rotation in rotations:
        for path, _ in blocks_at(rotation, "rotation_rules"):
            yield from _period(rotation, path, options, f"{rotation.kind} {rotation.name}", "")
    if rotations:
        return
    rules = inline_blocks(resource, "rotation_rules")
    if not rules:
        yield Violation(f"no rotation: no {ROTATION} is attached and no rotation_rules are set", "")
    for path, _ in rules:
        yield from _period(resource, path, options, "rotation_rules", None)


def _period(owner: Resource, path: Path, options: Options, where: str, at: str | None) -> Iterator[Violation]:
    """A violation when the rotation period at `path` is longer than allowed (`at` None: point at it)."""
    field = "automatically_after_days"
    days = get(owner, *path, field)
    if not days:
        schedule = get(owner, *path, "schedule_expression")  # cron() schedules are not judged
        if isinstance(schedule, str) and (match := _RATE.match(schedule)):
            days = int(match.group(1)) / (24 if match.group(2).startswith("hour") else 1)
            field = "schedule_expression"
    if isinstance(days, int | float) and days > options.max_rotation_days:
        yield Violation(
            f"{where} rotates every {days:g} days ({field}): longer than {options.max_rotation_days} days",
            pointer(*path, field) if at is None else at,
        )
