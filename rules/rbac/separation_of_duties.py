"""No single subject can both deploy workloads and change RBAC in a production namespace.

An identity that can create or patch Deployments, StatefulSets, DaemonSets or Pods and can also
create, patch, bind or escalate Roles and RoleBindings can grant itself anything and then run it:
review of either half becomes meaningless. The rule joins every RoleBinding and ClusterRoleBinding
in the scan (RoleBindings in the same namespace plus ClusterRoleBindings) with the Roles and
ClusterRoles they reference; the built-in `cluster-admin` and `admin` ClusterRoles count as both,
`edit` as deploy-only. The finding lands on the binding that grants the RBAC half. `system:`
subjects and those in option `exempt_subjects` (`name`, `Kind:name`, `ServiceAccount:ns/name`,
globs allowed) are skipped. Roles not in the scan are unknown and grant nothing here.

Passes (production)::

    # ci-deployer: Role with create/patch on deployments only
    # platform-admins: the only subject bound to a Role that manages rolebindings

Fails (production)::

    # User ci-bot bound to Role deployer (patch deployments) and Role rbac-editor (create rolebindings)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.rbac import (
    BINDING_KINDS,
    RBAC_GROUP,
    Subject,
    bindings_by_subject,
    policy_rules,
    referenced_role,
    role_ref,
    subjects,
)
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    exempt_subjects: tuple[str, ...] = ()


RULE = RuleMeta(
    id="rbac.separation-of-duties",
    domain="rbac",
    title="One subject can both deploy workloads and manage RBAC",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="info", qa="off", development="off", sandbox="off"),
    remediation="Split the identity: deployers get a Role without RBAC resources, and RBAC changes go "
    "through a separate, reviewed identity (or add it to exempt_subjects with a documented reason).",
    kinds=BINDING_KINDS,
    controls=("security: strict RBAC", "security: audited access"),
    options=Options(),
    needs=(*BINDING_KINDS, "ClusterRole", "Role"),
)

WRITE = ("create", "update", "patch")
DEPLOY_TARGETS = ((("apps",), ("deployments", "statefulsets", "daemonsets")), (("",), ("pods",)))
RBAC_RESOURCES = ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
BUILTIN = {"cluster-admin": (True, True), "admin": (True, True), "edit": (True, False)}


def rights(binding: Resource, ctx: Context) -> tuple[bool, bool]:
    """(can deploy, can manage RBAC) granted by one binding (worked out once per binding)."""
    known: dict[int, tuple[bool, bool]] = ctx.cached("rbac.separation-of-duties.rights", dict)
    if id(binding) not in known:
        known[id(binding)] = _rights(binding, ctx)
    return known[id(binding)]


def _rights(binding: Resource, ctx: Context) -> tuple[bool, bool]:
    ref = role_ref(binding)
    if ref is None:
        return False, False
    role = referenced_role(binding, ctx)
    if role is None:
        return BUILTIN.get(ref[1], (False, False)) if ref[0] == "ClusterRole" else (False, False)
    deploy = manage = False
    for rule in policy_rules(role.body):
        deploy = deploy or any(rule.grants(groups, targets, WRITE) for groups, targets in DEPLOY_TARGETS)
        manage = manage or bool(rule.grants((RBAC_GROUP,), RBAC_RESOURCES, WRITE + ("bind", "escalate")))
    return deploy, manage


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    for subject in subjects(resource):
        if subject.is_system or subject.matches_any(options.exempt_subjects):
            continue
        violation = _conflict(resource, subject, ctx)
        if violation is not None:
            yield violation


def _conflict(resource: Resource, subject: Subject, ctx: Context) -> Violation | None:
    holding: list[tuple[Resource, bool, bool]] = []
    for binding in bindings_by_subject(ctx).get(subject.key, ()):
        holding.append((binding, *rights(binding, ctx)))
    mine = next((h for h in holding if h[0] is resource), None)
    if mine is None or not mine[2]:
        return None  # this binding does not grant the RBAC half; the one that does reports
    if resource.kind == "RoleBinding":
        scopes: list[str | None] = [resource.namespace]
    else:
        scopes = [None] + sorted({b.namespace for b, _, _ in holding if b.kind == "RoleBinding" and b.namespace})
    for scope in scopes:
        relevant = [h for h in holding if h[0].kind == "ClusterRoleBinding" or h[0].namespace == scope]
        deployers = [b for b, deploy, _ in relevant if deploy]
        if not deployers:
            continue
        where = f"in namespace {scope}" if scope else "cluster-wide"
        if resource in deployers:
            how = f"through {resource.kind} {resource.name} alone"
        else:
            how = f"(deploy via {deployers[0].kind} {deployers[0].name}, RBAC via {resource.kind} {resource.name})"
        return Violation(f"{subject.label} can both deploy workloads and manage RBAC {where} {how}", subject.pointer)
    return None
