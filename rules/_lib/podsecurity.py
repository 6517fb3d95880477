"""Pod Security Standards helpers: a pod's containers with their security contexts and pointers.

Rules in `rules/pod_security/` call `pod_view(resource, ctx)` once, then ask for a container's own
securityContext value (`own`), for the value it effectively runs with after pod-level inheritance
(`inherited_issues`), and for the best pointer to blame (`field_pointer`: the exact field when it
exists, else its nearest existing parent inside the container, else the container).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.workloads import Container, PodSpec, containers, pod_spec
from govscan.scanner.model import Resource, Violation, pointer_join

EMPTY: Mapping[str, Any] = {}


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else EMPTY


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class PodView:
    pod: PodSpec
    containers: tuple[Container, ...]

    @property
    def security_context(self) -> Mapping[str, Any]:
        return as_map(self.pod.spec.get("securityContext"))

    @property
    def windows(self) -> bool:
        """spec.os.name: windows (Linux-only controls do not apply)."""
        name: Any = as_map(self.pod.spec.get("os")).get("name")
        return isinstance(name, str) and name.strip().lower() == "windows"

    def pod_pointer(self, *path: str | int) -> str:
        pointer: str = self.pod.pointer + pointer_join(*path)
        return pointer

    def pod_field_pointer(self, *path: str | int) -> str:
        """Pointer to spec.securityContext.<path>, or its nearest existing parent in the pod spec."""
        return _deepest(self.pod.spec, self.pod.pointer, ("securityContext", *path))


def pod_view(resource: Resource, ctx: Any = None) -> PodView | None:
    pod = pod_spec(resource, ctx)
    if pod is None:
        return None
    return PodView(pod, tuple(containers(resource, ctx)))


def security_context(container: Container) -> Mapping[str, Any]:
    return as_map(container.body.get("securityContext"))


def own(container: Container, *path: str) -> Any:
    """The container's own securityContext.<path> value, or None."""
    current: Any = security_context(container)
    for step in path:
        current = as_map(current).get(step)
    return current


def _deepest(body: Mapping[str, Any], base: str, path: tuple[str | int, ...]) -> str:
    pointer = base
    current: Any = body
    for step in path:
        in_map = isinstance(current, dict) and current.get(step) is not None
        in_list = isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current)
        if not (in_map or in_list):
            break
        current = current[step]
        pointer += pointer_join(step)
    return pointer


def field_pointer(container: Container, *path: str | int) -> str:
    """The container's securityContext.<path> when present, else its nearest existing parent."""
    return _deepest(container.body, container.pointer, ("securityContext", *path))


def shown(value: Any) -> str:
    """A field value as YAML spells it (`false`, not Python's `False`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def names(items: list[Container]) -> str:
    return ", ".join(c.label for c in items)


def normalize_capability(value: Any) -> str:
    """`cap_sys_admin` and `SYS_ADMIN` name the same capability (runtimes add the CAP_ prefix)."""
    text = str(value).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


@dataclass(frozen=True, slots=True)
class InheritedIssue:
    """One problem with a field that a container inherits from the pod securityContext.

    kind: "pod" (the pod sets a bad value; `containers` inherit it), "container" (the container
    sets a bad value itself) or "missing" (neither the container nor the pod sets a good value).
    """

    kind: str
    pointer: str
    value: Any
    containers: tuple[Container, ...]


def inherited_issues(
    view: PodView, key: str, good: Callable[[Any], bool], value_path: tuple[str, ...] = ()
) -> Iterator[InheritedIssue]:
    """Pod Security Admission semantics for a securityContext field a container inherits from the pod.

    An explicitly bad value is reported where it is set (the pod's once, even when every container
    overrides it, as the admission controller does); a container that sets nothing and has no good
    pod-level value to inherit is reported as missing. `good(value)` judges the value of
    securityContext.<key>; pointers go to <key>/<value_path> when present.
    """
    pod_value = view.security_context.get(key)
    pod_set = pod_value is not None
    pod_good = pod_set and good(pod_value)
    inheriting: list[Container] = []
    for container in view.containers:
        value = security_context(container).get(key)
        if value is not None:
            if not good(value):
                yield InheritedIssue("container", field_pointer(container, key, *value_path), value, (container,))
        elif pod_set and not pod_good:
            inheriting.append(container)
        elif not pod_set:
            yield InheritedIssue("missing", field_pointer(container, key), None, (container,))
    if pod_set and not pod_good:
        yield InheritedIssue("pod", view.pod_field_pointer(key, *value_path), pod_value, tuple(inheriting))


PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def profile_type_violations(view: PodView, field: str, advice: str) -> Iterator[Violation]:
    """`<field>.type` (seccompProfile, appArmorProfile) outside RuntimeDefault/Localhost, pod and containers."""
    pod_type = as_map(view.security_context.get(field)).get("type")
    if pod_type is not None and pod_type not in PROFILE_TYPES:
        yield Violation(
            f"pod securityContext.{field}.type is {pod_type}; {advice}", view.pod_field_pointer(field, "type")
        )
    for container in view.containers:
        value = own(container, field, "type")
        if value is not None and value not in PROFILE_TYPES:
            yield Violation(
                f"{container.label} sets securityContext.{field}.type {value}; {advice}",
                field_pointer(container, field, "type"),
            )


def boolean_field_violations(resource: Resource, ctx: Any, field: str, wanted: bool) -> Iterator[Violation]:
    """One Violation per Linux container whose securityContext `field` is not `wanted` (unset counts:
    Kubernetes defaults it to the opposite)."""
    view = pod_view(resource, ctx)
    if view is None or view.windows:
        return
    wanted_text = "true" if wanted else "false"
    for container in view.containers:
        value = own(container, field)
        if value is wanted:
            continue
        said = f"is unset (defaults to {'false' if wanted else 'true'})" if value is None else f"is {shown(value)}"
        yield Violation(
            f"{container.label}: securityContext.{field} {said}; set it to {wanted_text}",
            field_pointer(container, field),
        )
