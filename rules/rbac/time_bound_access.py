"""Bindings of individual users carry an expiry: `govscan.io/expires: YYYY-MM-DD`, not in the past.

Standing access for named people is how production access outlives the reason it was granted. A
RoleBinding or ClusterRoleBinding with a `User` subject (not `system:`) must say until when it is
needed with the annotation `govscan.io/expires` (ISO date); an expired date fails, so the binding is
removed or consciously renewed. Grant teams access through Groups from your identity provider
instead, which this rule does not require to expire.

Passes (production)::

    kind: RoleBinding
    metadata:
      annotations: {govscan.io/expires: "2026-12-31"}
    subjects: [{kind: User, name: alice@example.com}]

Fails (production)::

    kind: RoleBinding
    subjects: [{kind: User, name: alice@example.com}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from govscan.rules._lib.rbac import BINDING_KINDS, subjects
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join

RULE = RuleMeta(
    id="rbac.time-bound-access",
    domain="rbac",
    title="User binding has no expiry (or an expired one)",
    severity=Severity.MEDIUM,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation='Annotate the binding with govscan.io/expires: "YYYY-MM-DD" (when access should end), '
    "renew or delete it when it expires, or bind an identity-provider Group instead of a User.",
    kinds=BINDING_KINDS,
    controls=("security: audited access",),
)

EXPIRES = "govscan.io/expires"


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    users = [s for s in subjects(resource) if s.kind == "User" and not s.is_system]
    if not users:
        return
    who = ", ".join(s.label for s in users)
    raw = resource.annotations.get(EXPIRES)
    annotations = (
        resource.body.get("metadata", {}).get("annotations")
        if isinstance(resource.body.get("metadata"), dict)
        else None
    )
    pointer = pointer_join("metadata", "annotations", EXPIRES)
    if raw is None:
        where = "/metadata/annotations" if isinstance(annotations, dict) else "/metadata"
        yield Violation(f"{resource.kind} {resource.name} binds {who} with no {EXPIRES} annotation", where)
        return
    try:
        expires = dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        yield Violation(f"{resource.kind} {resource.name}: {EXPIRES} is not a YYYY-MM-DD date (binds {who})", pointer)
        return
    if expires < ctx.today:
        yield Violation(f"{resource.kind} {resource.name}: access for {who} expired on {expires.isoformat()}", pointer)
