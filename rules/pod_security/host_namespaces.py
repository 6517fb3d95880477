"""Pods do not share the node's network, PID or IPC namespace (Pod Security Standards, baseline).

`hostNetwork: true` puts the pod on the node's network stack (it can sniff and bind node ports and
reach node-local services such as the kubelet); `hostPID: true` lets it see and signal every process
on the node; `hostIPC: true` lets it read other processes' shared memory. None is needed by Odoo,
PostgreSQL, Redis or Traefik: expose ports with a Service instead.

Passes::

    spec:
      hostNetwork: false
      containers: [...]

Fails::

    spec:
      hostPID: true
      containers: [...]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

FIELDS = {
    "hostNetwork": "the node's network namespace",
    "hostPID": "the node's process namespace",
    "hostIPC": "the node's IPC namespace",
}


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.host-namespaces",
    domain="pod-security",
    title="Pod shares a host namespace (hostNetwork, hostPID or hostIPC)",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove hostNetwork, hostPID and hostIPC (or set them to false); publish ports through a Service.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Host Namespaces)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for key, what in FIELDS.items():
        if view.pod.spec.get(key) is True:
            yield Violation(f"pod sets {key}: true and shares {what}", view.pod_pointer(key))
