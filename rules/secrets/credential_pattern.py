"""No known credential format appears in any field of any resource.

Known formats are unambiguous: PEM private keys, AWS access key ids (`AKIA...`), GitHub tokens
(`ghp_...`, `github_pat_...`), Slack tokens (`xox?-...`), GCP service-account JSON `private_key`,
Google API keys, Stripe live keys, JSON Web Tokens, and URLs with an embedded password. This rule
reads every string of every resource (CRDs included: Traefik middlewares, Velero locations, Argo CD
Applications' Helm values) except where a more specific rule already looks, so one leak is one
finding: a Secret's `data`/`stringData` (secrets.committed-secret), a ConfigMap's `data`
(secrets.configmap-literal), container env (secrets.env-literal), container args/command and
annotations (secrets.args-literal). Findings never show the value.

Passes::

    kind: BackupStorageLocation
    spec:
      credential: {name: velero-s3, key: cloud}

Fails::

    kind: Application
    spec:
      source:
        repoURL: https://ci:ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@github.com/acme/erp.git
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.secrets import Detector
from govscan.rules._lib.workloads import containers
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table, escape_pointer_token

RULE = RuleMeta(
    id="secrets.credential-pattern",
    domain="secrets",
    title="A known credential format appears in a resource",
    severity=Severity.CRITICAL,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="warn"),
    remediation="Remove the credential from the manifest, reference it from a Secret fed by a secret manager, "
    "and revoke and rotate it: it is in git history.",
    controls=("security: secret rotation",),
)

DETECTOR = Detector()
MAX_STRINGS = 20000


def _strings(body: Any, skip: set[int], budget: int) -> Iterator[tuple[str, str]]:
    """(pointer, text) of the string values under `body`, skipping the nodes in `skip` (by identity).

    Iterative, and a pointer is built only for a string worth testing: the walk visits every value.
    """
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack and budget > 0:
        node, pointer = stack.pop()
        if id(node) in skip:
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, str):
                budget -= 1
                if DETECTOR.might_hold_credential(value):
                    yield f"{pointer}/{escape_pointer_token(str(key))}", value
            elif isinstance(value, dict | list):
                if key == "annotations" and pointer.endswith("metadata"):
                    continue
                stack.append((value, f"{pointer}/{escape_pointer_token(str(key))}"))


def check(resource: Resource, ctx: Context, options: object) -> Iterator[Violation]:
    body = resource.body
    skip: set[int] = set()  # other secrets rules judge these
    if resource.kind == "Secret":
        skip |= {id(body.get("data")), id(body.get("stringData"))}
    if resource.kind == "ConfigMap":
        skip |= {id(body.get("data")), id(body.get("binaryData"))}
    for container in containers(resource, ctx):
        skip |= {id(container.body.get(f)) for f in ("env", "args", "command")}
    skip.discard(id(None))
    for pointer, text in sorted(_strings(body, skip, MAX_STRINGS)):
        kind = DETECTOR.credential_format(text) or DETECTOR.embedded_password(text)
        if kind:
            field = pointer.lstrip("/").replace("/", ".").replace("~1", "/").replace("~0", "~")
            yield Violation(f"{resource.kind} {resource.name}: {field} holds {kind} (***)", pointer)
