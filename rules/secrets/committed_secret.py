"""Secret values are not committed: production and staging Secrets come from a secret manager.

A `kind: Secret` with `data` or `stringData` in a repository is a credential in git history, only
base64-encoded, readable by everyone with clone access and never rotated. Use an ExternalSecret
(External Secrets Operator), a SealedSecret, or encrypt the file with SOPS. Skipped: SOPS-encrypted
files (a top-level `sops:` key), Secrets whose values are all empty, placeholders or public
certificates (CA bundles), and
service-account-token Secrets without data (the token controller fills them in). The message names
the keys, never the values.

Passes (production)::

    kind: ExternalSecret
    spec:
      target: {name: odoo-db}

Fails (production)::

    kind: Secret
    stringData:
      password: s3cr3t
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from govscan.rules._lib.secrets import Detector
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

RULE = RuleMeta(
    id="secrets.committed-secret",
    domain="secrets",
    title="Secret with committed values",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="off", development="off", sandbox="off"),
    remediation="Replace the Secret with an ExternalSecret (or a SealedSecret / SOPS-encrypted file) and "
    "rotate the committed values.",
    kinds=("Secret",),
    controls=("security: secret rotation",),
)

DETECTOR = Detector()


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value


def _public_certificate(text: str) -> bool:
    """CA bundles and certificates are public; a private key next to them is not."""
    return "BEGIN CERTIFICATE" in text and "PRIVATE KEY" not in text


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    if "sops" in resource.body:
        return
    for field in ("stringData", "data"):
        values = resource.body.get(field)
        if not isinstance(values, dict) or not values:
            continue
        real = []
        for key, value in values.items():
            if value is None:
                continue
            text = str(value) if field == "stringData" else _decoded(str(value))
            if not DETECTOR.is_placeholder(text) and not _public_certificate(text):
                real.append(str(key))
        if real:
            keys = ", ".join(sorted(real)[:8]) + (", ..." if len(real) > 8 else "")
            yield Violation(
                f"Secret {resource.name} commits {len(real)} value(s) in {field} ({keys}; values ***)",
                f"/{field}",
            )
