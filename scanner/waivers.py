"""Waivers: annotation `govscan.io/waive.<rule-id>: "<reason>; expires=YYYY-MM-DD"` and config entries.

A waiver needs a reason and an expiry. An expired, malformed, too-long or forbidden waiver does not
apply and is itself reported (govscan.waiver-invalid), so nobody loses sight of it. Waived findings
are kept and marked in every report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from govscan.scanner.config import Config, ConfigWaiver
from govscan.scanner.model import Resource, Tier, Waiver, pointer_join

ANNOTATION_PREFIX = "govscan.io/waive."
_EXPIRES = re.compile(r"^(?P<reason>.*?)\s*;\s*expires\s*=\s*(?P<date>\S+)\s*$", re.DOTALL)


@dataclass(frozen=True)
class WaiverProblem:
    resource: Resource
    pointer: str
    message: str


@dataclass(frozen=True)
class ParsedAnnotation:
    reason: str
    expires: dt.date | None
    error: str | None


def parse_annotation(value: str) -> ParsedAnnotation:
    match = _EXPIRES.match(value.strip())
    if not match:
        return ParsedAnnotation(value.strip(), None, 'needs "<reason>; expires=YYYY-MM-DD"')
    reason = match.group("reason").strip()
    try:
        expires = dt.date.fromisoformat(match.group("date"))
    except ValueError:
        return ParsedAnnotation(reason, None, f"expiry {match.group('date')[:20]!r} is not a date (YYYY-MM-DD)")
    if len(reason) < 3:
        return ParsedAnnotation(reason, expires, "needs a reason before '; expires='")
    return ParsedAnnotation(reason, expires, None)


@dataclass(frozen=True)
class ConfigWaiverProblem:
    """A config waiver that can never apply, reported once at its own file and line."""

    path: str
    line: int
    message: str
    """`for <rule> on <resource> <what is wrong>`."""


class WaiverBook:
    def __init__(self, config: Config, today: dt.date) -> None:
        self.config = config
        self.today = today
        self._problems: dict[tuple[str, str, str], WaiverProblem] = {}
        self.config_problems: list[ConfigWaiverProblem] = []
        self._usable: list[ConfigWaiver] = []
        for waiver in config.waivers:
            problem = self._config_problem(waiver)
            if problem is None:
                self._usable.append(waiver)
            else:
                where = waiver.path or config.path or ".govscan.yaml"
                self.config_problems.append(ConfigWaiverProblem(where, waiver.line, problem))

    def _config_problem(self, waiver: ConfigWaiver) -> str | None:
        """What is wrong, after `config waiver (file:line) ` (the engine names the file as reports do)."""
        what = f"for {waiver.rule} on {waiver.resource}"
        if waiver.problem is not None or waiver.expires is None:
            return f"{what} ignored: {waiver.problem or 'it has no expiry'}"
        if waiver.expires < self.today:
            return f"{what} expired on {waiver.expires.isoformat()}"
        if self._too_long(waiver.expires):
            return (
                f"{what} ignored: expiry {waiver.expires} is more than {self.config.max_waiver_days} days away "
                "(waiver_policy.max_days)"
            )
        return None

    def check_annotations(self, resource: Resource, known_rule: Callable[[str], bool]) -> None:
        """An annotation waiver naming no rule (a typo, a renamed rule) is reported, not ignored."""
        for key in resource.annotations:
            if key.startswith(ANNOTATION_PREFIX) and not known_rule(key[len(ANNOTATION_PREFIX) :]):
                where = pointer_join("metadata", "annotations", key)
                self._problem(
                    resource,
                    where,
                    key,
                    f"waiver {key[:120]} names no rule (see `govscan rules list`); it waives nothing",
                )

    def _problem(self, resource: Resource, pointer: str, key: str, message: str) -> None:
        self._problems.setdefault((resource.uid, resource.source.path, key), WaiverProblem(resource, pointer, message))

    def problems(self) -> list[WaiverProblem]:
        return list(self._problems.values())

    def _too_long(self, expires: dt.date) -> bool:
        limit = self.config.max_waiver_days
        return limit is not None and (expires - self.today).days > limit

    def waiver_for(self, rule_id: str, resource: Resource, tier: Tier, pointer: str) -> Waiver | None:
        annotation = resource.annotations.get(ANNOTATION_PREFIX + rule_id)
        if annotation is not None:
            waiver = self._from_annotation(rule_id, resource, tier, annotation)
            if waiver is not None:
                return waiver
        return self._from_config(rule_id, resource)

    def _from_annotation(self, rule_id: str, resource: Resource, tier: Tier, value: str) -> Waiver | None:
        key = ANNOTATION_PREFIX + rule_id
        where = pointer_join("metadata", "annotations", key)
        parsed = parse_annotation(value)
        if parsed.error or parsed.expires is None:
            self._problem(resource, where, key, f"waiver {key} ignored: {parsed.error}")
            return None
        if tier in self.config.annotation_waivers_forbidden:
            self._problem(
                resource,
                where,
                key,
                f"waiver {key} ignored: annotation waivers are not allowed in {tier.value}; "
                "ask the platform team for a config waiver",
            )
            return None
        if parsed.expires < self.today:
            self._problem(resource, where, key, f"waiver {key} expired on {parsed.expires.isoformat()}")
            return None
        if self._too_long(parsed.expires):
            self._problem(
                resource,
                where,
                key,
                f"waiver {key} ignored: expiry {parsed.expires} is more than {self.config.max_waiver_days} days away",
            )
            return None
        return Waiver(rule_id, parsed.reason, "annotation", None, parsed.expires.isoformat())

    def _from_config(self, rule_id: str, resource: Resource) -> Waiver | None:
        candidates = (
            resource.uid,
            f"{resource.kind}/{resource.name}",
            f"{resource.namespace or '-'}/{resource.kind}/{resource.name}",
            resource.name,
        )
        for waiver in self._usable:
            if waiver.matches(rule_id, candidates):
                expires = waiver.expires.isoformat() if waiver.expires else None
                return Waiver(rule_id, waiver.reason, "config", waiver.owner, expires)
        return None
