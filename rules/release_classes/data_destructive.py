"""data-destructive: the change deletes or replaces something that holds data, or keeps data for less time.

Signals:

- a Terraform plan or Pulumi preview that deletes or replaces a stateful cloud resource (database,
  bucket, volume, cache, key: the types of `release.destructive-change`), or a stateful cloud
  resource gone from the head;
- removing a PersistentVolumeClaim, a PersistentVolume that is deleted with its claim (reclaim
  policy Delete), a StatefulSet whose claims are deleted with it (`whenDeleted: Delete`), a
  CloudNativePG or Zalando PostgreSQL cluster, or a Namespace (everything in it goes);
- changing a StatefulSet's `volumeClaimTemplates` (or another immutable field: `selector`,
  `serviceName`, `podManagementPolicy`), which only a delete and re-create applies;
- changing a PersistentVolumeClaim's spec other than growing its storage;
- shrinking a retention: Velero `ttl`, CloudNativePG `retentionPolicy`, cloud
  `backup_retention_period` / `retention_in_days` and any other field named `*retention*`.

Is data-destructive::

    kind: Schedule        # velero.io
    spec: {template: {ttl: 720h0m0s}}   ->   spec: {template: {ttl: 168h0m0s}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.cloud import data_loss
from govscan.rules._lib.release import label, retention_days, value_at
from govscan.scanner.model import (
    Action,
    ChangeKind,
    ClassifierMeta,
    Platform,
    ReleaseClass,
    Resource,
    ResourceChange,
    Signal,
)

META = ClassifierMeta(ReleaseClass.DATA_DESTRUCTIVE, "Data is deleted or replaced, or kept for less time")

STATEFULSET_IMMUTABLE = (
    "/spec/volumeClaimTemplates",
    "/spec/selector",
    "/spec/serviceName",
    "/spec/podManagementPolicy",
)
PVC_STORAGE = "/spec/resources/requests/storage"
DATABASE_CLUSTERS = frozenset({("postgresql.cnpg.io", "Cluster"), ("acid.zalan.do", "postgresql")})


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    resource = change.resource
    if resource.platform is not Platform.K8S:
        planned = change.action or (Action.DELETE if change.kind is ChangeKind.REMOVED else None)
        message = data_loss(resource, planned)
        if message is not None:
            yield Signal(message)
    elif change.kind is ChangeKind.REMOVED:
        reason = _removal_loses_data(resource)
        if reason is not None:
            yield Signal(f"removes {label(resource)}: {reason}")
    elif change.kind is ChangeKind.MODIFIED:
        yield from _replacements(change)
    if change.kind is ChangeKind.MODIFIED:
        yield from _shrunk_retention(change)


def _removal_loses_data(resource: Resource) -> str | None:
    body = resource.body
    if resource.kind == "PersistentVolumeClaim":
        return "its volume is deleted with it unless the volume's reclaim policy is Retain"
    if resource.kind == "PersistentVolume" and value_at(body, "/spec/persistentVolumeReclaimPolicy") == "Delete":
        return "its reclaim policy is Delete: the disk goes with it"
    if (
        resource.kind == "StatefulSet"
        and value_at(body, "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted") == "Delete"
    ):
        return "its volume claims are deleted with it (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete)"
    if (resource.group, resource.kind) in DATABASE_CLUSTERS:
        return "the operator deletes the database and its volumes"
    if resource.kind == "Namespace":
        return "every object in it, volumes included, is deleted"
    return None


def _replacements(change: ResourceChange) -> Iterator[Signal]:
    resource = change.resource
    if resource.kind == "StatefulSet":
        for field in STATEFULSET_IMMUTABLE:
            hit = next((f for f in change.fields if f == field or f.startswith(field + "/")), None)
            if hit is not None:
                name = field.rsplit("/", 1)[-1]
                yield Signal(
                    f"changes {name} of {label(resource)}: only deleting and re-creating the StatefulSet applies it, "
                    "and existing volumes do not follow",
                    hit,
                )
    elif resource.kind == "PersistentVolumeClaim":
        hit = next((f for f in change.fields if f.startswith("/spec/") and f != PVC_STORAGE), None)
        if hit is not None:
            yield Signal(
                f"changes {hit} of {label(resource)}: a claim's spec cannot change in place, it is re-created", hit
            )


def _shrunk_retention(change: ResourceChange) -> Iterator[Signal]:
    assert change.base is not None and change.head is not None
    for field in change.fields:
        name = field.rsplit("/", 1)[-1]
        if "retention" not in name.lower() and name != "ttl":
            continue
        old, new = value_at(change.base.body, field), value_at(change.head.body, field)
        old_days, new_days = retention_days(old, name == "ttl"), retention_days(new, name == "ttl")
        if old_days is not None and new_days is not None and new_days < old_days:
            yield Signal(f"{label(change.resource)}: {name} shrinks from {old} to {new}: older data is deleted", field)
