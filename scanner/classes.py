"""Release classes: run the built-in classifiers over a diff and give each change its classes.

Classifiers are discovered like rules: every module of `govscan.rules.release_classes` with a
`META = ClassifierMeta(...)` and a `classify(change, ctx)` is one. A changed resource takes every
class whose classifier fires (riskiest first); the change as a whole takes its riskiest class.
A `govscan.io/release-class` annotation (a tag on cloud resources) may raise a resource's class,
never lower it: an attempt to lower it is reported, and a crashed classifier assumes its class
rather than pass silently.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from govscan.scanner.model import (
    Classifier,
    ClassifierMeta,
    Platform,
    ReleaseClass,
    ResourceChange,
    Signal,
    pointer_join,
)
from govscan.scanner.registry import RuleDefinitionError

CLASSIFIERS_PACKAGE = "govscan.rules.release_classes"
CLASS_ANNOTATION = "govscan.io/release-class"


@cache
def builtin_classifiers() -> tuple[Classifier, ...]:
    package = importlib.import_module(CLASSIFIERS_PACKAGE)
    found: list[Classifier] = []
    for info in pkgutil.iter_modules(package.__path__, CLASSIFIERS_PACKAGE + "."):
        if info.name.rsplit(".", 1)[1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        meta, classify = getattr(module, "META", None), getattr(module, "classify", None)
        if not isinstance(meta, ClassifierMeta) or not callable(classify):
            raise RuleDefinitionError(
                f"{info.name}: a classifier module needs META = ClassifierMeta(...) and classify()"
            )
        found.append(Classifier(meta, classify, (module.__doc__ or "").strip(), info.name))
    return tuple(sorted(found, key=lambda c: -c.meta.release_class.risk))


@dataclass(frozen=True)
class ClassifyContext:
    """What classifiers may read besides the change: custom workload kinds from the config."""

    pod_spec_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassifiedChange:
    change: ResourceChange
    signals: Mapping[ReleaseClass, tuple[Signal, ...]]
    """Every class that applies, riskiest first, with why."""

    @property
    def classes(self) -> tuple[ReleaseClass, ...]:
        return tuple(self.signals)

    @property
    def release_class(self) -> ReleaseClass:
        return self.classes[0]

    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{c.value}: {s.message}" for c, found in self.signals.items() for s in found)


@dataclass(frozen=True)
class AnnotationProblem:
    """A `govscan.io/release-class` value that was not applied: unknown, or lower than the change's class."""

    change: ResourceChange
    pointer: str
    message: str


def _annotation(change: ResourceChange) -> tuple[str, str] | None:
    resource = change.resource
    if resource.platform is Platform.K8S:
        value = resource.annotations.get(CLASS_ANNOTATION)
        return (value, pointer_join("metadata", "annotations", CLASS_ANNOTATION)) if value is not None else None
    value = resource.labels.get(CLASS_ANNOTATION)
    return (value, pointer_join("tags", CLASS_ANNOTATION)) if value is not None else None


def classify_changes(
    changes: Iterable[ResourceChange], ctx: ClassifyContext, classifiers: Iterable[Classifier] | None = None
) -> tuple[list[ClassifiedChange], list[AnnotationProblem]]:
    chosen = tuple(classifiers) if classifiers is not None else builtin_classifiers()
    classified: list[ClassifiedChange] = []
    problems: list[AnnotationProblem] = []
    for change in changes:
        signals: dict[ReleaseClass, tuple[Signal, ...]] = {}
        for classifier in chosen:
            try:
                found = tuple(classifier.classify(change, ctx))
            except Exception as exc:  # a classifier bug must never make a change look safer than it is
                found = (
                    Signal(f"classifier {classifier.module} crashed ({type(exc).__name__}: {exc}); class assumed"),
                )
            if found:
                signals[classifier.meta.release_class] = found
        if not signals:  # classifiers cover every change; this only guards against a gap
            signals[ReleaseClass.CONFIG_CHANGE] = (Signal("changed"),)
        computed = max(signals, key=lambda c: c.risk)
        annotated = _annotation(change)
        if annotated is not None:
            value, pointer = annotated
            try:
                wanted = ReleaseClass(value.strip())
            except ValueError:
                known = ", ".join(c.value for c in ReleaseClass)
                problems.append(
                    AnnotationProblem(
                        change, pointer, f"{CLASS_ANNOTATION}: {value!r} is not a release class ({known})"
                    )
                )
            else:
                if wanted.risk > computed.risk:
                    signals[wanted] = (Signal(f"raised by {CLASS_ANNOTATION}: {wanted.value}", pointer),)
                elif wanted.risk < computed.risk:
                    why = signals[computed][0].message
                    problems.append(
                        AnnotationProblem(
                            change,
                            pointer,
                            f"{CLASS_ANNOTATION}: {wanted.value} is ignored: an annotation may raise a change's class, "
                            f"never lower it, and this change is {computed.value} ({why})",
                        )
                    )
        ordered = {c: signals[c] for c in sorted(signals, key=lambda c: -c.risk)}
        classified.append(ClassifiedChange(change, ordered))
    return classified, problems


def release_class_of(classified: Iterable[ClassifiedChange]) -> ReleaseClass | None:
    """The riskiest class of a change; None when nothing changed."""
    classes = [c.release_class for c in classified]
    return max(classes, key=lambda c: c.risk) if classes else None
