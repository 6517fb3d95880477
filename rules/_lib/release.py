"""Helpers for the release-class classifiers and the gate's evidence checks: migration commands,
Helm hooks, backup jobs, image-only changes, database major versions, values at a pointer.

Classifiers get a ResourceChange (base and head resources, changed field pointers, planned action)
and a context carrying `pod_spec_paths`, so `containers()` finds the pod spec of any workload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.backup import cnpg_retention_days, go_duration_days
from govscan.rules._lib.images import parse_image
from govscan.rules._lib.workloads import Container, containers, pod_spec_path
from govscan.scanner.model import Action, ChangeKind, Resource, ResourceChange

HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
ARGO_HOOK = "argocd.argoproj.io/hook"
ARGO_SYNC_WAVE = "argocd.argoproj.io/sync-wave"
ROLLBACK_PLAN = "govscan.io/rollback-plan"
DESTRUCTIVE = frozenset({Action.DELETE, Action.REPLACE})
RUN_TO_COMPLETION = frozenset({"Job", "CronJob", "Pod"})
"""Kinds whose every change runs their containers again."""

MIGRATION_COMMANDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\balembic\b.*\bupgrade\b"), "alembic upgrade"),
    (re.compile(r"\b(?:manage\.py|django-admin)\b.*\bmigrate\b"), "manage.py migrate"),
    (re.compile(r"\bdb:migrate\b"), "db:migrate"),
    (re.compile(r"\bflyway\b.*\bmigrate\b"), "flyway migrate"),
    (re.compile(r"\bliquibase\b.*\bupdate\b"), "liquibase update"),
    (re.compile(r"\bprisma\s+migrate\s+deploy\b"), "prisma migrate deploy"),
)
ODOO_UPDATE_FLAGS = frozenset({"-u", "-i", "--update", "--init"})
BACKUP_COMMAND = re.compile(
    r"\b(?:pg_dump|pg_dumpall|pg_basebackup|mysqldump|mariadb-dump|mongodump|barman-cloud-backup|"
    r"velero\s+backup\s+create|cnpg\s+backup|restic\s+backup)\b"
)
BACKUP_KINDS = frozenset(
    {"Backup", "aws_db_snapshot", "aws_db_cluster_snapshot", "aws_rds_cluster_snapshot", "aws_ebs_snapshot",
     "google_compute_snapshot", "google_sql_database_instance_backup"}
)  # fmt: skip
"""Kinds whose presence in a change is a backup taken with it (Velero, CloudNativePG, cloud snapshots)."""
VERSION_LABELS = ("app.kubernetes.io~1version", "helm.sh~1chart")
"""Labels that move with every image bump (the chart's bookkeeping), not configuration."""
DATABASE_IMAGES = frozenset(
    {"postgres", "postgresql", "postgis", "timescaledb", "mysql", "mariadb", "mongo", "mongodb", "percona-server"}
)
ENGINE_VERSION_KEYS = ("engine_version", "database_version", "version")
ENGINE_VERSION_KINDS = frozenset(
    {"aws_db_instance", "aws_rds_cluster", "aws_rds_global_cluster", "aws_docdb_cluster", "aws_neptune_cluster",
     "google_sql_database_instance", "azurerm_postgresql_server", "azurerm_postgresql_flexible_server",
     "azurerm_mysql_server", "azurerm_mysql_flexible_server", "azurerm_mssql_server"}
)  # fmt: skip


def verb(change: ResourceChange) -> str:
    return {ChangeKind.ADDED: "adds", ChangeKind.REMOVED: "removes", ChangeKind.MODIFIED: "changes"}[change.kind]


def label(resource: Resource) -> str:
    """`Kind namespace/name`, or `Kind name` without a namespace; a plan's address as it is."""
    if resource.change is not None or resource.platform.value != "k8s":
        return f"{resource.kind} {resource.uid}"
    where = f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name
    return f"{resource.kind} {where}"


def value_at(body: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or None when any step is missing."""
    current = body
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            current = current.get(token)
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return None
    return current


def annotation(resource: Resource, key: str) -> str | None:
    return resource.annotations.get(key)


def hook_phases(resource: Resource) -> frozenset[str]:
    """Helm hook phases (`pre-install,pre-upgrade`) and Argo CD hooks (`PreSync`) of a resource."""
    phases = {p.strip() for p in (resource.annotations.get(HELM_HOOK) or "").split(",") if p.strip()}
    phases |= {p.strip() for p in (resource.annotations.get(ARGO_HOOK) or "").split(",") if p.strip()}
    return frozenset(phases)


def runs_before_upgrade(resource: Resource) -> bool:
    return bool(hook_phases(resource) & {"pre-upgrade", "PreSync"})


def hook_weight(resource: Resource) -> int:
    """Helm's hook weight (or Argo CD's sync wave): lower runs first; 0 when unset or not a number."""
    text = resource.annotations.get(HELM_HOOK_WEIGHT) or resource.annotations.get(ARGO_SYNC_WAVE) or "0"
    try:
        return int(text.strip())
    except ValueError:
        return 0


def command_line(container: Container) -> str:
    """Command and args as one line (shell scripts given as one argument included)."""
    parts = [*(container.body.get("command") or []), *(container.body.get("args") or [])]
    return " ".join(str(p) for p in parts if isinstance(p, str | int | float))


def command_pointer(container: Container) -> str:
    return container.pointer + ("/args" if container.body.get("args") else "/command")


def is_odoo(container: Container, line: str) -> bool:
    image = parse_image(container.body.get("image"))
    return (image is not None and "odoo" in image.short_repository) or bool(re.search(r"\bodoo(?:-bin)?\b", line))


def migration_commands(resource: Resource, ctx: Any) -> Iterator[tuple[Container, str]]:
    """(container, what it runs) for every container that migrates a schema."""
    for container in containers(resource, ctx):
        line = command_line(container)
        found = next((what for pattern, what in MIGRATION_COMMANDS if pattern.search(line)), None)
        if found is None and is_odoo(container, line):
            flags = sorted({t.split("=", 1)[0] for t in line.split() if t.split("=", 1)[0] in ODOO_UPDATE_FLAGS})
            if flags:
                found = f"Odoo with {'/'.join(flags)} (module update)"
        if found is not None:
            yield container, found


def is_backup_job(resource: Resource, ctx: Any) -> bool:
    """A Job (or Pod) that takes a backup: named so, or running a backup tool."""
    if resource.kind not in RUN_TO_COMPLETION:
        return False
    if "backup" in resource.name.lower():
        return True
    return any(BACKUP_COMMAND.search(command_line(c)) for c in containers(resource, ctx))


def rolls_pods(change: ResourceChange, ctx: Any) -> bool:
    """Whether the change starts new pods: added, a run-to-completion kind, or its pod template changed."""
    if change.kind is ChangeKind.ADDED:
        return True
    if change.kind is not ChangeKind.MODIFIED:
        return False
    resource = change.resource
    if resource.kind in RUN_TO_COMPLETION:
        return True
    path = pod_spec_path(resource, getattr(ctx, "pod_spec_paths", None))
    if path is None:
        return False
    template = "".join(f"/{p}" for p in path[:-1])
    return any(f == template or f.startswith(template + "/") for f in change.fields)


@dataclass(frozen=True, slots=True)
class ImageBump:
    container: Container
    before: str
    after: str
    pointer: str


def image_bumps(change: ResourceChange, ctx: Any) -> list[ImageBump] | None:
    """The image changes of a change that changes nothing else (tags or digests of the same images,
    and the version labels that move with them); None when anything else changes."""
    if change.kind is not ChangeKind.MODIFIED or change.base is None or change.head is None or not change.fields:
        return None
    if change.action in DESTRUCTIVE:
        return None
    after = {c.pointer + "/image": c for c in containers(change.head, ctx)}
    before = {c.pointer + "/image": c for c in containers(change.base, ctx)}
    bumps = []
    for field in change.fields:
        if field.endswith(VERSION_LABELS) and "/labels/" in field:
            continue
        if field not in after or field not in before:
            return None
        old, new = before[field].body.get("image"), after[field].body.get("image")
        old_ref, new_ref = parse_image(old), parse_image(new)
        if old_ref is None or new_ref is None or old_ref.name != new_ref.name:
            return None
        bumps.append(ImageBump(after[field], str(old), str(new), field))
    return bumps or None


_VERSION = re.compile(r"(\d+)(?:[._](\d+))?")


def major_version(value: Any) -> tuple[int, ...] | None:
    """The major version: 15 of `15.4` or `POSTGRES_15`, (5, 7) of `5.7.44` or `MYSQL_5_7` (before 10,
    the minor number is part of it)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    match = _VERSION.search(str(value))
    if match is None:
        return None
    first = int(match.group(1))
    return (first,) if first >= 10 else (first, int(match.group(2) or 0))


def _image_major(image: Any) -> tuple[str, tuple[int, ...]] | None:
    ref = parse_image(image)
    if ref is None or ref.tag is None:
        return None
    major = major_version(ref.tag)
    return (ref.name, major) if major is not None else None


def engine_major_changes(change: ResourceChange, ctx: Any) -> Iterator[tuple[str, str, str, str]]:
    """(what, before, after, pointer) for each database engine whose major version changes."""
    if change.kind is not ChangeKind.MODIFIED or change.base is None or change.head is None:
        return
    base, head = change.base, change.head
    if head.kind in ENGINE_VERSION_KINDS:
        for key in ENGINE_VERSION_KEYS:
            old, new = major_version(base.body.get(key)), major_version(head.body.get(key))
            if old is not None and new is not None and old != new:
                yield f"{head.kind} {head.name} {key}", str(base.body[key]), str(head.body[key]), f"/{key}"
        return
    if head.kind == "Cluster" and head.group == "postgresql.cnpg.io":
        old_image, new_image = (
            _image_major(value_at(base.body, "/spec/imageName")),
            _image_major(value_at(head.body, "/spec/imageName")),
        )
        if old_image and new_image and old_image[1] != new_image[1]:
            yield f"PostgreSQL cluster {head.name}", _dotted(old_image[1]), _dotted(new_image[1]), "/spec/imageName"
        return
    if head.kind == "postgresql" and head.group == "acid.zalan.do":
        old_v, new_v = value_at(base.body, "/spec/postgresql/version"), value_at(head.body, "/spec/postgresql/version")
        if major_version(old_v) and major_version(new_v) and major_version(old_v) != major_version(new_v):
            yield f"PostgreSQL cluster {head.name}", str(old_v), str(new_v), "/spec/postgresql/version"
        return
    before = {c.name: c for c in containers(base, ctx)}
    for container in containers(head, ctx):
        old_c = before.get(container.name)
        if old_c is None:
            continue
        old_image, new_image = _image_major(old_c.body.get("image")), _image_major(container.body.get("image"))
        if not old_image or not new_image or old_image[0] != new_image[0]:
            continue
        if old_image[0].rsplit("/", 1)[-1] in DATABASE_IMAGES and old_image[1] != new_image[1]:
            yield container.label, _dotted(old_image[1]), _dotted(new_image[1]), container.pointer + "/image"


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def retention_days(value: Any, go_duration: bool) -> float | None:
    """A retention as a number: plain numbers as they are (same unit on both sides), Go durations
    (Velero's `ttl: 720h`) or CloudNativePG periods (`retentionPolicy: 30d`) in days."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value.strip())
    if go_duration:
        return go_duration_days(value)
    days = cnpg_retention_days(value)
    return float(days) if days is not None else None
