"""From a tool's way of saying where (a line, a key path) to govscan's: a JSON pointer in the body.

The engine turns the pointer into file, line and column like for any rule, so Helm templates,
`--tf-root` and waivers on a field work the same for tool findings. Tool messages pass through
`redact` so that a value govscan would never print cannot reach a report through them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from govscan.rules._lib.secrets import Detector
from govscan.scanner.model import Platform, Resource, escape_pointer_token, pointer_join

_INDEX = re.compile(r"^\[(\d+)\]$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")
_NOT_BODY_KEYS = frozenset({"resource_type", "networking"})
"""Names checkov's graph checks report that are its own attributes, not keys of the resource."""
_DETECTOR = Detector()
MASK = "***"


def body_pointer(resource: Resource, key_path: str) -> str | None:
    """checkov's `spec/template/spec/containers/[0]/securityContext/privileged` as a pointer into the
    body: the longest prefix that exists, plus the first missing key (that is what is missing)."""
    tokens = [t for t in key_path.strip("/").split("/") if t]
    if not tokens or tokens[0] in _NOT_BODY_KEYS:
        return None
    current: Any = resource.body
    kept: list[str] = []
    for token in tokens:
        index = _INDEX.match(token)
        if isinstance(current, list):
            if index is None or int(index.group(1)) >= len(current):
                break
            kept.append(index.group(1))
            current = current[int(index.group(1))]
        elif isinstance(current, Mapping):
            if index is not None or not _TOKEN.match(token):
                break
            kept.append(token)
            if token not in current:
                break
            current = current[token]
        else:
            break
    return pointer_join(*kept) if kept else None


def pointer_at_line(resource: Resource, line: int) -> str:
    """The outermost pointer of the resource that starts on `line` (a container, a key), or ""."""
    if resource.platform is not Platform.K8S:
        return ""
    best = ""
    for pointer in resource.source.positions:
        position = resource.source.positions.get(pointer)
        if position is not None and position[0] == line and (not best or pointer.count("/") < best.count("/")):
            best = pointer
    return best


def redact(message: str, resource: Resource) -> str:
    """`message` with every secret value of the resource replaced by ***."""
    if not message:
        return message
    for value in sorted(set(_secret_values(resource)), key=len, reverse=True):
        if value in message:
            message = message.replace(value, MASK)
    return message


def _secret_values(resource: Resource) -> Iterator[str]:
    """String values govscan never prints: Secret data, values under sensitive names (`password:`,
    env entries named PGPASSWORD), credential formats, and values a plan marks sensitive."""
    body = resource.body
    if resource.platform is Platform.K8S and resource.kind == "Secret":
        for key in ("data", "stringData"):
            values = body.get(key)
            if isinstance(values, Mapping):
                yield from (v for v in values.values() if isinstance(v, str) and len(v) >= 3)
    change = resource.change
    for pointer, name, value in _leaves(body, "", ""):
        if len(value) < 3:
            continue
        if _DETECTOR.literal_secret(name, value) or (change is not None and change.is_sensitive(pointer)):
            yield value


def _leaves(node: Any, pointer: str, name: str) -> Iterator[tuple[str, str, str]]:
    """(pointer, the name that labels it, value) for every string leaf."""
    if isinstance(node, str):
        yield pointer, name, node
    elif isinstance(node, Mapping):
        label = node.get("name") if isinstance(node.get("name"), str) else None
        for key, value in node.items():
            child = f"{pointer}/{escape_pointer_token(str(key))}"
            # env-style entries {name: PGPASSWORD, value: ...} are labelled by their name
            yield from _leaves(value, child, label if key == "value" and label else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{pointer}/{i}", name)
