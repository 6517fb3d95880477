"""Pods use only the restricted volume types (Pod Security Standards, restricted).

Allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and
secret. Every other type (hostPath, nfs, iscsi, cephfs, rbd, gitRepo...) lets the pod name storage
directly, bypassing the PersistentVolume/StorageClass layer that the platform team controls, and
some (hostPath, gitRepo) are known escape routes. Move the storage behind a PersistentVolumeClaim.

Passes::

    volumes:
      - name: filestore
        persistentVolumeClaim: {claimName: odoo-filestore}

Fails::

    volumes:
      - name: filestore
        nfs: {server: nas.example.com, path: /odoo}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_list, as_map, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

ALLOWED_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.volume-types",
    domain="pod-security",
    title="Pod uses a volume type outside the restricted set",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Replace the volume with a persistentVolumeClaim, or a configMap, secret, projected or emptyDir.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards restricted: Volume Types)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for i, volume in enumerate(as_list(view.pod.spec.get("volumes"))):
        volume = as_map(volume)
        for key, value in volume.items():
            if key == "name" or key in ALLOWED_TYPES or value is None:
                continue
            yield Violation(
                f'volume "{volume.get("name") or f"#{i}"}" is of type {key}, which restricted pods may not use',
                view.pod_pointer("volumes", i, str(key)),
            )
