"""The shared selector helpers: LabelSelector and Service selectors differ on the empty selector."""

from __future__ import annotations

from govscan.rules._lib.workloads import label_selector_matches, service_selector_matches

POD = {"app": "odoo", "tier": "web"}


def test_label_selector_semantics() -> None:
    assert label_selector_matches({}, POD)  # an empty LabelSelector selects every pod
    assert label_selector_matches({"matchLabels": {"app": "odoo"}}, POD)
    assert not label_selector_matches({"matchLabels": {"app": "redis"}}, POD)
    assert label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, POD)
    assert not label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, POD)
    assert not label_selector_matches(None, POD)
    assert not label_selector_matches({"matchLabels": ["app"]}, POD)


def test_service_selector_semantics() -> None:
    assert service_selector_matches({"app": "odoo"}, POD)
    assert not service_selector_matches({"app": "odoo", "tier": "db"}, POD)
    assert not service_selector_matches({}, POD)  # a Service without a selector selects no pods
    assert not service_selector_matches(None, POD)
