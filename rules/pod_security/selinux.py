"""SELinux options do not escalate: no custom type, user or role (Pod Security Standards, baseline).

`seLinuxOptions.type` may only be unset or one of the container types (`container_t`,
`container_init_t`, `container_kvm_t`, `container_engine_t`); `seLinuxOptions.user` and `.role` must
be unset. Other labels (`spc_t`, `unconfined_t`, a custom user or role) lift the SELinux confinement
that keeps a container away from the node's files. Checked on the pod and on every container.

Passes::

    securityContext:
      seLinuxOptions: {level: "s0:c123,c456"}

Fails::

    securityContext:
      seLinuxOptions: {type: spc_t}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.podsecurity import as_map, field_pointer, pod_view, security_context
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

ALLOWED_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.selinux",
    domain="pod-security",
    title="SELinux options set a custom type, user or role",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove seLinuxOptions.user and .role, and leave .type unset or a container_* type.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: SELinux)",),
    options=Options(),
)


def _problems(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    value = options.get("type")
    if value is not None and value not in ALLOWED_TYPES:
        yield "type", f"type {value}, which is not a container_* type"
    for key in ("user", "role"):
        value = options.get(key)
        if value not in (None, ""):
            yield key, f"{key} {value}, which must be unset"


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    for key, what in _problems(as_map(view.security_context.get("seLinuxOptions"))):
        yield Violation(
            f"pod securityContext.seLinuxOptions sets {what}",
            view.pod_field_pointer("seLinuxOptions", key),
        )
    for container in view.containers:
        for key, what in _problems(as_map(security_context(container).get("seLinuxOptions"))):
            yield Violation(
                f"{container.label} securityContext.seLinuxOptions sets {what}",
                field_pointer(container, "seLinuxOptions", key),
            )
