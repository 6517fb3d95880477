"""Helpers for the cloud ha and quotas rules: nested reads in both shapes, counts, per-tier options.

Terraform nests blocks as lists of one object (`settings: [{availability_type: ...}]`), Pulumi gives
the object (`settings: {availability_type: ...}`): `nested` walks either and returns the JSON
pointer it read, so a Violation points at the real attribute. Unknown values raise UnknownValue
(through `cloud.get`); `first_set` picks the first of several spellings of one setting
(`num_cache_clusters` / `number_cache_clusters`, `vpc_zone_identifier` / `vpc_zone_identifiers`)
without deciding on an unknown one while a later spelling is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govscan.rules._lib.cloud import action, get, is_sensitive, pointer
from govscan.rules._lib.cloud import integer as integer  # shared by the ha rules
from govscan.scanner.model import Action, Resource, Tier, UnknownValue

Path = tuple[str | int, ...]


def _path(resource: Resource, keys: tuple[str, ...], strict: bool) -> Path | None:
    """The concrete path of `keys` (index 0 inserted after each Terraform block); None when a step is
    unknown and not `strict` (with `strict`, the unknown step raises UnknownValue)."""
    path: list[str | int] = []
    for i, key in enumerate(keys):
        path.append(key)
        if i == len(keys) - 1:
            break
        if not strict and is_unknown(resource, *path):
            return None
        value = get(resource, *path)
        if isinstance(value, list):
            path.append(0)
    return tuple(path)


def nested(resource: Resource, *keys: str) -> tuple[Any, str]:
    """The value at `keys` through nested blocks of either shape, and its pointer.

    `nested(r, "settings", "availability_type")` reads `/settings/0/availability_type` in a plan and
    `/settings/availability_type` in a Pulumi preview. Raises UnknownValue for an unknown step."""
    path = _path(resource, keys, strict=True) or keys
    return get(resource, *path), pointer(*path)


def peek(resource: Resource, *keys: str) -> tuple[Any, str, bool]:
    """Like `nested`, but an unknown value does not raise: (None, pointer, True). For a rule that judges
    several independent values: judge the known ones, then raise UnknownValue for the pointer left."""
    path = _path(resource, keys, strict=False)
    if path is None or is_unknown(resource, *path):
        return None, pointer(*(path or keys)), True
    return get(resource, *path), pointer(*path), False


def is_unknown(resource: Resource, *path: str | int) -> bool:
    return resource.change is not None and resource.change.is_unknown(pointer(*path))


def first_set(resource: Resource, *spellings: tuple[str, ...]) -> tuple[Any, str]:
    """The first spelling (a key path) that holds a known value (not null, "" or []), with its pointer.

    When none holds one and some spelling is unknown until apply, raises UnknownValue for it;
    when all are absent, returns (None, pointer of the first spelling)."""
    unknown: str | None = None
    for keys in spellings:
        path = _path(resource, keys, strict=False)
        if path is None or is_unknown(resource, *path):
            unknown = unknown or pointer(*(path or keys))
            continue
        value = get(resource, *path)
        if value is not None and value != "" and value != []:
            return value, pointer(*path)
    if unknown is not None:
        raise UnknownValue(unknown)
    return None, pointer(*spellings[0])


def distinct_count(values: Any) -> int:
    """How many distinct entries a list holds; entries unknown until apply (null) count one each."""
    if not isinstance(values, list | tuple):
        return 0
    known = {str(v) for v in values if v is not None and v != ""}
    return len(known) + sum(1 for v in values if v is None)


def per_tier(table: Mapping[str, Any], tier: Tier, default: Any) -> Any:
    """A tier's entry in an Options mapping keyed by tier name, or `default`."""
    return table.get(tier.value, default) if isinstance(table, Mapping) else default


def shown(resource: Resource, at: str, value: Any) -> str:
    """`value` for a message, or `***` when the plan marks the attribute at pointer `at` sensitive."""
    if resource.change is not None and resource.change.is_sensitive(at):
        return "***"
    return str(value)


def is_deleted(resource: Resource) -> bool:
    """The plan deletes the resource (state rules skip it: release.destructive-change judges that)."""
    return action(resource) is Action.DELETE


def subject(resource: Resource, noun: str, *name_keys: str) -> str:
    """`db instance main (erp-prod)`: the noun, the plan's name and the cloud name when the plan knows it."""
    for key in name_keys:
        value = resource.body.get(key)
        if isinstance(value, str) and value and value != resource.name and not is_sensitive(resource, key):
            return f"{noun} {resource.name} ({value})"
    return f"{noun} {resource.name}"
