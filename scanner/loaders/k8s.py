"""Kubernetes manifests and Helm output: YAML/JSON documents -> Resources with positions.

`kind: List` (and any `*List` kind holding `items`) is unpacked item by item; CRDs and custom
resources are ordinary resources. A document that is not a Kubernetes object is reported as
skipped with the reason, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.scanner.errors import InputError
from govscan.scanner.loaders.yamldoc import Document, iter_documents
from govscan.scanner.model import Origin, PackedPositions, Platform, Position, Resource, Skipped, Source


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A mapping key given twice in a resource: YAML parsers keep the last value silently."""

    resource: Resource
    pointer: str
    position: Position


@dataclass(slots=True)
class LoadResult:
    resources: list[Resource]
    skipped: list[Skipped]
    duplicates: list[DuplicateKey]
    errors: list[InputError]


class _RelativePositions(Mapping[str, Position]):
    """A view of a document's position map rooted at a List item (`/items/3`)."""

    __slots__ = ("_base", "_positions")

    def __init__(self, positions: Mapping[str, Position], base: str) -> None:
        self._positions = positions
        self._base = base

    def __getitem__(self, pointer: str) -> Position:
        return self._positions[self._base + pointer]

    def get(self, pointer: str, default: Any = None) -> Any:
        return self._positions.get(self._base + pointer, default)

    def __iter__(self) -> Iterator[str]:
        n = len(self._base)
        return (p[n:] for p in self._positions if p.startswith(self._base))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def packed(positions: Mapping[str, Position], memo: dict[int, Mapping[str, Position]]) -> Mapping[str, Position]:
    """`positions` as PackedPositions; List items of one document share one packed map (through `memo`)."""
    inner = positions._positions if isinstance(positions, _RelativePositions) else positions
    if id(inner) not in memo:
        memo[id(inner)] = PackedPositions.of(inner)
    if isinstance(positions, _RelativePositions):
        return _RelativePositions(memo[id(inner)], positions._base)
    return memo[id(inner)]


def resource_uid(api_version: str, kind: str, namespace: str | None, name: str) -> str:
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else "core"
    return f"{group}/{kind}/{namespace or '-'}/{name}"


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _resource(
    body: Mapping[str, Any], positions: Mapping[str, Position], doc: Document, path: str, origin: Origin
) -> Resource:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    name = metadata.get("name") or metadata.get("generateName") or "<unnamed>"
    namespace = metadata.get("namespace")
    api_version = str(body.get("apiVersion", ""))
    kind = str(body.get("kind", ""))
    source = Source(
        origin=Origin.HELM if doc.template else origin,
        path=path,
        document=doc.index,
        template=doc.template,
        positions=positions,
    )
    return Resource(
        uid=resource_uid(api_version, kind, str(namespace) if namespace else None, str(name)),
        platform=Platform.K8S,
        kind=kind,
        api_version=api_version,
        name=str(name),
        namespace=str(namespace) if namespace else None,
        body=body,
        source=source,
        labels=_text_map(metadata.get("labels")),
        annotations=_text_map(metadata.get("annotations")),
    )


def _not_a_resource(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"document is a {type(body).__name__}, not a Kubernetes object"
    missing = [k for k in ("apiVersion", "kind") if not body.get(k)]
    if missing:
        if "resources" in body or "bases" in body or "patches" in body:
            return "a kustomization file: render it with `kustomize build DIR | govscan scan -`"
        return f"not a Kubernetes object (no {' or '.join(missing)})"
    if not isinstance(body.get("kind"), str) or not isinstance(body.get("apiVersion"), str):
        return "apiVersion and kind must be strings"
    return None


def resources_from_documents(documents: Iterator[Document], path: str, origin: Origin) -> LoadResult:
    result = LoadResult([], [], [], [])
    try:
        for doc in documents:
            _collect(doc, path, origin, result)
    except InputError as exc:
        result.errors.append(exc)
    return result


def _collect(doc: Document, path: str, origin: Origin, result: LoadResult) -> None:
    body = doc.body
    reason = _not_a_resource(body)
    if reason:
        result.skipped.append(Skipped(doc.template or path, doc.line, reason))
        return
    items = body.get("items")
    if body["kind"].endswith("List") and isinstance(items, list):
        for i, item in enumerate(items):
            base = f"/items/{i}"
            item_reason = _not_a_resource(item)
            line = doc.positions.get(base, (doc.line, 1))[0]
            if item_reason:
                result.skipped.append(Skipped(doc.template or path, line, f"{body['kind']} item {i}: {item_reason}"))
                continue
            resource = _resource(item, _RelativePositions(doc.positions, base), doc, path, origin)
            result.resources.append(resource)
            _note_duplicates(doc, resource, base, result)
        return
    resource = _resource(body, doc.positions, doc, path, origin)
    result.resources.append(resource)
    _note_duplicates(doc, resource, "", result)


def _note_duplicates(doc: Document, resource: Resource, base: str, result: LoadResult) -> None:
    for pointer, position in doc.duplicate_keys:
        if pointer.startswith(base + "/") or (not base and pointer):
            result.duplicates.append(DuplicateKey(resource, pointer[len(base) :], position))


def load_text(text: str, path: str, origin: Origin = Origin.FILE) -> LoadResult:
    """Parse `text` (YAML or JSON) into Resources; errors are returned, not raised."""
    return resources_from_documents(iter_documents(text, path), path, origin)
