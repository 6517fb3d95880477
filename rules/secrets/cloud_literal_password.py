"""Cloud resources hold no literal password, token or key that the plan shows in plain text.

A password written in Terraform or Pulumi code lands in version control, in every plan printed by
CI, in plan artifacts and in the state file. Flagged: an attribute whose name says secret
(`password`, `master_password`, `auth_token`, `secret_string`, `DB_PASSWORD` in a Lambda
environment, a `{name, value}` pair such as an ECS container environment entry or an
aws_ssm_parameter whose name or description says secret, also its `insecure_value`) holding a
literal value, and any value in a known credential format (PEM private key, AWS access key id, ...).
A value the plan marks sensitive (`after_sensitive`, Pulumi `[secret]`) or knows only after apply
passes: the tool masks it, so it came from a variable, a secret store or a generated password.
Placeholders, ARNs and secret-store references are not secrets. Findings never show the value.

Passes::

    resource "aws_db_instance" "erp" { password = var.db_password }  # sensitive variable

Fails::

    resource "aws_db_instance" "erp" { password = "Odoo-Pr0d-2024" }  # in a plan without sensitive marks
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.cloud import CLOUD, action, is_sensitive, pointer
from govscan.rules._lib.cloud_encryption import Path, dotted, is_reference, leaves, ssm_secret_reason
from govscan.rules._lib.secrets import Detector
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

NOT_SECRETS = (
    "customer_master_key_spec",  # SYMMETRIC_DEFAULT
    "auth_token_update_strategy",  # ROTATE / SET / DELETE
    "password_data",  # Windows password encrypted with the key pair
    "secret_status",
    "api_key_selection_expression",  # $request.header.x-api-key
    "creation_token",  # idempotency tokens (EFS, ...)
    "client_token",
    "idempotency_token",
)
"""Attribute names that look sensitive but hold settings."""

SKIPPED_KEYS = frozenset({"tags_all"})
"""Copies of other attributes (tags_all repeats tags): judging them would report one value twice."""

SSM_VALUES = ("value", "insecure_value")
MAX_DOCUMENT = 200_000


@dataclass(frozen=True)
class Options:
    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()
    not_secrets: tuple[str, ...] = NOT_SECRETS


RULE = RuleMeta(
    id="secrets.cloud-literal-password",
    domain="secrets",
    title="Literal password or key in a cloud resource, shown in plain text",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Pass the value through a sensitive variable (variable { sensitive = true }), generate it "
    "(random_password, manage_master_user_password = true for RDS) or read it from Secrets Manager / SSM "
    "SecureString; in Pulumi use config --secret or pulumi.secret(). Then rotate the exposed credential.",
    platforms=CLOUD,
    controls=("security: secrets management",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if resource.kind.startswith("data.") or action(resource) is Action.DELETE:
        return
    detector = Detector(options.extra_name_patterns, options.allowed_values)
    ignored = frozenset(options.not_secrets)
    body = {k: v for k, v in resource.body.items() if k not in SKIPPED_KEYS}
    seen: set[Path] = set()
    for path, label, why in _secrets(resource, detector, ignored, body):
        if path not in seen and not _masked(resource, path):
            seen.add(path)
            yield Violation(f"{label} holds {why} in plain text: {label}=***", pointer(*path))


def _secrets(
    resource: Resource, detector: Detector, ignored: frozenset[str], body: Mapping[str, Any]
) -> Iterator[tuple[Path, str, str]]:
    """(path, label, why) of every literal secret in the body."""
    ssm = resource.kind == "aws_ssm_parameter"
    if ssm:
        reason = ssm_secret_reason(detector, resource)
        for key in SSM_VALUES:
            value = body.get(key)
            if not isinstance(value, str) or is_reference(value):
                continue
            if reason and not detector.not_a_secret_value(str(body.get("name")), value):
                yield (key,), key, f"a secret (the parameter's {reason} says so)"
            elif kind := detector.credential_format(value):
                yield (key,), key, kind
    for path, name, value in _strings(body, detector, ignored, pairs_at_root=not ssm):
        if value is None:  # a {name: DB_PASSWORD, value: ...} entry
            yield path, f"{dotted(path[:-1])} {name}".strip(), "a literal secret"
        elif not (ssm and path[0] in SSM_VALUES):
            yield from _judge(detector, ignored, path, name, value)


def _strings(
    body: Mapping[str, Any], detector: Detector, ignored: frozenset[str], pairs_at_root: bool
) -> Iterator[tuple[Path, str, str | None]]:
    """One walk over the body: (path, attribute name, value) of the strings worth judging, and
    (path of `value`, name, None) of `{name: DB_PASSWORD, value: ...}` entries holding a literal secret
    (ECS and CodeBuild environments, Beanstalk settings). A path is built only for those: a plan's
    bodies hold hundreds of thousands of values."""
    stack: list[tuple[Any, Path, str]] = [(body, (), "")]
    might_hold_credential, sensitive_name = detector.might_hold_credential, detector.sensitive_name
    while stack:
        node, at, label = stack.pop()
        mapping = isinstance(node, dict)
        for key, item in node.items() if mapping else enumerate(node):
            name = str(key) if mapping else label  # list items carry their list's name
            if isinstance(item, str):
                if name in ignored:
                    continue
                if item[:1] in "[{" or might_hold_credential(item) or sensitive_name(name):
                    yield (*at, name if mapping else key), name, item
            elif isinstance(item, dict | list):
                stack.append((item, (*at, name if mapping else key), name))
        if mapping and (at or pairs_at_root):
            pair_name = node.get("name")
            if isinstance(pair_name, str) and _literal(detector, ignored, pair_name, node.get("value")):
                yield (*at, "value"), pair_name, None


def _judge(
    detector: Detector, ignored: frozenset[str], path: Path, name: str, value: str
) -> Iterator[tuple[Path, str, str]]:
    """`value` passed _strings' filter: a document, a credential hint or a sensitive name."""
    if is_reference(value):
        return
    kind = detector.credential_format(value)
    if kind:
        yield path, dotted(path), kind
    elif _literal(detector, ignored, name, value):
        yield path, dotted(path), "a literal secret"
    elif (embedded := detector.embedded_password(value)) is not None:
        yield path, dotted(path), embedded
    elif (
        value[:1] in "[{"
        and len(value) < MAX_DOCUMENT
        and (detector.might_name_a_secret(value) or detector.might_hold_credential(value))
    ):
        inner = _in_document(detector, ignored, value)
        if inner:
            yield path, dotted(path), f"a literal secret ({inner} in the JSON)"


def _in_document(detector: Detector, ignored: frozenset[str], value: str) -> str | None:
    """Where a JSON document held in a string (ECS container_definitions) has a literal secret."""
    try:
        document = json.loads(value)
    except ValueError:
        return None
    for inner, name, item in leaves(document):
        if isinstance(item, str) and (detector.credential_format(item) or _literal(detector, ignored, name, item)):
            return dotted(inner) or "a value"
    for _, name in _pairs(detector, ignored, document, (), root=True):
        return name
    return None


def _pairs(
    detector: Detector, ignored: frozenset[str], tree: Any, path: Path, root: bool = False
) -> Iterator[tuple[Path, str]]:
    """(path of the value, name) of `{name: DB_PASSWORD, value: ...}` entries holding a literal secret:
    ECS and CodeBuild environments, Beanstalk settings, azurerm_key_vault_secret."""
    stack: list[tuple[Any, Path]] = [(tree, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            name, value = node.get("name"), node.get("value")
            if (at or root) and isinstance(name, str) and _literal(detector, ignored, name, value):
                yield (*at, "value"), name
            stack.extend((item, (*at, str(key))) for key, item in node.items() if isinstance(item, dict | list))
        elif isinstance(node, list):
            stack.extend((item, (*at, i)) for i, item in enumerate(node) if isinstance(item, dict | list))


def _literal(detector: Detector, ignored: frozenset[str], name: str, value: Any) -> bool:
    """A literal value under a sensitive name (not a placeholder, reference or hash)."""
    return (
        isinstance(value, str)
        and name not in ignored
        and detector.sensitive_name(name)
        and not _not_secret(detector, name, value)
    )


def _not_secret(detector: Detector, name: str, value: str) -> bool:
    return is_reference(value) or bool(detector.not_a_secret_value(name, value))


def _masked(resource: Resource, path: Path) -> bool:
    change = resource.change
    return is_sensitive(resource, *path) or (change is not None and change.is_unknown(pointer(*path)))
