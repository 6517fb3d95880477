"""Waivers: annotation `govscan.io/waive.<rule-id>: "<reason>; expires=YYYY-MM-DD"` and config entries.

A waiver needs a reason and an expiry. An expired, malformed, too-long or forbidden waiver does not
apply and is itself reported (govscan.waiver-invalid), so nobody loses sight of it. Waived findings
are kept and marked in every report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from govscan.scanner.config import Config
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
        return ParsedAnnotation(reason, None, f"expiry {match.group('date')!r} is not a date (YYYY-MM-DD)")
    if len(reason) < 3:
        return ParsedAnnotation(reason, expires, "needs a reason before '; expires='")
    return ParsedAnnotation(reason, expires, None)


class WaiverBook:
    def __init__(self, config: Config, today: dt.date) -> None:
        self.config = config
        self.today = today
        self._problems: dict[tuple[str, str, str], WaiverProblem] = {}

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
        for waiver in self.config.waivers:
            if not waiver.matches(rule_id, candidates):
                continue
            if waiver.expires < self.today:
                self._problem(
                    resource,
                    "",
                    waiver.origin,
                    f"config waiver ({waiver.origin}) for {rule_id} expired on {waiver.expires}",
                )
                continue
            if self._too_long(waiver.expires):
                self._problem(
                    resource,
                    "",
                    waiver.origin,
                    f"config waiver ({waiver.origin}) ignored: expiry {waiver.expires} is more than "
                    f"{self.config.max_waiver_days} days away",
                )
                continue
            return Waiver(rule_id, waiver.reason, "config", waiver.owner, waiver.expires.isoformat())
        return None
