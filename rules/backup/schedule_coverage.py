"""Stateful resources sit in a namespace covered by a Velero Schedule or a database-native scheduled backup.

State that no scheduled backup covers is lost for good when a volume, a node or a cluster goes.
Checked on what holds state: PersistentVolumeClaims, StatefulSets with `volumeClaimTemplates`,
CloudNativePG `Cluster`s and Zalando `postgresql`s. Covered means one of:

- a `velero.io` `Schedule` (not paused) whose `spec.template.includedNamespaces` matches the namespace
  (missing, empty or `*` means every namespace; globs allowed) and whose `excludedNamespaces` does not;
  a resource labelled `velero.io/exclude-from-backup: "true"` is not covered by Velero;
- for a CNPG Cluster, a `ScheduledBackup` (not suspended) whose `spec.cluster.name` names it;
- for a Zalando cluster, `spec.enableLogicalBackup: true`;
- the namespace matches the `covered_namespaces` option (globs): use it when your Velero Schedules live
  in another repository (a platform repo), so this scan cannot see them.

CNPG replica clusters (`spec.replica.enabled: true`) are skipped. Label selectors and resource filters of a Schedule are not evaluated.

Passes (production)::

    kind: Schedule                  # velero.io/v1, namespace velero
    spec:
      schedule: "0 2 * * *"
      template: {includedNamespaces: [erp-prod]}

Fails (production)::

    kind: PersistentVolumeClaim     # namespace erp-prod, and no Schedule includes erp-prod
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from govscan.rules._lib.backup import (
    is_cnpg_cluster,
    is_zalando_cluster,
    schedule_covers,
    scheduled_backups_for,
    velero_schedules,
)
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import (
    NotEvaluated,
    Resource,
    RuleMeta,
    Severity,
    Violation,
    enforcement_table,
    pointer_join,
)

EXCLUDE_LABEL = "velero.io/exclude-from-backup"


@dataclass(frozen=True)
class Options:
    covered_namespaces: tuple[str, ...] = ()


RULE = RuleMeta(
    id="backup.schedule-coverage",
    domain="backup",
    title="Stateful resource is not covered by any scheduled backup",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="info", sandbox="off"),
    remediation=(
        "Add a Velero Schedule whose template.includedNamespaces includes the namespace (or a CNPG ScheduledBackup "
        "for a database); if the Schedule lives in another repo, list the namespace in "
        "rules.backup.schedule-coverage.options.covered_namespaces of .govscan.yaml."
    ),
    kinds=("PersistentVolumeClaim", "StatefulSet", "Cluster", "postgresql"),
    controls=("backups: automated",),
    options=Options(),
    needs=("Schedule", "ScheduledBackup"),
)


def holds_state(resource: Resource) -> bool:
    if resource.kind == "PersistentVolumeClaim":
        return bool(resource.group == "")
    if resource.kind == "StatefulSet":
        templates = dig(resource.body, ("spec", "volumeClaimTemplates"))
        return isinstance(templates, list) and len(templates) > 0
    return bool(is_cnpg_cluster(resource) or is_zalando_cluster(resource))


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation | NotEvaluated]:
    if not holds_state(resource) or dig(resource.body, ("spec", "replica", "enabled")) is True:
        return  # CNPG replica clusters copy a source cluster that is backed up where it lives
    namespace = resource.namespace
    if namespace and any(fnmatchcase(namespace, p) for p in options.covered_namespaces):
        return
    if is_cnpg_cluster(resource) and scheduled_backups_for(resource, ctx):
        return
    if is_zalando_cluster(resource) and dig(resource.body, ("spec", "enableLogicalBackup")) is True:
        return
    excluded = str(resource.labels.get(EXCLUDE_LABEL, "")).lower() == "true"
    schedules = velero_schedules(ctx)
    if not excluded:
        verdicts = [schedule_covers(s, namespace) for s in schedules]
        if any(v is True for v in verdicts):
            return
        if any(v is None for v in verdicts):
            yield NotEvaluated("the resource sets no namespace and the Velero Schedules name specific namespaces")
            return
    what = {
        "PersistentVolumeClaim": "PersistentVolumeClaim",
        "StatefulSet": "StatefulSet (volumeClaimTemplates)",
    }.get(resource.kind, f"database {resource.kind}")
    ns = f"namespace {namespace}" if namespace else "its namespace"
    native = " or a CNPG ScheduledBackup targeting it" if is_cnpg_cluster(resource) else ""
    if excluded:
        reason = f"it is labelled {EXCLUDE_LABEL}=true"
    elif schedules:
        reason = f"none of the {len(schedules)} Velero Schedule(s) in the scan includes {ns}{native}"
    else:
        reason = f"no Velero Schedule in the scan includes {ns}{native}"
    yield Violation(
        f"{what} {resource.name} holds state but no scheduled backup covers it: {reason}. If the Schedule lives "
        "in another repo, list the namespace in rules.backup.schedule-coverage.options.covered_namespaces "
        "(.govscan.yaml), or add a config waiver with owner and expiry",
        pointer_join("metadata", "labels", EXCLUDE_LABEL) if excluded else "/metadata/name",
    )
