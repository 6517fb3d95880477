"""AppArmor is not disabled: no container is `unconfined` (Pod Security Standards, baseline).

Allowed: no profile (the runtime default applies), `RuntimeDefault` / `runtime/default`, or a
`Localhost` / `localhost/<profile>` profile loaded on the node. Anything else, in practice
`Unconfined` / `unconfined`, switches off a kernel confinement layer. Checked on
`securityContext.appArmorProfile.type` (pod and container, Kubernetes 1.30+) and on the older
`container.apparmor.security.beta.kubernetes.io/<container>` pod-template annotation.

Passes::

    securityContext:
      appArmorProfile: {type: RuntimeDefault}

Fails::

    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/odoo: unconfined
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.podsecurity import as_map, pod_view, profile_type_violations
from govscan.rules._lib.workloads import WORKLOADS
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join

ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


@dataclass(frozen=True)
class Options:
    pass


RULE = RuleMeta(
    id="pod-security.apparmor",
    domain="pod-security",
    title="AppArmor profile is disabled or not an allowed profile",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Remove the AppArmor override or use RuntimeDefault / runtime/default or a Localhost profile.",
    kinds=(WORKLOADS,),
    controls=("security: strict RBAC, image scanning (Pod Security Standards baseline: AppArmor)",),
    options=Options(),
)


def _bad_annotation(value: Any) -> bool:
    if value is None or value == "":
        return False
    return not isinstance(value, str) or (value != "runtime/default" and not value.startswith("localhost/"))


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    view = pod_view(resource, ctx)
    if view is None:
        return
    yield from profile_type_violations(view, "appArmorProfile", "only RuntimeDefault or Localhost are allowed")
    annotations = as_map(view.pod.metadata.get("annotations"))
    base = view.pod.pointer.rsplit("/", 1)[0] + "/metadata/annotations"
    for key, value in annotations.items():
        if isinstance(key, str) and key.startswith(ANNOTATION_PREFIX) and _bad_annotation(value):
            name = key[len(ANNOTATION_PREFIX) :]
            yield Violation(
                f'annotation {key} sets AppArmor profile "{value}" for container "{name}"; '
                "only runtime/default or localhost/<profile> are allowed",
                base + pointer_join(key),
            )
