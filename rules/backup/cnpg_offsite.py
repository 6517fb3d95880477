"""CloudNativePG clusters back up off-site to an object store with continuous WAL archiving (PITR).

Volume snapshots live in the same cluster and storage system as the data they protect; an off-site
object store (S3, Azure Blob, GCS) with continuous WAL archiving survives the loss of the cluster and
allows point-in-time recovery to just before a bad migration. Passes with either:

- `spec.backup.barmanObjectStore` with a `destinationPath` (WAL archiving is then automatic), or
- a plugin-based backup: a `spec.plugins` entry (e.g. `barman-cloud.cloudnative-pg.io`) with
  `isWALArchiver: true`.

Replica clusters (`spec.replica.enabled: true`) are skipped: their source cluster archives.

Passes (production)::

    kind: Cluster                   # postgresql.cnpg.io
    spec:
      backup:
        barmanObjectStore: {destinationPath: "s3://erp-backups/odoo-db"}

Fails (production)::

    kind: Cluster
    spec:
      backup:
        volumeSnapshot: {className: csi-snapclass}   # snapshots only, no object store, no WAL archive
"""

from __future__ import annotations

from collections.abc import Iterator

from govscan.rules._lib.backup import is_cnpg_cluster
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="backup.cnpg-offsite",
    domain="backup",
    title="CloudNativePG cluster has no off-site object-store backup with WAL archiving",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation=(
        "Configure spec.backup.barmanObjectStore (destinationPath, credentials) or the Barman Cloud plugin with "
        "isWALArchiver: true, pointing at a bucket outside the cluster."
    ),
    kinds=("Cluster",),
    controls=("backups: offsite retention", "backups: automated"),
)


def check(resource: Resource, ctx: Context, options: None) -> Iterator[Violation]:
    if not is_cnpg_cluster(resource) or dig(resource.body, ("spec", "replica", "enabled")) is True:
        return
    plugins = dig(resource.body, ("spec", "plugins"))
    plugins = plugins if isinstance(plugins, list) else []
    if any(isinstance(p, dict) and p.get("isWALArchiver") is True for p in plugins):
        return
    store = dig(resource.body, ("spec", "backup", "barmanObjectStore"))
    if isinstance(store, dict):
        if isinstance(store.get("destinationPath"), str) and store["destinationPath"].strip():
            return
        yield Violation(
            f"Cluster {resource.name}: backup.barmanObjectStore has no destinationPath, so nothing is archived",
            "/spec/backup/barmanObjectStore",
        )
        return
    for i, plugin in enumerate(plugins):
        if isinstance(plugin, dict) and "barman" in str(plugin.get("name", "")):
            yield Violation(
                f"Cluster {resource.name}: plugin {plugin.get('name')} is not the WAL archiver (isWALArchiver: "
                "true), so there is no point-in-time recovery",
                f"/spec/plugins/{i}",
            )
            return
    backup = dig(resource.body, ("spec", "backup"))
    if isinstance(backup, dict):
        yield Violation(
            f"Cluster {resource.name} has spec.backup but no barmanObjectStore or WAL-archiving plugin: its backups "
            "stay in the cluster and there is no point-in-time recovery",
            "/spec/backup",
        )
    else:
        yield Violation(
            f"Cluster {resource.name} has no off-site backup: no spec.backup.barmanObjectStore and no "
            "WAL-archiving plugin",
            "/spec",
        )
