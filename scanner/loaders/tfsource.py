"""`--tf-root DIR`: point Terraform findings at the `resource "type" "name"` block in the .tf source.

The plan says which module a resource lives in and where local modules come from
(`configuration.module_calls[*].source`); the .tf files say on which line each block starts. Blocks
are found with a line scan (not an HCL parse): top-level attributes and nested blocks of the
resource get their own lines, deeper ones fall back to the nearest of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from govscan.scanner.inputs import display_path
from govscan.scanner.model import Position

_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(=|\{)")
_INDEX = re.compile(r"\[[^\]]*\]")


class BlockPositions(Mapping[str, Position]):
    """`""` is the block's first line; `/attribute` the line of a top-level attribute or block."""

    __slots__ = ("_lines",)

    def __init__(self, lines: dict[str, Position]) -> None:
        self._lines = lines

    def __getitem__(self, pointer: str) -> Position:
        return self._lines[pointer]

    def get(self, pointer: str, default: Any = None) -> Any:
        return self._lines.get(pointer, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


class TerraformSource:
    """Resource blocks of the .tf files under a root, by module directory, type and name."""

    def __init__(self, root: Path, cwd: Path) -> None:
        self.root = root.resolve()
        self.blocks: dict[tuple[Path, str, str], tuple[str, BlockPositions]] = {}
        for tf in sorted(self.root.rglob("*.tf")):
            if any(part in (".terraform", ".git") for part in tf.relative_to(self.root).parts):
                continue
            try:
                text = tf.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for (kind, name), positions in _blocks(text.splitlines()):
                self.blocks.setdefault((tf.parent, kind, name), (display_path(tf, cwd), positions))

    def module_dirs(self, configuration: Any) -> dict[str, Path]:
        """Module address (`module.db.module.pg`) -> directory, for modules with a local source."""
        dirs: dict[str, Path] = {"": self.root}
        root = configuration.get("root_module") if isinstance(configuration, dict) else None
        stack: list[tuple[str, Path, Any]] = [("", self.root, root)]
        while stack:
            prefix, directory, module = stack.pop()
            calls = module.get("module_calls") if isinstance(module, dict) else None
            for name, call in calls.items() if isinstance(calls, dict) else ():
                source = call.get("source") if isinstance(call, dict) else None
                if isinstance(source, str) and source.startswith(("./", "../")):
                    address = f"{prefix}module.{name}"
                    dirs[address] = (directory / source).resolve()
                    stack.append((address + ".", dirs[address], call.get("module")))
        return dirs

    def find(
        self, dirs: Mapping[str, Path], module: str | None, kind: str, name: str
    ) -> tuple[str, BlockPositions] | None:
        directory = dirs.get(_INDEX.sub("", module or ""))
        if directory is None:
            return None
        return self.blocks.get((directory, kind, _INDEX.sub("", name)))


def _blocks(lines: list[str]) -> Iterator[tuple[tuple[str, str], BlockPositions]]:
    i = 0
    while i < len(lines):
        match = _BLOCK.match(lines[i])
        if not match:
            i += 1
            continue
        positions: dict[str, Position] = {"": (i + 1, lines[i].index("resource") + 1)}
        depth = lines[i].count("{") - lines[i].count("}")
        j = i + 1
        while j < len(lines) and depth > 0:
            line = lines[j]
            if depth == 1:
                attribute = _ATTRIBUTE.match(line)
                if attribute:
                    positions.setdefault("/" + attribute.group(1), (j + 1, line.index(attribute.group(1)) + 1))
            depth += line.count("{") - line.count("}")
            j += 1
        yield (match.group(1), match.group(2)), BlockPositions(positions)
        i = j
