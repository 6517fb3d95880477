"""Resource-level diff of a base and a head: added, removed and modified resources, with the JSON
pointers of the changed fields.

Both sides are read with the scan's own loaders, so formatting, key order and comments never count
as changes: two bodies are compared as parsed data. Resources match by uid (a moved file is not a
change); a uid given twice on either side (a base and an overlay) is told apart by its file. Files
identical on both sides hold no change and are not parsed, except for the Namespace objects that
decide tiers.

Plans and previews are change sets already: a side is the state after apply (a planned delete is
gone, data sources are not resources) and changed resources carry their planned action. Comparing
two plans (`keep_planned`), a resource the head plans to delete or replace is always part of the
change, even when the base plans the same; in a tree, a plan file nobody touched is not. Given a
plan alone, its own `before` values are the base.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govscan.scanner import inputs
from govscan.scanner.errors import InputError
from govscan.scanner.loaders import content
from govscan.scanner.loaders.tfplan import tags_of
from govscan.scanner.model import (
    Action,
    ChangeKind,
    Origin,
    Resource,
    ResourceChange,
    Skipped,
    escape_pointer_token,
)

DESTRUCTIVE = frozenset({Action.DELETE, Action.REPLACE})
GONE_AFTER_APPLY = frozenset({Action.DELETE, Action.READ})
NAMESPACE_KIND = re.compile(r"""^\s*(?:-\s+)?["']?kind["']?\s*:\s*["']?Namespace\b""", re.MULTILINE)
"""A line that may declare a Namespace (YAML or JSON): such unchanged files are parsed for tiers."""


@dataclass
class Snapshot:
    """One side of a change: its resources as the loaders read them, and what could not be read."""

    label: str
    resources: list[Resource] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0
    root: str = ""
    """The directory the side was read from, as its paths start (`old/`): a uid given twice is
    told apart by its path below it."""
    context: list[Resource] = field(default_factory=list)
    """Namespace objects of files not parsed for the diff (unchanged): their labels decide tiers."""


def load_snapshot(
    label: str,
    targets: Iterable[str],
    cwd: Path,
    max_bytes: int = inputs.DEFAULT_MAX_FILE_BYTES,
    changed: Callable[[str], bool] | None = None,
) -> Snapshot:
    """Read files and directories with the scan's loaders (paths shown relative to `cwd`); with
    `changed`, files it says are the same on both sides only give their Namespace objects."""
    targets = list(targets)
    snapshot = Snapshot(label)
    if len(targets) == 1 and Path(targets[0]).is_dir():
        shown = inputs.display_path(Path(targets[0]), cwd.resolve())
        snapshot.root = "" if shown == "." else shown.rstrip("/") + "/"
    files, problems = inputs.discover(targets, cwd)
    snapshot.errors.extend(problems)
    snapshot.files = len(files)
    for file in files:
        unchanged = changed is not None and not changed(file.display)
        try:
            text = inputs.read_text(file, max_bytes)
        except InputError as exc:
            if not unchanged:  # the same on both sides: the head's scan reports it
                snapshot.errors.append(exc)
            continue
        if unchanged:
            if NAMESPACE_KIND.search(text):
                loaded = content.load(text, file.display, Origin.FILE, file.named)
                snapshot.context.extend(r for r in loaded.resources if r.kind == "Namespace")
            continue
        loaded = content.load(text, file.display, Origin.FILE, file.named)
        snapshot.resources.extend(loaded.resources)
        snapshot.skipped.extend(loaded.skipped)
        snapshot.errors.extend(loaded.errors)
    return snapshot


def is_planned(resource: Resource) -> bool:
    return resource.change is not None


def prior_state(resources: Iterable[Resource]) -> list[Resource]:
    """A plan's base: each planned resource as it was before the plan (what existed, with its values)."""
    prior = []
    for resource in resources:
        change = resource.change
        if change is None or change.before is None or change.action in (Action.CREATE, Action.READ):
            continue
        before = change.before
        prior.append(dataclasses.replace(resource, body=before, labels=tags_of(before), change=None))
    return prior


def _after_apply(resources: Iterable[Resource]) -> list[Resource]:
    return [
        r
        for r in resources
        if not r.kind.startswith("data.") and (r.change is None or r.change.action not in GONE_AFTER_APPLY)
    ]


class _Keys:
    """uid -> key; a uid given twice on either side is keyed by uid and its file below the side's root."""

    def __init__(self, *sides: list[Resource]) -> None:
        self.twice = {uid for side in sides for uid, n in Counter(r.uid for r in side).items() if n > 1}

    def keyed(self, resources: Iterable[Resource], root: str) -> dict[str, Resource]:
        found: dict[str, Resource] = {}
        for resource in resources:
            found.setdefault(self.key(resource, root), resource)
        return found

    def key(self, resource: Resource, root: str) -> str:
        if resource.uid not in self.twice:
            return resource.uid
        return f"{resource.uid} ({resource.source.path.removeprefix(root)})"


def _planned(resource: Resource | None) -> Action | None:
    return resource.change.action if resource is not None and resource.change is not None else None


def diff(
    base: Iterable[Resource],
    head: Iterable[Resource],
    base_root: str = "",
    head_root: str = "",
    keep_planned: bool = False,
) -> list[ResourceChange]:
    """Changes from `base` to `head`, in uid order (roots: see Snapshot.root; `keep_planned`: see above)."""
    base, head = list(base), list(head)
    base_after, head_after = _after_apply(base), _after_apply(head)
    keys = _Keys(base_after, head_after)
    base_state, head_state = keys.keyed(base_after, base_root), keys.keyed(head_after, head_root)
    changes: dict[str, ResourceChange] = {}
    for key in sorted(set(base_state) | set(head_state)):
        before, after = base_state.get(key), head_state.get(key)
        planned = _planned(after)
        if before is None:
            assert after is not None
            changes[key] = ResourceChange(ChangeKind.ADDED, None, after, (), planned)
        elif after is None:
            changes[key] = ResourceChange(ChangeKind.REMOVED, before, None, (), None)
        else:
            fields = tuple(changed_fields(before.body, after.body))
            newly_planned = planned in DESTRUCTIVE and (keep_planned or _planned(before) is not planned)
            if fields or newly_planned:
                changes[key] = ResourceChange(ChangeKind.MODIFIED, before, after, fields, planned)
    base_deletes = {keys.key(r, base_root) for r in base if _planned(r) is Action.DELETE}
    for resource in head:
        if _planned(resource) is not Action.DELETE:
            continue
        key = keys.key(resource, head_root)
        existing = changes.get(key)
        if existing is None and (keep_planned or key not in base_deletes):
            changes[key] = ResourceChange(ChangeKind.REMOVED, resource, None, (), Action.DELETE)
        elif existing is not None and existing.kind is ChangeKind.REMOVED:
            changes[key] = dataclasses.replace(existing, action=Action.DELETE)
    return [changes[key] for key in sorted(changes)]


def plan_changes(head: Iterable[Resource]) -> list[ResourceChange]:
    """A plan or preview on its own: its `before` values are the base."""
    head = list(head)
    return diff(prior_state(head), head, keep_planned=True)


def changed_fields(before: Any, after: Any, pointer: str = "") -> Iterator[str]:
    """JSON pointers where `after` differs from `before`: keys added, removed or changed, in key order."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            child = f"{pointer}/{escape_pointer_token(str(key))}"
            if key not in before or key not in after:
                yield child
            else:
                yield from changed_fields(before[key], after[key], child)
    elif isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            if i >= len(before) or i >= len(after):
                yield f"{pointer}/{i}"
            else:
                yield from changed_fields(before[i], after[i], f"{pointer}/{i}")
    elif not _same_scalar(before, after):
        yield pointer


def _same_scalar(before: Any, after: Any) -> bool:
    # True == 1 in Python; a manifest that turns `true` into `1` has changed
    if isinstance(before, bool) or isinstance(after, bool):
        return type(before) is type(after) and before == after
    if isinstance(before, int | float) and isinstance(after, int | float):
        return bool(before == after)
    return type(before) is type(after) and bool(before == after)
