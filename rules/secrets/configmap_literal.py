"""ConfigMaps hold configuration, not secrets.

ConfigMaps are readable by far more people and controllers than Secrets, are not encrypted at rest,
and end up in logs and dashboards. Flagged: keys whose name says secret (same name patterns as
secrets.env-literal) with a literal value; values that look like credentials (PEM private key, cloud
tokens, URL or connection string with a password); and secret settings inside embedded config files
(`odoo.conf`'s `admin_passwd` and `db_password`, `.env`, properties, YAML or JSON), where the message
names the setting and its line inside the key. Placeholders, references and Odoo's `db_password =
False` are skipped; `binaryData` is not read. Findings never show the value.

Passes::

    kind: ConfigMap
    data:
      odoo.conf: |
        [options]
        db_host = odoo-db-rw

Fails::

    kind: ConfigMap
    data:
      odoo.conf: |
        [options]
        admin_passwd = SuperSecret42
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.secrets import Detector, secret_settings
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, pointer_join


@dataclass(frozen=True)
class Options:
    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()


RULE = RuleMeta(
    id="secrets.configmap-literal",
    domain="secrets",
    title="ConfigMap holds a literal secret",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Move the secret into a Secret (ExternalSecret, SealedSecret or SOPS); for odoo.conf, mount "
    "the password from a Secret or pass it as --db_password from a secretKeyRef env var; rotate it.",
    kinds=("ConfigMap",),
    controls=("security: secret rotation",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    data = resource.body.get("data")
    if not isinstance(data, dict):
        return
    detector = Detector(options.extra_name_patterns, options.allowed_values)
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        pointer = pointer_join("data", key)
        kind = detector.credential_format(value)
        if kind:
            yield Violation(f'ConfigMap {resource.name}: key "{key}" holds {kind} (***)', pointer)
            continue
        if "\n" not in value.strip():
            if detector.sensitive_name(key) and not detector.not_a_secret_value(key, value):
                yield Violation(f'ConfigMap {resource.name}: key "{key}" holds a literal secret (***)', pointer)
                continue
        else:
            found = secret_settings(detector, value)
            if found:
                where = ", ".join(f"{k} (line {n})" for n, k, _ in found)
                yield Violation(
                    f'ConfigMap {resource.name}: key "{key}" sets {where} to a literal value (***)', pointer
                )
                continue
        embedded = detector.embedded_password(value)
        if embedded:
            yield Violation(f'ConfigMap {resource.name}: key "{key}" holds {embedded} (***)', pointer)
