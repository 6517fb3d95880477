"""Containers take secrets from Secrets (`valueFrom`), never as literal env values.

A literal value in a manifest is in git history, in every rendered chart, in `kubectl get -o yaml`
for anyone who can read the workload, and it cannot be rotated without a deploy. Flagged: env vars
whose name says secret (PASSWORD, PASSWD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIAL, ... plus
option `extra_name_patterns`, regexes) with a literal value, and any env value that looks like a
credential (PEM private key, cloud or GitHub token, URL with a password). Skipped: `valueFrom`,
empty values, `$(VAR)` references, obvious placeholders (`changeme`, `xxx`, `<password>`, `${VAR}`,
option `allowed_values`), file paths, and names of Secrets (`DB_SECRET: odoo-db-credentials`).
Findings never show the value.

Passes::

    env:
      - name: PGPASSWORD
        valueFrom: {secretKeyRef: {name: odoo-db, key: password}}

Fails::

    env:
      - name: PGPASSWORD
        value: s3cr3t-Odoo!
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.secrets import Detector
from govscan.rules._lib.workloads import WORKLOADS, containers
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()


RULE = RuleMeta(
    id="secrets.env-literal",
    domain="secrets",
    title="Container env holds a literal secret",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation="Move the value into a Secret (ExternalSecret, SealedSecret or SOPS) and reference it with "
    "env[].valueFrom.secretKeyRef; rotate the exposed credential.",
    kinds=(WORKLOADS,),
    controls=("security: secret rotation",),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    detector = Detector(options.extra_name_patterns, options.allowed_values)
    for container in containers(resource, ctx):
        env = container.body.get("env")
        if not isinstance(env, list):
            continue
        for i, item in enumerate(env):
            if not isinstance(item, dict) or "valueFrom" in item:
                continue
            name, value = item.get("name"), item.get("value")
            if not isinstance(name, str) or not isinstance(value, str):
                continue
            why = detector.literal_secret(name, value)
            if why is None:
                continue
            reason = "a secret-looking name" if why == "a sensitive name" else why
            yield Violation(
                f"{container.label} sets env var {name} to a literal value (***) with {reason}",
                f"{container.pointer}/env/{i}/value",
            )
