"""schema-migration: the change migrates a database schema or a database engine's major version.

Signals, on resources the change adds or whose pods it restarts:

- a Helm `pre-upgrade` hook (or Argo CD `PreSync` hook) Job that is not a backup: it runs before
  the release, which is what migration hooks are for;
- a Job whose name says it migrates (`odoo-migrate`, `db-migration`);
- a container running `alembic upgrade`, `manage.py migrate`, `db:migrate`, `flyway migrate`,
  `liquibase update`, `prisma migrate deploy`, or Odoo with `-u` / `--update` / `-i` / `--init`
  (module updates rewrite the database);
- a database engine's major version changing: RDS / Cloud SQL / Azure `engine_version` /
  `database_version`, a CloudNativePG `imageName`, a Zalando `postgresql.version`, or a PostgreSQL /
  MySQL / MariaDB / MongoDB container image (`postgres:15` -> `postgres:16`).

Is schema-migration::

    kind: Job
    metadata: {name: odoo-migrate, annotations: {helm.sh/hook: pre-upgrade}}
    ... args: [odoo, -u, sale_stock, --stop-after-init]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.release import (
    command_pointer,
    engine_major_changes,
    is_backup_job,
    label,
    migration_commands,
    rolls_pods,
    runs_before_upgrade,
)
from govscan.rules._lib.workloads import is_workload
from govscan.scanner.model import ChangeKind, ClassifierMeta, ReleaseClass, ResourceChange, Signal

META = ClassifierMeta(ReleaseClass.SCHEMA_MIGRATION, "A database schema or engine version is migrated")
MIGRATION_NAME = re.compile(r"migrat", re.IGNORECASE)


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    if change.kind is ChangeKind.REMOVED:
        return
    for what, before, after, pointer in engine_major_changes(change, ctx):
        yield Signal(f"{what}: database major version {before} -> {after}", pointer)
    resource = change.resource
    if not is_workload(resource, ctx) or not rolls_pods(change, ctx):
        return
    if runs_before_upgrade(resource) and not is_backup_job(resource, ctx):
        yield Signal(f"pre-upgrade hook {label(resource)} runs before the release", "/metadata/annotations")
    elif resource.kind == "Job" and MIGRATION_NAME.search(resource.name):
        yield Signal(f"migration Job {label(resource)}", "/metadata/name")
    for container, what in migration_commands(resource, ctx):
        yield Signal(f"{container.label} runs {what}", command_pointer(container))
