"""Each CloudNativePG cluster has a ScheduledBackup targeting it.

WAL archiving alone is not a backup: recovery needs a base backup, and the longer ago the last one
was taken, the more WAL must be replayed (or the archive may have been pruned past it). A
`postgresql.cnpg.io` `ScheduledBackup` (not suspended) in the cluster's namespace whose
`spec.cluster.name` names the cluster takes base backups automatically. Replica clusters
(`spec.replica.enabled: true`) are skipped.

Passes (production)::

    kind: ScheduledBackup
    spec:
      schedule: "0 0 2 * * *"
      cluster: {name: odoo-db}

Fails (production)::

    kind: Cluster                   # odoo-db, and no ScheduledBackup names it
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.backup import CNPG_GROUP, is_cnpg_cluster, scheduled_backups_for
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="backup.cnpg-scheduled",
    domain="backup",
    title="CloudNativePG cluster has no ScheduledBackup",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="off"),
    remediation=(
        "Add a postgresql.cnpg.io ScheduledBackup with spec.cluster.name set to the cluster (e.g. schedule "
        '"0 0 2 * * *", backupOwnerReference: self) in the cluster\'s namespace.'
    ),
    kinds=("Cluster",),
    controls=("backups: automated",),
    needs=("ScheduledBackup",),
)


def check(resource: Resource, ctx: Context, options: None) -> Iterator[Violation]:
    if not is_cnpg_cluster(resource) or dig(resource.body, ("spec", "replica", "enabled")) is True:
        return
    if scheduled_backups_for(resource, ctx):
        return
    suspended = [
        b.name
        for b in ctx.of_kind("ScheduledBackup", namespace=resource.namespace)
        if b.group == CNPG_GROUP and dig(b.body, ("spec", "cluster", "name")) == resource.name
    ]
    ns = f" in namespace {resource.namespace}" if resource.namespace else ""
    said = f"ScheduledBackup {suspended[0]} is suspended" if suspended else f"no ScheduledBackup{ns} targets it"
    yield Violation(f"Cluster {resource.name} gets no automatic base backups: {said}", "/metadata/name")
