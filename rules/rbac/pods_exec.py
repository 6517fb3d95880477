"""Production roles do not allow `kubectl exec` / `attach` into pods.

`create` on `pods/exec` or `pods/attach` runs commands inside running containers: every Secret they
mount, every database they reach. In production that access should come from an audited break-glass
path, not a standing role. `get` is flagged too (option `websocket_get`), because before Kubernetes
1.30 a websocket exec needed only `get`. Kubernetes' default roles are not flagged (see
rbac.wildcard); bindings of `admin`/`edit` are the place to look for those.

Passes (production)::

    kind: Role
    rules:
      - apiGroups: [""]
        resources: [pods, pods/log]
        verbs: [get, list]

Fails (production)::

    kind: Role
    rules:
      - apiGroups: [""]
        resources: [pods/exec]
        verbs: [create]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import ROLE_KINDS, is_aggregated, is_default_role, policy_rules
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    websocket_get: bool = True
    include_default_roles: bool = False


RULE = RuleMeta(
    id="rbac.pods-exec",
    domain="rbac",
    title="Role allows exec or attach into pods",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Remove create/get on pods/exec and pods/attach from production roles; use an audited "
    "break-glass role with an expiry for debugging.",
    kinds=ROLE_KINDS,
    controls=("security: strict RBAC", "security: audited access"),
    options=Options(),
)

SUBRESOURCES = ("pods/exec", "pods/attach")


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if is_aggregated(resource):
        return
    if not options.include_default_roles and is_default_role(resource):
        return
    verbs = ("create", "get") if options.websocket_get else ("create",)
    for rule in policy_rules(resource.body):
        if not rule.matches_group(""):
            continue
        targets = [r for r in SUBRESOURCES if rule.matches_resource(r)]
        granted = rule.verbs_among(verbs)
        if targets and granted:
            yield Violation(
                f"{resource.kind} {resource.name}: rule {rule.index} grants {', '.join(granted)} on "
                f"{', '.join(targets)}",
                rule.field_pointer("resources"),
            )
