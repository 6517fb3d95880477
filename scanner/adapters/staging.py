"""The inputs as checkov and trivy read them: one temporary file per Kubernetes document, one per plan.

Every input is read and parsed once more here (the engine's own pass lets bodies go as files stream
past), so a tool's result can be matched to the govscan resource it is about, with full positions.
Each Kubernetes document becomes its own file (`scan/k8s/0001-0002.yaml`) holding the document's
lines as written, so a tool's file names the resource and its line numbers map back by adding the
lines that came before the document. Helm output and stdin are handled the same way: their text is
what gets split, and findings point back at `<stdin>` or at the chart template. Terraform plans are
copied whole (`scan/tfplan/0003.json`). Pulumi previews are not given to the tools (they read neither).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from govscan.scanner import inputs
from govscan.scanner.errors import InputError
from govscan.scanner.loaders import content
from govscan.scanner.loaders.tfsource import TerraformSource
from govscan.scanner.model import Origin, Platform, Resource

SCAN_DIR = "scan"
"""What the tools are pointed at, inside the staging directory."""
_SEPARATOR = re.compile(r"^---(?:[ \t]|$)")


@dataclass(slots=True)
class Chunk:
    """One staged file: the resources it holds and where its lines sit in the input."""

    name: str
    """Path inside SCAN_DIR: `k8s/0001-0002.yaml`, `tfplan/0003.json`."""
    display: str
    """The input as reports name it."""
    platform: Platform
    offset: int
    """Lines of the input before the chunk's first line."""
    resources: list[Resource] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    """Each resource's first line in the input."""

    def resource_at(self, line: int | None) -> Resource:
        """The resource holding input line `line` (the last one starting at or before it)."""
        if line is None or len(self.resources) == 1:
            return self.resources[0]
        found = self.resources[0]
        for resource, start in zip(self.resources, self.starts, strict=True):
            if start <= line:
                found = resource
        return found


@dataclass(slots=True)
class Staged:
    root: Path
    chunks: dict[str, Chunk] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    """Every Kubernetes and Terraform resource read, bodies and positions whole."""
    stdin_copy: Path | None = None

    @property
    def scan_dir(self) -> Path:
        return self.root / SCAN_DIR

    def of_platform(self, platform: Platform) -> list[Chunk]:
        return [c for c in self.chunks.values() if c.platform is platform]


def stage(
    files: list[inputs.InputFile],
    root: Path,
    *,
    max_bytes: int,
    write: bool,
    tf_root: Path | None = None,
    cwd: Path | None = None,
) -> Staged:
    """Read and parse every judged input; with `write`, lay the tools' files out under `root/scan`.

    stdin is read whatever its role: the copy is what the engine's own pass reads after this.
    """
    staged = Staged(root)
    files = [f for f in files if f.judged or f.path is None]
    tf_source = TerraformSource(tf_root, (cwd or Path.cwd()).resolve()) if tf_root is not None else None
    for number, file in enumerate(files, start=1):
        try:
            text = inputs.read_text(file, max_bytes)
        except InputError:
            continue  # the engine's own pass reports it
        if file.path is None:
            staged.stdin_copy = root / "stdin"
            staged.stdin_copy.write_text(text, encoding="utf-8")
        if not file.judged:
            continue  # read for context only (--context, another shard's file): its owner judges it
        origin = Origin.STDIN if file.path is None else Origin.FILE
        loaded = content.load(text, file.display, origin, file.named, tf_source)
        k8s = [r for r in loaded.resources if r.platform is Platform.K8S]
        plan = [r for r in loaded.resources if r.platform is Platform.TERRAFORM]
        staged.resources.extend(k8s + plan)
        if k8s:
            for chunk, chunk_text in _k8s_chunks(number, file.display, text, k8s):
                staged.chunks[chunk.name] = chunk
                if write:
                    _write(staged.scan_dir / chunk.name, chunk_text)
        if plan:
            chunk = Chunk(f"tfplan/{number:04d}.json", file.display, Platform.TERRAFORM, 0, plan, [1] * len(plan))
            staged.chunks[chunk.name] = chunk
            if write:
                _write(staged.scan_dir / chunk.name, text)
    return staged


def _k8s_chunks(number: int, display: str, text: str, resources: list[Resource]) -> list[tuple[Chunk, str]]:
    """One chunk per YAML document that holds resources (a JSON file is one document)."""
    lines = text.splitlines(keepends=True)
    suffix = ".json" if text.lstrip()[:1] in ("{", "[") else ".yaml"
    if suffix == ".json":
        bounds = [(1, len(lines))]
    else:
        cuts = [i + 1 for i, line in enumerate(lines) if _SEPARATOR.match(line)]
        starts = sorted({1, *cuts})
        bounds = [(s, e - 1) for s, e in zip(starts, [*starts[1:], len(lines) + 1], strict=True)]
    placed = sorted(((r.source.locate("")[0], i) for i, r in enumerate(resources)), key=lambda p: p[0])
    chunks = []
    for segment, (first, last) in enumerate(bounds, start=1):
        inside = [(start, resources[i]) for start, i in placed if first <= start <= last]
        if not inside:
            continue
        chunk = Chunk(
            name=f"k8s/{number:04d}-{segment:04d}{suffix}",
            display=display,
            platform=Platform.K8S,
            offset=first - 1,
            resources=[r for _, r in inside],
            starts=[s for s, _ in inside],
        )
        chunks.append((chunk, "".join(lines[first - 1 : last])))
    return chunks


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
