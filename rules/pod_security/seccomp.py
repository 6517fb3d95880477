"""Every container runs under a seccomp profile: RuntimeDefault or Localhost (PSS, restricted).

Seccomp filters the system calls a container may make; without an explicit profile most runtimes
run it Unconfined. Set `seccompProfile: {type: RuntimeDefault}` on the pod securityContext (it is
inherited by every container), or on each container; a container-level value overrides the pod's.
Windows pods are exempt.

Passes::

    spec:
      securityContext:
        seccompProfile: {type: RuntimeDefault}

Fails::

    spec:
      containers:
        - name: odoo
          image: odoo:17.0
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.podsecurity import PROFILE_TYPES, as_map, inherited_issues, names, pod_view
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.seccomp",
    domain="pod-security",
    title="Container has no RuntimeDefault or Localhost seccomp profile",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation="Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost) on the pod.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards restricted: Seccomp)",),
    options=Options(),
)


def _good(profile: Any) -> bool:
    return as_map(profile).get("type") in PROFILE_TYPES


def _type(profile: Any) -> str:
    value = as_map(profile).get("type")
    return "unset" if value is None else str(value)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None or view.windows:
        return
    for issue in inherited_issues(view, "seccompProfile", _good, ("type",)):
        if issue.kind == "missing":
            (container,) = issue.containers
            yield Violation(
                f"{container.label} has no seccompProfile (neither does the pod securityContext); "
                "set type RuntimeDefault",
                issue.pointer,
            )
        elif issue.kind == "container":
            (container,) = issue.containers
            yield Violation(
                f"{container.label} sets securityContext.seccompProfile.type {_type(issue.value)}; "
                "use RuntimeDefault or Localhost",
                issue.pointer,
            )
        else:
            inherited = f" (inherited by {names(list(issue.containers))})" if issue.containers else ""
            yield Violation(
                f"pod securityContext.seccompProfile.type is {_type(issue.value)}{inherited}; "
                "use RuntimeDefault or Localhost",
                issue.pointer,
            )
