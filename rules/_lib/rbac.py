"""RBAC helpers: policy rules of Roles/ClusterRoles with Kubernetes' own matching, bindings and subjects.

Matching follows the RBAC authorizer (`rbac/v1` `ResourceMatches`, `VerbMatches`, `APIGroupMatches`):
`*` matches everything, `*/scale` matches the `scale` subresource of any resource, and `pods` does not
match `pods/exec`. Non-resource rules (`nonResourceURLs`) are never resource grants.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from govscan.scanner.context import Context
from govscan.scanner.model import Resource

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")

DEFAULT_ROLE_NAMES = frozenset({"cluster-admin", "admin", "edit", "view"})
"""Kubernetes' user-facing default ClusterRoles (plus every `system:` role) are managed by the API server."""
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")

ALL_STANDARD_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})


def str_list(value: Any) -> list[str]:
    """The strings of a YAML list (anything else counts as empty)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


@dataclass(frozen=True, slots=True)
class PolicyRule:
    index: int
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    pointer: str

    def field_pointer(self, field: str) -> str:
        return f"{self.pointer}/{field}"

    def matches_group(self, *groups: str) -> bool:
        return "*" in self.api_groups or any(g in self.api_groups for g in groups)

    def matches_resource(self, resource: str) -> bool:
        """Kubernetes' ResourceMatches for `resource` (`pods` or `pods/exec`)."""
        sub = resource.split("/", 1)[1] if "/" in resource else ""
        for rule_resource in self.resources:
            if rule_resource in ("*", resource):
                return True
            if sub and rule_resource == f"*/{sub}":
                return True
        return False

    def verbs_among(self, wanted: Iterable[str]) -> list[str]:
        """The wanted verbs this rule grants, in the order asked; all of them when verbs hold `*`."""
        wanted = list(wanted)
        if "*" in self.verbs:
            return wanted
        return [v for v in wanted if v in self.verbs]

    def grants(self, groups: Iterable[str], resources: Iterable[str], verbs: Iterable[str]) -> list[str]:
        """Verbs (from `verbs`) granted on any of `resources` in any of `groups`; empty when none."""
        if not self.matches_group(*groups):
            return []
        if not any(self.matches_resource(r) for r in resources):
            return []
        return self.verbs_among(verbs)

    @property
    def is_superuser(self) -> bool:
        """Every verb (or all seven standard verbs) on every resource in every API group."""
        if "*" not in self.api_groups or "*" not in self.resources:
            return False
        return "*" in self.verbs or set(self.verbs) >= ALL_STANDARD_VERBS


def policy_rules(body: Mapping[str, Any]) -> Iterator[PolicyRule]:
    """Resource rules of a Role/ClusterRole body (non-resource rules and malformed items skipped)."""
    rules = body.get("rules")
    if not isinstance(rules, list):
        return
    for i, item in enumerate(rules):
        if not isinstance(item, dict):
            continue
        resources = str_list(item.get("resources"))
        if not resources:
            continue
        yield PolicyRule(
            index=i,
            api_groups=tuple(str_list(item.get("apiGroups"))),
            resources=tuple(resources),
            verbs=tuple(v.lower() if v != "*" else v for v in str_list(item.get("verbs"))),
            resource_names=tuple(str_list(item.get("resourceNames"))),
            pointer=f"/rules/{i}",
        )


def is_aggregated(resource: Resource) -> bool:
    """An aggregated ClusterRole: its rules are filled in by the controller from labelled roles."""
    return resource.kind == "ClusterRole" and isinstance(resource.body.get("aggregationRule"), dict)


def is_default_role(resource: Resource) -> bool:
    """Kubernetes' own roles: bootstrap-labelled, `system:`-prefixed, or cluster-admin/admin/edit/view."""
    key, value = BOOTSTRAP_LABEL
    if resource.labels.get(key) == value:
        return True
    if resource.kind == "ClusterRole" and resource.name in DEFAULT_ROLE_NAMES:
        return True
    return bool(resource.name.startswith("system:"))


@dataclass(frozen=True, slots=True)
class Subject:
    index: int
    kind: str
    name: str
    namespace: str | None
    pointer: str

    @property
    def label(self) -> str:
        if self.kind == "ServiceAccount":
            return (
                f'ServiceAccount "{self.namespace}/{self.name}"' if self.namespace else f'ServiceAccount "{self.name}"'
            )
        return f'{self.kind} "{self.name}"'

    @property
    def key(self) -> tuple[str, str, str | None]:
        """Identity used to compare subjects across bindings."""
        return (self.kind, self.name, self.namespace if self.kind == "ServiceAccount" else None)

    @property
    def is_system(self) -> bool:
        return self.name.startswith("system:")

    def matches_any(self, patterns: Iterable[str]) -> bool:
        """Patterns: `name`, `Kind:name` or `ServiceAccount:namespace/name`, with shell globs."""
        candidates = [self.name, f"{self.kind}:{self.name}"]
        if self.kind == "ServiceAccount" and self.namespace:
            candidates += [f"{self.namespace}/{self.name}", f"ServiceAccount:{self.namespace}/{self.name}"]
        return any(fnmatchcase(c, p) for p in patterns for c in candidates)


def subjects(binding: Resource) -> Iterator[Subject]:
    """Subjects of a binding; a ServiceAccount without namespace inherits a RoleBinding's namespace."""
    items = binding.body.get("subjects")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        kind, name = item.get("kind"), item.get("name")
        if not isinstance(kind, str) or not isinstance(name, str) or not name:
            continue
        namespace = item.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            namespace = binding.namespace if kind == "ServiceAccount" else None
        yield Subject(i, kind, name, namespace, f"/subjects/{i}")


def role_ref(binding: Resource) -> tuple[str, str] | None:
    """(kind, name) of a binding's roleRef, or None when malformed."""
    ref = binding.body.get("roleRef")
    if not isinstance(ref, dict):
        return None
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    return kind, name


def referenced_role(binding: Resource, ctx: Context) -> Resource | None:
    """The Role/ClusterRole a binding refers to, when it is part of the scan."""
    ref = role_ref(binding)
    if ref is None:
        return None
    kind, name = ref
    if kind == "ClusterRole":
        candidates = ctx.of_kind("ClusterRole")
    elif kind == "Role":
        candidates = ctx.of_kind("Role", namespace=binding.namespace)
    else:
        return None
    for role in candidates:
        if role.name == name:
            return role
    return None


def superuser_rule(role: Resource) -> PolicyRule | None:
    """The first rule making a role equivalent to cluster-admin, if any."""
    for rule in policy_rules(role.body):
        if rule.is_superuser:
            return rule
    return None


def bindings_by_subject(ctx: Context) -> dict[tuple[str, str, str | None], list[Resource]]:
    """Every (Cluster)RoleBinding of the scan under each subject it names (Subject.key), built once."""

    def build() -> dict[tuple[str, str, str | None], list[Resource]]:
        found: dict[tuple[str, str, str | None], list[Resource]] = {}
        for binding in ctx.of_kind(*BINDING_KINDS):
            for key in dict.fromkeys(s.key for s in subjects(binding)):
                found.setdefault(key, []).append(binding)
        return found

    return ctx.cached("rbac.bindings-by-subject", build)


def binds_service_account(ctx: Context, namespace: str | None, name: str) -> bool:
    """Whether any binding in the scan names ServiceAccount `namespace/name` as a subject."""
    return ("ServiceAccount", name, namespace) in bindings_by_subject(ctx)
