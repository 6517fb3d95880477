"""The `release:` section of `.govscan.yaml`: what each release class needs per target tier, and
freeze windows.

```yaml
release:
  backup_labels: [backup-verified]       # labels that show a backup was taken before the change
  defaults:                              # per target tier, for every class (a class entry wins key by key)
    production: {approvals: 1}
  classes:
    schema-migration:
      production: {approvals: 2, labels: [dba-approved], change_ticket: "CHG-[0-9]+", backup: true,
                   rollback_plan: true, max_changed_resources: 10, progressive_rollout: true}
  freezes:
    - name: peak-season
      yearly: {start: "11-20", end: "01-05"}   # or dates: {start: 2027-03-05, end: 2027-03-08}
      classes: [schema-migration, data-destructive]  # or monthly: {start: -2, end: 2}
      tiers: [production]                          # the default
      emergency: {labels: [emergency-change, cab-approved]}
```

Validated with the rest of the config (unknown keys, classes and tiers are errors naming the line);
each requirement remembers the file and line that set it, so a finding can point there.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govscan.scanner.errors import ConfigError
from govscan.scanner.model import RELEASE_CLASSES, TIERS, ReleaseClass, Tier

CLASS_NAMES = [c.value for c in RELEASE_CLASSES]
TIER_NAMES = [t.value for t in TIERS]
DEFAULT_BACKUP_LABELS = ("backup-verified",)
REQUIREMENT_KEYS = (
    "approvals",
    "labels",
    "change_ticket",
    "backup",
    "rollback_plan",
    "max_changed_resources",
    "progressive_rollout",
)

_labels = {"type": "array", "items": {"type": "string", "minLength": 1}}
_requirements: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "approvals": {"type": "integer", "minimum": 0},
        "labels": _labels,
        "change_ticket": {"type": "string", "minLength": 1},
        "backup": {"type": "boolean"},
        "rollback_plan": {"type": "boolean"},
        "max_changed_resources": {"type": "integer", "minimum": 1},
        "progressive_rollout": {"type": "boolean"},
    },
}
_per_tier = {"type": "object", "additionalProperties": False, "properties": {t: _requirements for t in TIER_NAMES}}
_range = {"type": "object", "additionalProperties": False, "required": ["start", "end"]}
_freeze = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "classes"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$"},
        "dates": {
            **_range,
            "properties": {k: {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"} for k in ("start", "end")},
        },
        "yearly": {
            **_range,
            "properties": {k: {"type": "string", "pattern": r"^\d{2}-\d{2}$"} for k in ("start", "end")},
        },
        "monthly": {
            **_range,
            "properties": {k: {"type": "integer", "minimum": -28, "maximum": 31} for k in ("start", "end")},
        },
        "classes": {"type": "array", "minItems": 1, "items": {"enum": CLASS_NAMES}},
        "tiers": {"type": "array", "minItems": 1, "items": {"enum": TIER_NAMES}},
        "emergency": {
            "type": "object",
            "additionalProperties": False,
            "required": ["labels"],
            "properties": {"labels": {**_labels, "minItems": 1}},
        },
    },
}
RELEASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "backup_labels": _labels,
        "defaults": _per_tier,
        "classes": {"type": "object", "additionalProperties": False, "properties": {c: _per_tier for c in CLASS_NAMES}},
        "freezes": {"type": "array", "items": _freeze},
    },
}


@dataclass(frozen=True)
class Declaration:
    """Where a setting is written: its pointer in the config and the file and line."""

    pointer: str
    file: str
    line: int


@dataclass(frozen=True)
class Requirements:
    """What a change of one class needs before it may go to one target tier."""

    approvals: int = 0
    labels: tuple[str, ...] = ()
    change_ticket: re.Pattern[str] | None = None
    backup: bool = False
    rollback_plan: bool = False
    max_changed_resources: int | None = None
    progressive_rollout: bool = False
    declared: Mapping[str, Declaration] = field(default_factory=dict)
    """Requirement key -> where it was set (the class entry, or `defaults`)."""


@dataclass(frozen=True)
class FreezeWindow:
    """A named date range (one-off, yearly or monthly) that holds some classes back from some tiers."""

    name: str
    schedule: str  # "dates" | "yearly" | "monthly"
    start: Any
    end: Any
    classes: frozenset[ReleaseClass]
    tiers: frozenset[Tier]
    emergency_labels: tuple[str, ...] | None
    """Labels the emergency path needs (with --emergency --reason); None: no emergency path."""
    declared: Declaration

    def holds(self, day: dt.date) -> bool:
        if self.schedule == "dates":
            return bool(self.start <= day <= self.end)
        if self.schedule == "yearly":
            return _within((day.month, day.day), self.start, self.end)
        length = calendar.monthrange(day.year, day.month)[1]
        return _within(day.day, _month_day(self.start, length), _month_day(self.end, length))

    def describe(self) -> str:
        if self.schedule == "dates":
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        if self.schedule == "yearly":
            return f"every year {self.start[0]:02d}-{self.start[1]:02d} to {self.end[0]:02d}-{self.end[1]:02d}"
        return f"every month, day {self.start} to day {self.end}"


def _within(value: Any, start: Any, end: Any) -> bool:
    """start <= value <= end, wrapping past the end of the year or month when end < start."""
    return bool(start <= value <= end) if start <= end else bool(value >= start or value <= end)


def _month_day(day: int, length: int) -> int:
    """Day of a month from config: negative counts from the end (-1 is the last day)."""
    return min(day, length) if day > 0 else max(1, length + day + 1)


@dataclass(frozen=True)
class ReleasePolicy:
    requirements: Mapping[tuple[ReleaseClass, Tier], Requirements] = field(default_factory=dict)
    freezes: tuple[FreezeWindow, ...] = ()
    backup_labels: tuple[str, ...] = DEFAULT_BACKUP_LABELS
    configured: bool = False
    """A `release:` section was given."""

    def requirements_for(self, release_class: ReleaseClass, tier: Tier) -> Requirements:
        return self.requirements.get((release_class, tier), Requirements())


Positions = Mapping[str, tuple[str, int]]
"""Config pointer -> (file, line)."""


def build_release_policy(data: Mapping[str, Any] | None, positions: Positions, where: str) -> ReleasePolicy:
    """The validated `release:` mapping as a ReleasePolicy (schema checks have already run)."""
    if not data:
        return ReleasePolicy()

    def declared(pointer: str) -> Declaration:
        file, line = positions.get(pointer) or positions.get("/release") or (where, 1)
        return Declaration(pointer, file, line)

    requirements: dict[tuple[ReleaseClass, Tier], Requirements] = {}
    defaults = data.get("defaults") or {}
    classes = data.get("classes") or {}
    for release_class in RELEASE_CLASSES:
        per_tier = classes.get(release_class.value) or {}
        for tier in TIERS:
            own = per_tier.get(tier.value)
            fallback = defaults.get(tier.value)
            if own is None and fallback is None:
                continue
            values: dict[str, Any] = {}
            where_set: dict[str, Declaration] = {}
            for source, base in ((fallback, f"/release/defaults/{tier.value}"),
                                 (own, f"/release/classes/{release_class.value}/{tier.value}")):  # fmt: skip
                for key, value in (source or {}).items():
                    values[key] = value
                    where_set[key] = declared(f"{base}/{key}")
            requirements[(release_class, tier)] = _requirements_of(values, where_set)
    freezes = []
    names: set[str] = set()
    for i, entry in enumerate(data.get("freezes") or []):
        window = _freeze_of(entry, declared(f"/release/freezes/{i}"), declared)
        if window.name in names:
            raise ConfigError(
                window.declared.file, f"release.freezes: {window.name!r} is named twice", window.declared.line
            )
        names.add(window.name)
        freezes.append(window)
    return ReleasePolicy(
        requirements=requirements,
        freezes=tuple(freezes),
        backup_labels=tuple(data.get("backup_labels", DEFAULT_BACKUP_LABELS)),
        configured=True,
    )


def _requirements_of(values: Mapping[str, Any], declared: Mapping[str, Declaration]) -> Requirements:
    ticket = None
    if "change_ticket" in values:
        try:
            ticket = re.compile(values["change_ticket"])
        except re.error as exc:
            at = declared["change_ticket"]
            raise ConfigError(at.file, f"{_dotted(at.pointer)}: not a regular expression: {exc}", at.line) from None
    return Requirements(
        approvals=values.get("approvals", 0),
        labels=tuple(values.get("labels") or ()),
        change_ticket=ticket,
        backup=values.get("backup", False),
        rollback_plan=values.get("rollback_plan", False),
        max_changed_resources=values.get("max_changed_resources"),
        progressive_rollout=values.get("progressive_rollout", False),
        declared=dict(declared),
    )


def _freeze_of(entry: Mapping[str, Any], at: Declaration, declared: Any) -> FreezeWindow:
    schedules = [k for k in ("dates", "yearly", "monthly") if k in entry]
    if len(schedules) != 1:
        raise ConfigError(
            at.file,
            f"{_dotted(at.pointer)}: give exactly one of dates, yearly or monthly (found {len(schedules)})",
            at.line,
        )
    schedule = schedules[0]
    span = entry[schedule]
    bounds = []
    for key in ("start", "end"):
        spot: Declaration = declared(f"{at.pointer}/{schedule}/{key}")
        try:
            bounds.append(_bound(schedule, span[key]))
        except ValueError:
            raise ConfigError(
                spot.file, f"{_dotted(spot.pointer)}: {span[key]!r} is not a valid {_shape(schedule)}", spot.line
            ) from None
    if schedule == "dates" and bounds[1] < bounds[0]:
        raise ConfigError(at.file, f"{_dotted(at.pointer)}.dates: end is before start", at.line)
    emergency = entry.get("emergency")
    return FreezeWindow(
        name=entry["name"],
        schedule=schedule,
        start=bounds[0],
        end=bounds[1],
        classes=frozenset(ReleaseClass(c) for c in entry["classes"]),
        tiers=frozenset(Tier(t) for t in entry.get("tiers") or [Tier.PRODUCTION.value]),
        emergency_labels=tuple(emergency["labels"]) if emergency else None,
        declared=at,
    )


def _bound(schedule: str, value: Any) -> Any:
    if schedule == "dates":
        return dt.date.fromisoformat(value)
    if schedule == "yearly":
        month, day = (int(part) for part in value.split("-"))
        dt.date(2024, month, day)  # a leap year: 02-29 is a valid yearly bound
        return (month, day)
    if value == 0:  # day 1 is the first, -1 the last: there is no day 0
        raise ValueError(value)
    return value


def _shape(schedule: str) -> str:
    return {"dates": "date (YYYY-MM-DD)", "yearly": "month and day (MM-DD)"}.get(
        schedule, "day of the month (1 to 31, or -1 to -28 from the end)"
    )


def _dotted(pointer: str) -> str:
    return ".".join(pointer.strip("/").split("/"))
