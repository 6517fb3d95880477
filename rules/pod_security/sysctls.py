"""Pods set only safe sysctls (Pod Security Standards, baseline).

Sysctls outside the safe set can change kernel behaviour for the whole node or weaken isolation
between pods. The safe set (Kubernetes 1.32) is kernel.shm_rmid_forced,
net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies,
net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time,
net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes,
net.ipv4.tcp_rmem and net.ipv4.tcp_wmem. Tune anything else (Redis' `net.core.somaxconn`, say) on
the node pool, or add it to `allowed_sysctls` once the platform team enables it on the kubelet.

Passes::

    securityContext:
      sysctls: [{name: net.ipv4.tcp_keepalive_time, value: "600"}]

Fails::

    securityContext:
      sysctls: [{name: kernel.msgmax, value: "65536"}]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_list, as_map, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)


@dataclass(frozen=True)
class Options:
    allowed_sysctls: tuple[str, ...] = ()
    """Extra sysctl names accepted (ones your kubelets allow with --allowed-unsafe-sysctls)."""


RULE = RuleMeta(
    id="pod-security.sysctls",
    domain="pod-security",
    title="Pod sets an unsafe sysctl",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove the sysctl from spec.securityContext.sysctls, or tune it on the node instead.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Sysctls)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    allowed = SAFE_SYSCTLS | set(options.allowed_sysctls)
    for i, sysctl in enumerate(as_list(view.security_context.get("sysctls"))):
        name = as_map(sysctl).get("name")
        if not isinstance(name, str) or name.replace("/", ".") in allowed:
            continue
        yield Violation(
            f"pod securityContext.sysctls sets {name}, which is not in the safe sysctl set",
            view.pod_field_pointer("sysctls", i, "name"),
        )
