"""Backups carry recent restore-test evidence: `govscan.io/last-restore-test: YYYY-MM-DD`.

A backup that was never restored is a hope, not a backup: wrong credentials, a missing WAL segment or
an unrestorable Odoo filestore are found during the incident. Record each successful restore drill
with the annotation `govscan.io/last-restore-test: "2026-10-02"` on the Velero `Schedule`, or on the
CloudNativePG `Cluster` or one of its `ScheduledBackup`s. Missing, unparsable, future or older than
`max_age_days` (default 90) fails. Today is `settings.today` from the config when set, else the clock.
CNPG clusters with no backup configured (no object store, plugin or ScheduledBackup) and replica
clusters are skipped.

Passes (production)::

    kind: Schedule                  # velero.io
    metadata:
      annotations: {govscan.io/last-restore-test: "2026-10-02"}

Fails (production)::

    kind: Schedule                  # no annotation, or a date more than 90 days ago
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.backup import (
    RESTORE_TEST_KEY,
    VELERO_GROUP,
    is_cnpg_cluster,
    parse_date,
    scheduled_backups_for,
    today,
)
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    max_age_days: int = 90


RULE = RuleMeta(
    id="backup.restore-test",
    domain="backup",
    title="No recent restore-test evidence for a backup",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="warn", staging="info", qa="info", development="off", sandbox="off"),
    remediation=(
        "Restore the latest backup into a scratch namespace, check Odoo starts on it, then set the annotation "
        'govscan.io/last-restore-test: "YYYY-MM-DD" on the Schedule / ScheduledBackup / Cluster.'
    ),
    kinds=("Schedule", "Cluster"),
    controls=("backups: restore testing", "backups: periodic restore checks (non-production)"),
    options=Options(),
    needs=("ScheduledBackup",),
)


def has_backup(resource: Resource, ctx: Context) -> bool:
    spec_backup = dig(resource.body, ("spec", "backup"))
    plugins = dig(resource.body, ("spec", "plugins"))
    return bool(spec_backup) or bool(plugins) or bool(scheduled_backups_for(resource, ctx))


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.kind == "Schedule":
        if resource.group != VELERO_GROUP:
            return
        holders = [resource]
    elif is_cnpg_cluster(resource):
        if dig(resource.body, ("spec", "replica", "enabled")) is True or not has_backup(resource, ctx):
            return
        holders = [resource, *scheduled_backups_for(resource, ctx)]
    else:
        return
    now = today(ctx)
    dates: list[tuple[dt.date, Resource]] = []
    bad: list[tuple[str, Resource]] = []
    for holder in holders:
        raw = holder.annotations.get(RESTORE_TEST_KEY)
        if raw is None:
            continue
        parsed = parse_date(raw)
        if parsed is None:
            bad.append(
                (f"{RESTORE_TEST_KEY} on {holder.kind} {holder.name} is {str(raw)[:40]!r}, not YYYY-MM-DD", holder)
            )
        elif parsed > now:
            bad.append((f"{RESTORE_TEST_KEY} on {holder.kind} {holder.name} is {parsed} (in the future)", holder))
        else:
            dates.append((parsed, holder))
    own = pointer_join("metadata", "annotations", RESTORE_TEST_KEY)
    has_own = RESTORE_TEST_KEY in resource.annotations
    pointer = own if has_own else "/metadata"
    if dates:
        latest, holder = max(dates, key=lambda d: d[0])
        age = (now - latest).days
        if age > options.max_age_days:
            where = "" if holder is resource else f" (on {holder.kind} {holder.name})"
            yield Violation(
                f"{resource.kind} {resource.name}: last restore test {latest}{where} is {age} days old; "
                f"run a restore drill at least every {options.max_age_days} days",
                pointer,
            )
        return
    if bad:
        yield Violation(f"{resource.kind} {resource.name}: {bad[0][0]}", pointer)
        return
    yield Violation(
        f"{resource.kind} {resource.name} has no restore-test evidence: annotate {RESTORE_TEST_KEY}: YYYY-MM-DD "
        "after each successful restore drill",
        "/metadata",
    )
