"""Containers add no Linux capability beyond the baseline set (Pod Security Standards, baseline).

The baseline set is what a container runtime grants by default: AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.
Adding anything else (SYS_ADMIN, NET_ADMIN, NET_RAW, SYS_PTRACE, ALL...) widens the kernel attack
surface towards a container escape. Remove the capability from `securityContext.capabilities.add`.
Names are compared case-insensitively and with or without the `CAP_` prefix.

Passes::

    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]

Fails::

    securityContext:
      capabilities:
        add: [SYS_ADMIN]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_list, normalize_capability, own, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.capabilities-baseline",
    domain="pod-security",
    title="Container adds a Linux capability outside the baseline set",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove the capability from securityContext.capabilities.add (keep to the PSS baseline set).",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Capabilities)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for container in view.containers:
        for i, capability in enumerate(as_list(own(container, "capabilities", "add"))):
            if normalize_capability(capability) in BASELINE_CAPABILITIES:
                continue
            yield Violation(
                f"{container.label} adds capability {capability} (securityContext.capabilities.add), "
                "which is outside the baseline set",
                f"{container.pointer}/securityContext/capabilities/add/{i}",
            )
