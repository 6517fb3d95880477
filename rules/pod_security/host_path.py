"""Pods mount no hostPath volumes (Pod Security Standards, baseline).

A hostPath volume exposes the node's filesystem to the pod: a writable mount of `/`, `/var/lib/kubelet`
or the container runtime socket is a path to root on the node, and even read-only mounts leak other
pods' secrets. Use a PersistentVolumeClaim, emptyDir, configMap or secret instead. Node agents that
need it (Velero's node-agent, log shippers) should be waived explicitly, with an owner.

Passes::

    volumes:
      - name: filestore
        persistentVolumeClaim: {claimName: odoo-filestore}

Fails::

    volumes:
      - name: filestore
        hostPath: {path: /srv/odoo}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_list, as_map, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.host-path",
    domain="pod-security",
    title="Pod mounts a hostPath volume",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Replace the hostPath volume with a persistentVolumeClaim, emptyDir, configMap or secret volume.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: HostPath Volumes)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for i, volume in enumerate(as_list(view.pod.spec.get("volumes"))):
        volume = as_map(volume)
        if volume.get("hostPath") is None:
            continue
        path = as_map(volume.get("hostPath")).get("path")
        where = f" of node path {path}" if isinstance(path, str) and path else ""
        yield Violation(
            f'volume "{volume.get("name") or f"#{i}"}" is a hostPath mount{where}',
            view.pod_pointer("volumes", i, "hostPath"),
        )
