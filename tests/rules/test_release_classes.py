"""One test walks fixtures/release-classes/<class>/<case>/: a base/ and a head/ (or a head plan alone)
and an expect.yaml naming the change's class and the resources the folder's classifier fires on,
with the exact reasons. Adding a signal adds a case folder, not test code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govscan.scanner.classes import (
    ClassifyContext,
    builtin_classifiers,
    classify_changes,
    release_class_of,
)
from govscan.scanner.diff import diff, load_snapshot, plan_changes
from govscan.scanner.model import RELEASE_CLASSES, ReleaseClass

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "release-classes"


def cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/*/expect.yaml"))


def classify_case(folder: Path):  # type: ignore[no-untyped-def]
    head = load_snapshot("head", [str(folder / "head")], folder)
    assert not head.errors, head.errors
    if (folder / "base").is_dir():
        base = load_snapshot("base", [str(folder / "base")], folder)
        assert not base.errors, base.errors
        changes = diff(base.resources, head.resources)
    else:
        changes = plan_changes(head.resources)
    return classify_changes(changes, ClassifyContext())


@pytest.mark.parametrize("folder", cases(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_release_class_case(folder: Path) -> None:
    expect = yaml.safe_load((folder / "expect.yaml").read_text())
    release_class = ReleaseClass(folder.parent.name)
    classified, problems = classify_case(folder)
    assert not problems
    overall = release_class_of(classified)
    assert (overall.value if overall else None) == expect["class"]
    fired = {
        item.change.resource.uid: [s.message for s in item.signals[release_class]]
        for item in classified
        if release_class in item.signals
    }
    assert fired == (expect["fires"] or {})


def test_every_class_has_one_classifier_and_cases_that_fire_and_do_not() -> None:
    classifiers = builtin_classifiers()
    assert [c.meta.release_class for c in classifiers] == list(RELEASE_CLASSES)
    for classifier in classifiers:
        assert classifier.doc.startswith(classifier.meta.release_class.value + ":"), classifier.module
        folders = [p for p in cases() if p.parent.name == classifier.meta.release_class.value]
        expectations = [yaml.safe_load((p / "expect.yaml").read_text()) for p in folders]
        assert any(e["fires"] for e in expectations), f"{classifier.module}: no case where it fires"
        assert any(not e["fires"] for e in expectations), f"{classifier.module}: no case where it does not fire"


def test_secret_values_never_reach_a_reason() -> None:
    classified, _ = classify_case(FIXTURES / "integration-change" / "secret-keys")
    text = repr([item.reasons() for item in classified])
    assert "SMTP_PASSWORD" in text and "s3cr3t-Value-9" not in text and "odoo@example.com" not in text


def test_a_crashing_classifier_assumes_its_class() -> None:
    from govscan.scanner.model import Classifier, ClassifierMeta

    def broken(change, ctx):  # type: ignore[no-untyped-def]
        raise KeyError("spec")
        yield

    crash = Classifier(ClassifierMeta(ReleaseClass.DATA_DESTRUCTIVE, "broken"), broken, "", "tests.broken")
    folder = FIXTURES / "config-change" / "replicas"
    base = load_snapshot("base", [str(folder / "base")], folder)
    head = load_snapshot("head", [str(folder / "head")], folder)
    [item], _ = classify_changes(diff(base.resources, head.resources), ClassifyContext(), [crash])
    assert item.release_class is ReleaseClass.DATA_DESTRUCTIVE
    assert item.reasons() == ("data-destructive: classifier tests.broken crashed (KeyError: 'spec'); class assumed",)
