"""config-change: a resource is added, removed or changed beyond its image tags.

Routine configuration: replicas, resources, labels, a ConfigMap value, a new Service. Every change
that is not image-only is at least a config-change; the other classifiers raise it.

Is config-change::

    spec: {replicas: 2}   ->   spec: {replicas: 3}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.release import image_bumps, label, verb
from govscan.scanner.model import ChangeKind, ClassifierMeta, ReleaseClass, ResourceChange, Signal

META = ClassifierMeta(ReleaseClass.CONFIG_CHANGE, "Configuration changes (more than image tags)")
SHOWN_FIELDS = 3


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    if image_bumps(change, ctx) is not None:
        return
    what = f"{verb(change)} {label(change.resource)}"
    if change.kind is not ChangeKind.MODIFIED:
        yield Signal(what)
        return
    if not change.fields:
        planned = change.action.value if change.action is not None else "change"
        yield Signal(f"{what} (planned {planned})")
        return
    shown = ", ".join(change.fields[:SHOWN_FIELDS])
    more = f" and {len(change.fields) - SHOWN_FIELDS} more" if len(change.fields) > SHOWN_FIELDS else ""
    yield Signal(f"{what}: {shown}{more}", change.fields[0])
