"""Tool results -> Outcomes: which govscan resource each result is about, where, and with what message.

Kubernetes: the staged file names the document, the line picks the resource inside a `List`.
Plans: checkov names the address; trivy names `type.name` (module resources get `_<md5 of the module
address>` appended, count/for_each instances share one name), so instances are told apart by the
order of their blocks in trivy's rendering, which follows the plan's `planned_values`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govscan.scanner.adapters.locate import body_pointer, pointer_at_line, redact
from govscan.scanner.adapters.mapping import CHECKOV, COVERS, severity_of, tool_rule
from govscan.scanner.adapters.results import CheckResult, Outcome
from govscan.scanner.adapters.staging import Chunk, Staged
from govscan.scanner.engine import location_at_line, location_of
from govscan.scanner.model import Location, Platform, Resource, RuleMeta, Severity, Skipped, Status, Violation

_CONTAINER = re.compile(r"/(containers|initContainers|ephemeralContainers)/(\d+)(/.*)?$")
_ORDER: dict[Status, int] = {Status.PASS: 0, Status.NOT_EVALUATED: 1, Status.FAIL: 2}


@dataclass(slots=True)
class _Group:
    meta: RuleMeta
    doc: str
    resource: Resource
    status: Status = Status.PASS
    violations: dict[tuple[str, str], tuple[Violation, Location]] = field(default_factory=dict)
    reason: str = ""


def outcomes(
    results: Iterable[CheckResult], staged: Staged, builtin_severity: Mapping[str, Severity]
) -> tuple[list[Outcome], list[Skipped]]:
    results = list(results)
    plans = _PlanNames(results, staged)
    groups: dict[tuple[str, int], _Group] = {}
    skipped: list[Skipped] = []
    for result in results:
        chunk = staged.chunks.get(result.chunk)
        if chunk is None:
            continue  # a file the tool found that govscan did not stage (its own output, say)
        resource, note = _resource_of(result, chunk, plans)
        if resource is None:
            if result.status is not Status.FAIL:
                continue  # a pass on a provider block or the like: nothing is lost
            skipped.append(Skipped(chunk.display, 1, f"{result.tool} {result.check_id} on {result.resource!r}: {note}"))
            continue
        meta = _meta(result, builtin_severity)
        key = (meta.id, id(resource))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(meta, _doc(result), resource)
        if _ORDER[result.status] > _ORDER[group.status]:
            group.status = result.status
        if result.status is Status.NOT_EVALUATED:
            group.reason = result.message
        if result.status is Status.FAIL:
            pointer, location = _where(result, chunk, resource)
            message = _message(result, resource, pointer) + note
            group.violations.setdefault((message, pointer), (Violation(message, pointer), location))
    found = [
        Outcome(
            meta=g.meta,
            doc=g.doc,
            resource=g.resource,
            status=g.status,
            violations=tuple(g.violations.values()) if g.status is Status.FAIL else (),
            reason=g.reason,
            covers=COVERS.get(g.meta.id.split(".", 1)[1], ()),
        )
        for g in groups.values()
    ]
    return found, skipped


def _meta(result: CheckResult, builtin_severity: Mapping[str, Severity]) -> RuleMeta:
    severity = severity_of(result.severity, result.check_id, dict(builtin_severity))
    remediation = result.remediation or (
        f"Change the resource so that {result.tool} check {result.check_id} passes ({result.title})."
    )
    remediation += f" To accept the risk, waive {result.tool}.{result.check_id} with a reason and an expiry."
    return tool_rule(result.tool, result.check_id, result.title, severity, remediation)


def _doc(result: CheckResult) -> str:
    text = f"{result.tool} check {result.check_id}: {result.title}."
    return f"{text}\n\n{result.description}" if result.description else text


def _resource_of(result: CheckResult, chunk: Chunk, plans: _PlanNames) -> tuple[Resource | None, str]:
    """The resource and a note for the message (empty unless trivy's name left a doubt)."""
    if chunk.platform is Platform.K8S:
        line = result.line + chunk.offset if result.line else None
        return chunk.resource_at(line), ""
    if result.tool == CHECKOV:
        for resource in chunk.resources:
            if resource.uid == result.resource:
                return resource, ""
        return None, "no resource with that address in the plan"
    return plans.resolve(result, chunk)


def _where(result: CheckResult, chunk: Chunk, resource: Resource) -> tuple[str, Location]:
    """The pointer the finding is about, and its location (the engine's rules for both)."""
    for key in result.keys:
        pointer = body_pointer(resource, key)
        if pointer is not None:
            return pointer, location_of(resource, pointer)
    if chunk.platform is Platform.K8S and result.line:
        line = result.line + chunk.offset
        start = resource.source.locate("")[0]
        if line > start:  # trivy points at a container or a key; the line before a document is its `---`
            pointer = pointer_at_line(resource, line)
            return pointer, location_of(resource, pointer) if pointer else location_at_line(resource, line)
    return "", location_of(resource, "")


def _message(result: CheckResult, resource: Resource, pointer: str) -> str:
    if result.tool != CHECKOV:
        return redact(result.message or result.title, resource)
    where = _describe(resource, pointer)
    return redact(f"{result.title} ({where})" if where else result.title, resource)


def _describe(resource: Resource, pointer: str) -> str:
    """`container "odoo": securityContext.privileged`, or the field path."""
    if not pointer:
        return ""
    match = _CONTAINER.search(pointer)
    if match and resource.platform is Platform.K8S:
        container = _dig(resource.body, pointer[: match.start(3) if match.group(3) else len(pointer)])
        name = container.get("name") if isinstance(container, dict) else None
        label = ("init container" if match.group(1) == "initContainers" else "container") + f' "{name or "?"}"'
        rest = (match.group(3) or "").strip("/").replace("/", ".")
        return f"{label}: {rest}" if rest else label
    return pointer.strip("/").replace("/", ".")


def _dig(body: Any, pointer: str) -> Any:
    current = body
    for token in pointer.strip("/").split("/"):
        if isinstance(current, dict):
            current = current.get(token.replace("~1", "/").replace("~0", "~"))
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return None
    return current


class _PlanNames:
    """trivy's `type.name[_md5(module)]` -> the plan's resources with that type, name and module."""

    def __init__(self, results: list[CheckResult], staged: Staged) -> None:
        self.staged = staged
        self.blocks: dict[tuple[str, str], set[int]] = {}
        for result in results:
            if result.tool != CHECKOV and result.block_line and result.chunk.startswith("tfplan/"):
                self.blocks.setdefault((result.chunk, result.resource), set()).add(result.block_line)
        self._orders: dict[str, dict[str, int]] = {}

    def resolve(self, result: CheckResult, chunk: Chunk) -> tuple[Resource | None, str]:
        candidates = [r for r in chunk.resources if _trivy_name(r) == result.resource]
        if not candidates:
            return None, "no resource with that type and name in the plan"
        if len(candidates) == 1:
            return candidates[0], ""
        # count/for_each instances: trivy renders them in planned_values order, one block each
        order = self._order(chunk)
        candidates.sort(key=lambda r: order.get(r.uid, len(order)))
        blocks = sorted(self.blocks.get((chunk.name, result.resource), ()))
        if len(blocks) == len(candidates) and result.block_line in blocks:
            return candidates[blocks.index(result.block_line)], ""
        names = ", ".join(r.name for r in candidates)
        return candidates[0], f" (trivy names the instances {names} alike and did not say which one)"

    def _order(self, chunk: Chunk) -> dict[str, int]:
        if chunk.name not in self._orders:
            self._orders[chunk.name] = _planned_order(self.staged.scan_dir / chunk.name)
        return self._orders[chunk.name]


def _trivy_name(resource: Resource) -> str:
    """How trivy names a plan resource: `type.name`, plus `_<md5 of the module address>` in a module."""
    local = resource.name.split("[", 1)[0]
    kind = resource.kind.removeprefix("data.")
    if resource.namespace:
        return f"{kind}.{local}_{hashlib.md5(resource.namespace.encode()).hexdigest()}"  # noqa: S324 - trivy's naming
    return f"{kind}.{local}"


def _planned_order(path: Path) -> dict[str, int]:
    """Resource addresses in planned_values order (root module first, then child modules)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    order: dict[str, int] = {}
    planned = document.get("planned_values") if isinstance(document, dict) else None
    stack = [planned.get("root_module")] if isinstance(planned, dict) else []
    while stack:
        module = stack.pop(0)
        if not isinstance(module, dict):
            continue
        for item in module.get("resources") or []:
            if isinstance(item, dict) and isinstance(item.get("address"), str):
                order.setdefault(item["address"], len(order))
        stack.extend(module.get("child_modules") or [])
    return order
