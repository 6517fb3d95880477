"""No Windows HostProcess containers (Pod Security Standards, baseline).

`securityContext.windowsOptions.hostProcess: true` runs a Windows container directly on the host,
with the host's network and filesystem: the Windows equivalent of a privileged container. Remove it
from the pod and container securityContexts (or set it to false).

Passes::

    securityContext:
      windowsOptions:
        hostProcess: false

Fails::

    securityContext:
      windowsOptions:
        hostProcess: true
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_map, field_pointer, own, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.host-process",
    domain="pod-security",
    title="Windows HostProcess container",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove securityContext.windowsOptions.hostProcess: true from the pod and its containers.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: HostProcess)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    if as_map(view.security_context.get("windowsOptions")).get("hostProcess") is True:
        yield Violation(
            "pod securityContext.windowsOptions.hostProcess is true (every container runs on the host)",
            view.pod_field_pointer("windowsOptions", "hostProcess"),
        )
    for container in view.containers:
        if own(container, "windowsOptions", "hostProcess") is True:
            yield Violation(
                f"{container.label} sets securityContext.windowsOptions.hostProcess: true",
                field_pointer(container, "windowsOptions", "hostProcess"),
            )
