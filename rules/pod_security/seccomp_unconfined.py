"""Seccomp is never switched off: no `Unconfined` profile (Pod Security Standards, baseline).

Seccomp filters the system calls a container may make; `seccompProfile.type: Unconfined` (or the
legacy `seccomp.security.alpha.kubernetes.io/*: unconfined` annotation) removes that filter and
opens the whole kernel syscall surface. Use `RuntimeDefault`, or a `Localhost` profile. Restricted
additionally requires the profile to be set explicitly (`pod-security.seccomp`).

Passes::

    securityContext:
      seccompProfile: {type: RuntimeDefault}

Fails::

    securityContext:
      seccompProfile: {type: Unconfined}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.podsecurity import as_map, pod_view, profile_type_violations
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join

POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.seccomp-unconfined",
    domain="pod-security",
    title="Seccomp profile is Unconfined",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Set seccompProfile.type to RuntimeDefault (or Localhost with a profile) instead of Unconfined.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: Seccomp)",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None or view.windows:
        return
    yield from profile_type_violations(view, "seccompProfile", "use RuntimeDefault or Localhost")
    base = view.pod.pointer.rsplit("/", 1)[0] + "/metadata/annotations"
    for key, value in as_map(view.pod.metadata.get("annotations")).items():
        if not isinstance(key, str) or not isinstance(value, str) or value.strip().lower() != "unconfined":
            continue
        if key == POD_ANNOTATION:
            yield Violation(f"annotation {key} disables seccomp for the whole pod", base + pointer_join(key))
        elif key.startswith(CONTAINER_ANNOTATION_PREFIX):
            name = key[len(CONTAINER_ANNOTATION_PREFIX) :]
            yield Violation(f'annotation {key} disables seccomp for container "{name}"', base + pointer_join(key))
