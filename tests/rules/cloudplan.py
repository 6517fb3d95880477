"""Terraform plan documents for the cloud rule tests: a plan, one resource change, statuses."""

from __future__ import annotations

from typing import Any

from govscan.scanner.model import ScanReport, Status


def plan(*changes: dict[str, Any], fmt: str = "1.2", configuration: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"format_version": fmt, "terraform_version": "1.9.5", "resource_changes": list(changes)}
    if configuration is not None:
        document["configuration"] = configuration
    return document


def change(
    address: str,
    after: dict[str, Any] | None,
    unknown: dict[str, Any] | None = None,
    sensitive: dict[str, Any] | None = None,
    actions: tuple[str, ...] = ("create",),
    before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One `resource_changes` entry; `before` defaults to `after` for anything but a create."""
    kind, name = address.split(".")[-2:]
    if before is None and actions != ("create",):
        before = after
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": list(actions),
            "before": before,
            "after": None if actions == ("delete",) else after,
            "after_unknown": unknown or {},
            "before_sensitive": {},
            "after_sensitive": sensitive or {},
        },
    }


def statuses(report: ScanReport, rule_id: str) -> dict[str, Status]:
    return {e.resource_uid: e.status for e in report.evaluations if e.rule_id == rule_id}
