"""Terraform plan JSON (`terraform show -json plan.out`, format 0.x and 1.x) -> Resources.

Every `resource_changes` entry becomes a Resource: `uid` is the address (module path included),
`name` the resource's own name with its index (`this[0]`), `kind` the resource type (`data.<type>` for data sources, which no rule judges unless it
asks), `namespace` the module address, `body` the planned `after` value (the `before` value for a
delete), labels its tags. `after_unknown` and `after_sensitive` become pointer sets on `change`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.scanner.errors import InputError
from govscan.scanner.loaders.jsonpos import EntryPositions, JsonText
from govscan.scanner.loaders.k8s import LoadResult
from govscan.scanner.loaders.tfsource import TerraformSource
from govscan.scanner.model import Action, Change, Origin, Platform, Resource, Skipped, Source, escape_pointer_token

SUPPORTED_MAJOR = ("0", "1")


def is_plan(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and "format_version" in document
        and ("resource_changes" in document or "planned_values" in document or "terraform_version" in document)
    )


def action_of(actions: Any) -> Action:
    if not isinstance(actions, list) or not actions:
        return Action.NO_OP
    if "delete" in actions and "create" in actions:
        return Action.REPLACE
    try:
        return Action(actions[0])
    except ValueError:
        return Action.NO_OP


def marked(tree: Any, pointer: str = "") -> list[str]:
    """Pointers of the `true` leaves of an after_unknown / after_sensitive tree. Iterative, and a
    pointer is built only on the way to a `true`: most leaves of these trees are `false`."""
    found: list[str] = []
    stack = [(tree, pointer)]
    while stack:
        node, at = stack.pop()
        if node is True:
            found.append(at)
        elif isinstance(node, dict):
            for key, value in node.items():
                if value is True or (value and isinstance(value, dict | list)):
                    token = str(key)
                    if "~" in token or "/" in token:
                        token = escape_pointer_token(token)
                    stack.append((value, f"{at}/{token}"))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if value is True or (value and isinstance(value, dict | list)):
                    stack.append((value, f"{at}/{i}"))
    return found


def tags_of(body: Mapping[str, Any]) -> dict[str, str]:
    """Tags as a map: `tags_all` / `tags` / Google `labels`, or an auto scaling group's `tag` blocks
    (a list of {key, value})."""
    for key in ("tags_all", "tags", "labels", "tag"):
        tags = body.get(key)
        if isinstance(tags, dict) and tags:
            return {str(k): "" if v is None else str(v) for k, v in tags.items()}
        if isinstance(tags, list) and tags:
            pairs = [t for t in tags if isinstance(t, dict) and isinstance(t.get("key"), str)]
            if pairs:
                return {t["key"]: "" if t.get("value") is None else str(t["value"]) for t in pairs}
    return {}


_INDEX = re.compile(r"\[[^\]]*\]")


def config_address(address: str) -> str:
    """`module.db["a"].aws_db_instance.main[0]` -> `module.db.aws_db_instance.main`."""
    return _INDEX.sub("", address)


def configuration_references(document: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Config address -> addresses its expressions refer to (from the plan's `configuration`)."""
    found: dict[str, frozenset[str]] = {}
    configuration = document.get("configuration")
    root = configuration.get("root_module") if isinstance(configuration, dict) else None
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        prefix, module = stack.pop()
        if not isinstance(module, dict):
            continue
        resources = module.get("resources")
        for resource in resources if isinstance(resources, list) else ():
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                refs = {_referenced(prefix, r) for r in _reference_strings(resource.get("expressions"))}
                found[prefix + resource["address"]] = frozenset(r for r in refs if r)
        calls = module.get("module_calls")
        for name, call in calls.items() if isinstance(calls, dict) else ():
            if isinstance(call, dict):
                stack.append((f"{prefix}module.{name}.", call.get("module")))
    return found


def _reference_strings(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "references" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _reference_strings(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _reference_strings(value)


def _referenced(prefix: str, reference: str) -> str:
    parts = config_address(reference).split(".")
    if parts[0] in ("var", "local", "each", "count", "path", "terraform", "self"):
        return ""
    if parts[0] == "module":
        return prefix + ".".join(parts[:2])
    width = 3 if parts[0] == "data" else 2
    return prefix + ".".join(parts[:width]) if len(parts) >= width else ""


def load_plan(document: dict[str, Any], text: str, path: str, source: TerraformSource | None = None) -> LoadResult:
    result = LoadResult([], [], [], [])
    version = str(document.get("format_version", ""))
    if version.split(".", 1)[0] not in SUPPORTED_MAJOR:
        result.errors.append(
            InputError(path, f"Terraform plan format_version {version!r} is not supported (0.x and 1.x are)", 1)
        )
        return result
    changes = document.get("resource_changes")
    if changes is None:
        changes = []
    if not isinstance(changes, list):
        result.errors.append(InputError(path, "resource_changes is not a list: not a `terraform show -json` plan", 1))
        return result
    references = configuration_references(document)
    module_dirs = source.module_dirs(document.get("configuration")) if source is not None else {}
    json_text = JsonText(text)
    region = text.find('"resource_changes"')
    addresses = [c["address"] for c in changes if isinstance(c, dict) and isinstance(c.get("address"), str)]
    offsets = json_text.entries("address", addresses, max(region, 0))
    starts = sorted(offsets.values())
    next_entry = dict(zip(starts, [*starts[1:], len(text)], strict=False))
    for i, entry in enumerate(changes):
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            result.skipped.append(Skipped(path, 1, f"resource_changes[{i}] has no address"))
            continue
        address = entry["address"]
        start = offsets.get(address, 0)
        end = next_entry.get(start, len(text))
        raw = entry.get("change")
        change: dict[str, Any] = raw if isinstance(raw, dict) else {}
        values = json_text.find_key("after", start, end)
        positions = EntryPositions(json_text, start, values if values >= 0 else start, end)
        refs = references.get(config_address(address), frozenset())
        resource = _resource(entry, change, path, positions, refs)
        block = source.find(module_dirs, resource.namespace, str(entry.get("type")), resource.name) if source else None
        if block is not None:  # --tf-root: reports show the .tf block; the plan stays the resource's file
            in_tf = Source(origin=Origin.TFPLAN, path=path, template=block[0], positions=block[1])
            resource = dataclasses.replace(resource, source=in_tf)
        result.resources.append(resource)
    return result


def _resource(
    entry: dict[str, Any], change: dict[str, Any], path: str, positions: EntryPositions, references: frozenset[str]
) -> Resource:
    action = action_of(change.get("actions"))
    after, before = change.get("after"), change.get("before")
    body = after if isinstance(after, dict) else before if action is Action.DELETE and isinstance(before, dict) else {}
    sensitive_tree = change.get("before_sensitive") if action is Action.DELETE else change.get("after_sensitive")
    kind = str(entry.get("type", ""))
    if entry.get("mode") == "data":
        kind = f"data.{kind}"
    module = entry.get("module_address")
    address: str = entry["address"]
    local = f"{entry.get('type')}.{entry.get('name')}"
    at = address.rfind(local)
    return Resource(
        uid=address,
        platform=Platform.TERRAFORM,
        kind=kind,
        api_version=str(entry.get("provider_name", "")),
        name=address[at + len(local) - len(str(entry.get("name"))) :] if at >= 0 else address,
        namespace=module if isinstance(module, str) and module else None,
        body=body,
        source=Source(origin=Origin.TFPLAN, path=path, positions=positions),
        labels=tags_of(body),
        change=Change(
            action=action,
            unknown=frozenset(marked(change.get("after_unknown"))),
            sensitive=frozenset(marked(sensitive_tree)),
            before=before if isinstance(before, dict) else None,
            references=references,
        ),
    )
