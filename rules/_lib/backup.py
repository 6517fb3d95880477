"""Helpers for backup rules: Velero schedules and namespaces, CNPG backups, durations and dates."""

from __future__ import annotations

import datetime as dt
import re
from fnmatch import fnmatchcase
from typing import Any

from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource

VELERO_GROUP = "velero.io"
CNPG_GROUP = "postgresql.cnpg.io"
ZALANDO_GROUP = "acid.zalan.do"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
RESTORE_TEST_KEY = "govscan.io/last-restore-test"

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_CNPG_RETENTION = re.compile(r"^\s*([1-9][0-9]*)\s*([dwm])\s*$")
_CNPG_UNITS = {"d": 1, "w": 7, "m": 30}


def is_cnpg_cluster(resource: Resource) -> bool:
    return bool(resource.kind == "Cluster" and resource.group == CNPG_GROUP)


def is_zalando_cluster(resource: Resource) -> bool:
    return bool(resource.kind == "postgresql" and resource.group == ZALANDO_GROUP)


def velero_schedules(ctx: Context) -> list[Resource]:
    return [s for s in ctx.of_kind("Schedule") if s.group == VELERO_GROUP]


def _patterns(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str | int)] if isinstance(value, list) else []


def schedule_covers(schedule: Resource, namespace: str | None) -> bool | None:
    """Whether a Velero Schedule backs up `namespace` (None when the namespace is unknown and it matters)."""
    if dig(schedule.body, ("spec", "paused")) is True:
        return False
    template = dig(schedule.body, ("spec", "template"))
    template = template if isinstance(template, dict) else {}
    included = _patterns(template.get("includedNamespaces")) or ["*"]
    excluded = _patterns(template.get("excludedNamespaces"))
    if namespace is None:
        return True if included == ["*"] and not excluded else None
    if not any(fnmatchcase(namespace, p) for p in included):
        return False
    return not any(fnmatchcase(namespace, p) for p in excluded)


def scheduled_backups_for(cluster: Resource, ctx: Context) -> list[Resource]:
    """CNPG ScheduledBackups in the cluster's namespace targeting it and not suspended."""
    found = []
    for backup in ctx.of_kind("ScheduledBackup", namespace=cluster.namespace):
        if backup.group != CNPG_GROUP or dig(backup.body, ("spec", "cluster", "name")) != cluster.name:
            continue
        if dig(backup.body, ("spec", "suspend")) is True:
            continue
        found.append(backup)
    return found


def go_duration_days(value: Any) -> float | None:
    """Days in a Go duration (`720h0m0s`, `168h`, `1h30m`), or None when it does not parse."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("0", ""):
        return 0.0 if text == "0" else None
    if not re.fullmatch(r"(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+", text):
        return None
    seconds = sum(float(n) * _GO_UNITS[u] for n, u in _GO_DURATION.findall(text))
    return seconds / 86400


def cnpg_retention_days(value: Any) -> int | None:
    """Days in a CNPG retentionPolicy (`30d`, `4w`, `3m`; m is months, counted as 30 days)."""
    if not isinstance(value, str):
        return None
    match = _CNPG_RETENTION.match(value)
    if not match:
        return None
    return int(match.group(1)) * _CNPG_UNITS[match.group(2)]


def today(ctx: Context) -> dt.date:
    """The scan's date (the engine sets ctx.today from the scan request)."""
    value = getattr(ctx, "today", None)
    return value if isinstance(value, dt.date) else dt.date.today()


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            return None
    return None
