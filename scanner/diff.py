"""Resource-level diff of a base and a head: added, removed and modified resources, with the JSON
pointers of the changed fields.

Both sides are read with the scan's own loaders, so formatting, key order and comments never count
as changes: two bodies are compared as parsed data. Resources match by uid (a moved file is not a
change); a uid given twice on one side (a base and an overlay) is told apart by its file.

Plans and previews are change sets already: a side is the state after apply (a planned delete is
gone, data sources are not resources), and a head resource the plan deletes or replaces is always
part of the change, with its planned action, even when both sides plan the same thing. Given a plan
alone, its own `before` values are the base.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
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


def load_snapshot(
    label: str, targets: Iterable[str], cwd: Path, max_bytes: int = inputs.DEFAULT_MAX_FILE_BYTES
) -> Snapshot:
    """Read files and directories with the scan's loaders (paths shown relative to `cwd`)."""
    targets = list(targets)
    snapshot = Snapshot(label)
    if len(targets) == 1 and Path(targets[0]).is_dir():
        shown = inputs.display_path(Path(targets[0]), cwd.resolve())
        snapshot.root = "" if shown == "." else shown.rstrip("/") + "/"
    files, problems = inputs.discover(targets, cwd)
    snapshot.errors.extend(problems)
    snapshot.files = len(files)
    for file in files:
        try:
            text = inputs.read_text(file, max_bytes)
        except InputError as exc:
            snapshot.errors.append(exc)
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


def _keyed(resources: list[Resource], root: str = "") -> dict[str, Resource]:
    """uid -> resource; a uid given twice on one side is keyed by uid and file (below `root`)."""
    counts = Counter(r.uid for r in resources)
    keyed: dict[str, Resource] = {}
    for resource in resources:
        path = resource.source.path.removeprefix(root)
        key = resource.uid if counts[resource.uid] == 1 else f"{resource.uid} ({path})"
        keyed.setdefault(key, resource)
    return keyed


def diff(
    base: Iterable[Resource], head: Iterable[Resource], base_root: str = "", head_root: str = ""
) -> list[ResourceChange]:
    """Changes from `base` to `head`, in uid order (roots: see Snapshot.root)."""
    head = list(head)
    base_state, head_state = _keyed(_after_apply(base), base_root), _keyed(_after_apply(head), head_root)
    changes: dict[str, ResourceChange] = {}
    for key in sorted(set(base_state) | set(head_state)):
        before, after = base_state.get(key), head_state.get(key)
        planned = after.change.action if after is not None and after.change is not None else None
        if before is None:
            assert after is not None
            changes[key] = ResourceChange(ChangeKind.ADDED, None, after, (), planned)
        elif after is None:
            changes[key] = ResourceChange(ChangeKind.REMOVED, before, None, (), None)
        else:
            fields = tuple(changed_fields(before.body, after.body))
            if fields or planned in DESTRUCTIVE:
                changes[key] = ResourceChange(ChangeKind.MODIFIED, before, after, fields, planned)
    # a planned delete is part of the change even when the base plan deletes it too
    deleted = [r for r in head if r.change is not None and r.change.action is Action.DELETE]
    for key, resource in _keyed(deleted, head_root).items():
        existing = changes.get(key)
        if existing is None:
            changes[key] = ResourceChange(ChangeKind.REMOVED, resource, None, (), Action.DELETE)
        elif existing.kind is ChangeKind.REMOVED:
            changes[key] = dataclasses.replace(existing, action=Action.DELETE)
    return [changes[key] for key in sorted(changes)]


def plan_changes(head: Iterable[Resource]) -> list[ResourceChange]:
    """A plan or preview on its own: its `before` values are the base."""
    head = list(head)
    return diff(prior_state(head), head)


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
