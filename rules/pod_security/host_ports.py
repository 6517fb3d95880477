"""Containers publish no hostPort (Pod Security Standards, baseline).

A hostPort binds the port on the node's own IP address: it bypasses NetworkPolicies and Service
load balancing, pins the pod to nodes where the port is free, and exposes the workload to whoever
can reach the node. Publish through a Service (ClusterIP, NodePort or LoadBalancer) or an Ingress /
Traefik IngressRoute instead. Ports an ingress controller genuinely needs can be allowed with
`allowed_host_ports`.

Passes::

    ports:
      - containerPort: 8069

Fails::

    ports:
      - containerPort: 8069
        hostPort: 8069
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
    allowed_host_ports: tuple[int, ...] = ()
    """Host ports accepted anyway (PSS baseline allows none; 0 always means unset)."""


RULE = RuleMeta(
    id="pod-security.host-ports",
    domain="pod-security",
    title="Container publishes a hostPort",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove ports[].hostPort and publish the port through a Service or Ingress.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Host Ports)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    allowed = set(options.allowed_host_ports)
    for container in view.containers:
        for i, port in enumerate(as_list(container.body.get("ports"))):
            host_port = as_map(port).get("hostPort")
            if host_port is None or isinstance(host_port, bool) or host_port in (0, "0"):
                continue
            if isinstance(host_port, int) and host_port in allowed:
                continue
            yield Violation(
                f"{container.label} publishes hostPort {host_port} on the node",
                f"{container.pointer}/ports/{i}/hostPort",
            )
