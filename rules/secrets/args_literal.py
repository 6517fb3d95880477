"""Secrets are not passed on command lines or stored in annotations.

Container `command`/`args` show up in `ps`, in crash reports and in `kubectl describe`; annotations
are copied into every tool that reads metadata. Flagged: `--password=...`-style flags (and `--token`
followed by a value, `PGPASSWORD=...` in shell snippets) whose name says secret, credential-shaped
values (PEM keys, cloud and GitHub tokens, URLs with a password) in args, command or any annotation,
and annotations whose key names a password or token with a literal value. Placeholders, `$(VAR)` and
`$VAR` references are skipped, as is `kubectl.kubernetes.io/last-applied-configuration` (its fields
are judged where they are declared). Findings never show the value.

Passes::

    args: ["--db_password=$(PGPASSWORD)"]

Fails::

    args: ["--db_password=Odoo-Pr0d-2024"]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.secrets import Detector, words
from govscan.rules._lib.workloads import containers, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()


RULE = RuleMeta(
    id="secrets.args-literal",
    domain="secrets",
    title="Secret in container args/command or in an annotation",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Read the secret from a file or an env var fed by secretKeyRef (`--password=$(DB_PASSWORD)`), "
    "never inline; remove secrets from annotations; rotate the exposed credential.",
    controls=("security: secret rotation",),
    options=Options(),
)

SKIPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
REFERENCE_WORDS = frozenset({"SECRET", "SECRETS", "CREDENTIAL", "CREDENTIALS"})
_FLAG_VALUE = re.compile(r"(?:^|\s)-{1,2}([A-Za-z][\w.-]*)=(\S+)")
_SHELL_ASSIGN = re.compile(r"(?:^|[\s;&(])(?:export\s+)?([A-Z_][A-Z0-9_]*)=(\S+)")
_FLAG_ONLY = re.compile(r"^-{1,2}([A-Za-z][\w.-]*)$")


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    detector = Detector(options.extra_name_patterns, options.allowed_values)
    yield from _annotations(resource, resource.body.get("metadata"), "/metadata", detector)
    pod = pod_spec(resource, ctx)
    if pod is not None and pod.pointer != "/spec":
        yield from _annotations(resource, pod.metadata, pod.pointer.rsplit("/", 1)[0] + "/metadata", detector)
    for container in containers(resource, ctx):
        for field in ("command", "args"):
            items = container.body.get(field)
            if not isinstance(items, list):
                continue
            yield from _command_line(container.label, container.pointer, field, items, detector)


def _annotations(resource: Resource, metadata: Any, pointer: str, detector: Detector) -> Iterator[Violation]:
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return
    for key, value in annotations.items():
        if not isinstance(key, str) or not isinstance(value, str) or key in SKIPPED_ANNOTATIONS:
            continue
        why = detector.credential_format(value) or detector.embedded_password(value)
        if why is None and _names_inline_secret(key, detector) and not _looks_like_reference(key, value, detector):
            why = "a secret-looking key"
        if why:
            yield Violation(
                f'{resource.kind} {resource.name}: annotation "{key}" holds a literal secret (***) with {why}',
                pointer + pointer_join("annotations", key),
            )


def _names_inline_secret(key: str, detector: Detector) -> bool:
    """Annotation keys naming a password/token; `...-secret` keys usually name a Secret object instead."""
    leaf = key.rsplit("/", 1)[-1]
    if not detector.sensitive_name(leaf):
        return False
    return not (set(words(leaf)) & REFERENCE_WORDS) or any(
        w in ("PASSWORD", "PASSWD", "TOKEN", "APIKEY") for w in words(leaf)
    )


def _looks_like_reference(key: str, value: str, detector: Detector) -> bool:
    text = value.strip()
    if detector.not_a_secret_value(key, text):
        return True
    return bool(re.fullmatch(r"[\w.-]+(/[\w.-]+)+", text))  # a path or secret-store reference


def _command_line(label: str, pointer: str, field: str, items: list[Any], detector: Detector) -> Iterator[Violation]:
    for j, item in enumerate(items):
        if not isinstance(item, str):
            continue
        where = f"{pointer}/{field}/{j}"
        kind = detector.credential_format(item) or detector.embedded_password(item)
        if kind:
            yield Violation(f"{label} passes {kind} in {field} (***)", where)
            continue
        named = _secret_flag(item, detector)
        if named:
            yield Violation(f"{label} passes {named} with a literal value in {field} (***)", where)
            continue
        flag = _FLAG_ONLY.match(item.strip())
        if flag and detector.sensitive_name(flag.group(1)) and j + 1 < len(items):
            following = items[j + 1]
            if (
                isinstance(following, str)
                and not following.startswith("-")
                and not detector.not_a_secret_value(flag.group(1), following)
            ):
                yield Violation(
                    f"{label} passes {flag.group(0)} with a literal value in {field} (***)",
                    f"{pointer}/{field}/{j + 1}",
                )


def _secret_flag(text: str, detector: Detector) -> str | None:
    for pattern, render in ((_FLAG_VALUE, "--{}"), (_SHELL_ASSIGN, "{}")):
        for match in pattern.finditer(text):
            name, value = match.group(1), match.group(2).rstrip(";,\\")
            if value.endswith(")") and "(" not in value:
                value = value.rstrip(")")
            value = value.strip("'\"")
            if detector.sensitive_name(name) and not detector.not_a_secret_value(name, value):
                return (
                    render.format(name)
                    if not match.group(0).strip().startswith("-")
                    else match.group(0).split("=")[0].strip()
                )
    return None
