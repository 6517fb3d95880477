"""YAML documents with positions: libyaml composes nodes, we build plain data and a pointer map.

The body a rule sees is plain dicts, lists and scalars (JSON-like, Kubernetes semantics: timestamps
and binary stay strings). Positions live in a side map JSON pointer -> (line, column), 1-based,
pointing at the key of a mapping entry and at the first token of a sequence item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govscan.scanner.errors import InputError
from govscan.scanner.loaders.nesting import block_overflow, flow_overflow, line_and_column
from govscan.scanner.model import Position, escape_pointer_token

try:  # libyaml is the whole point; the pure-Python parser is a slow fallback only.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - exercised only without libyaml
    _Loader = yaml.SafeLoader

YAML_TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = frozenset(YAML_TAG_PREFIX + name for name in ("map", "seq", "set", "omap", "pairs"))
MERGE_TAG = "tag:yaml.org,2002:merge"
_KEEP_AS_STRING = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_SOURCE_COMMENT = re.compile(r"^# Source: (.+?)\s*$", re.MULTILINE)

MAX_DEPTH = 128
"""Deeper nesting than any real manifest; past it we stop rather than hit the recursion limit."""
MAX_EXPANDED_NODES = 1_000_000
"""Nodes one document may expand to through aliases (a YAML 'billion laughs' needs far more)."""
PARSER_DEPTH_GUARD = 1000
"""Nesting refused before libyaml composes it (its C recursion crashes the process far deeper);
between MAX_DEPTH and this, the builder refuses it with the exact line."""


@dataclass(slots=True)
class Document:
    """One parsed YAML document with its position map and what the parser would have hidden."""

    index: int
    body: Any
    positions: dict[str, Position]
    line: int
    template: str | None = None
    duplicate_keys: list[tuple[str, Position]] = field(default_factory=list)


class _Builder:
    __slots__ = ("constructor", "positions", "duplicates", "memo", "expanded", "path")

    def __init__(self, constructor: Any, path: str) -> None:
        self.constructor = constructor
        self.path = path
        self.positions: dict[str, Position] = {}
        self.duplicates: list[tuple[str, Position]] = []
        self.memo: dict[int, Any] = {}
        self.expanded = 0

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == STR_TAG or tag in _KEEP_AS_STRING or not tag.startswith(YAML_TAG_PREFIX):
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception:  # PyYAML's constructors raise anything on odd input (`!!int` alone: IndexError)
            # `!!int hunter2`, a 5,000-digit number, `!!python/name:...`: never quote the value
            mark = node.start_mark
            name = tag.removeprefix(YAML_TAG_PREFIX)[:40]
            problem = f"value cannot be read as !!{name} (malformed, over-long or an unsupported tag)"
            raise InputError(self.path, problem, mark.line + 1, mark.column + 1) from None

    def build(self, node: Node, pointer: str, depth: int) -> Any:
        if node.__class__ is ScalarNode:
            return self.scalar(node)
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise InputError(self.path, f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
        key = id(node)
        if key in self.memo:  # an alias: share the value, but count what it expands to
            self.expanded += _count(node)
            if self.expanded > MAX_EXPANDED_NODES:
                mark = node.start_mark
                raise InputError(
                    self.path,
                    f"aliases expand past {MAX_EXPANDED_NODES:,} nodes (YAML alias bomb?)",
                    mark.line + 1,
                    mark.column + 1,
                )
            return self.memo[key]
        if node.tag not in _COLLECTION_TAGS and node.tag.startswith(YAML_TAG_PREFIX):  # !!python/object/apply:...
            mark = node.start_mark
            name = node.tag.removeprefix(YAML_TAG_PREFIX)[:40]
            raise InputError(self.path, f"unsupported tag !!{name} on a collection", mark.line + 1, mark.column + 1)
        positions = self.positions
        if node.__class__ is MappingNode:
            result: dict[Any, Any] = {}
            self.memo[key] = result
            merges: list[Node] = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    merges.append(value_node)
                    continue
                k = self.scalar(key_node) if key_node.__class__ is ScalarNode else _flat_key(key_node)
                if not isinstance(k, str | int | float | bool) and k is not None:
                    k = str(k)
                child = pointer + "/" + (escape_pointer_token(k) if k.__class__ is str else str(k))
                mark = key_node.start_mark
                at = (mark.line + 1, mark.column + 1)
                if k in result:
                    self.duplicates.append((child, at))
                positions[child] = at
                result[k] = self.build(value_node, child, depth + 1)
            for merge in merges:
                self._merge(result, merge, pointer, depth)
            return result
        if node.__class__ is SequenceNode:
            items: list[Any] = []
            self.memo[key] = items
            for i, item in enumerate(node.value):
                child = f"{pointer}/{i}"
                mark = item.start_mark
                positions[child] = (mark.line + 1, mark.column + 1)
                items.append(self.build(item, child, depth + 1))
            return items
        return None  # pragma: no cover - libyaml yields only the three node classes

    def _merge(self, result: dict[Any, Any], merge: Node, pointer: str, depth: int) -> None:
        sources = merge.value if merge.__class__ is SequenceNode else [merge]
        for source in sources:
            value = self.build(source, pointer, depth + 1)
            if isinstance(value, dict):
                for k, v in value.items():
                    result.setdefault(k, v)


def _count(node: Node) -> int:
    """Number of nodes `node` expands to (iterative; shared sub-trees counted each time)."""
    total = 0
    stack = [node]
    while stack:
        current = stack.pop()
        total += 1
        if total > MAX_EXPANDED_NODES:
            return total
        if current.__class__ is MappingNode:
            stack.extend(value for _key, value in current.value)
        elif current.__class__ is SequenceNode:
            stack.extend(current.value)
    return total


def _flat_key(node: Node) -> str:
    return f"<{node.__class__.__name__} key>"


def _line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def iter_documents(text: str, path: str) -> Iterator[Document]:
    """Yield each non-empty document of `text`.

    Raises InputError (with line and column) for the first syntax error; documents before it have
    already been yielded, so a caller can keep them and report the rest as unreadable.
    """
    if flow_overflow(text, PARSER_DEPTH_GUARD) is not None:  # refused before libyaml's recursion crashes the process
        line, column = line_and_column(text, flow_overflow(text, MAX_DEPTH) or 0)
        raise InputError(path, f"nesting deeper than {MAX_DEPTH} levels", line, column)
    if block_overflow(text, PARSER_DEPTH_GUARD) is not None:
        line, column = line_and_column(text, block_overflow(text, MAX_DEPTH) or 0)
        raise InputError(path, f"nesting deeper than {MAX_DEPTH} levels", line, column)
    sources = [(_line_of_offset(text, m.start()), m.group(1)) for m in _SOURCE_COMMENT.finditer(text)]
    try:
        loader = _Loader(text)
    except UnicodeEncodeError as exc:  # only a str built in memory can hold an unpaired surrogate
        line, column = line_and_column(text, exc.start)
        raise InputError(path, "not valid Unicode text (unpaired surrogate)", line, column) from None
    index = 0
    previous_end = 0
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                problem = exc.problem or exc.context or "malformed YAML"
                if mark is not None:
                    raise InputError(path, f"malformed YAML: {problem}", mark.line + 1, mark.column + 1) from None
                raise InputError(path, f"malformed YAML: {problem}") from None
            except yaml.reader.ReaderError as exc:  # a control character; its message would span lines
                line, column = line_and_column(text, exc.position)
                problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
                raise InputError(path, f"malformed YAML: {problem}", line, column) from None
            except yaml.YAMLError as exc:
                raise InputError(path, f"malformed YAML: {str(exc).splitlines()[0][:200]}") from None
            except RecursionError:
                raise InputError(path, "nesting too deep to parse") from None
            if node is None:
                continue
            index += 1
            start = node.start_mark.line + 1
            builder = _Builder(loader, path)
            builder.positions[""] = (start, node.start_mark.column + 1)
            body = builder.build(node, "", 0)
            if body is None:  # an empty document (Helm emits them) owns no `# Source:` comment
                continue
            template = None
            for line, name in sources:
                if previous_end < line <= start:
                    template = name
            previous_end = node.end_mark.line + 1
            yield Document(index - 1, body, builder.positions, start, template, builder.duplicates)
    finally:
        loader.dispose()
